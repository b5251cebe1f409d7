"""The deploy facet: ``deploy.want: released`` holds when the last released version runs and is healthy
on every host of every environment.

Each environment is observed in one Ansible run (the version of each host's ``current`` release and its
health check). An environment with a host off the version or unhealthy drafts one
``deploy.run/<environment>`` of the release target, after the release's publishes (the chain) and, with
``promoteAfter: ENV``, after ENV's deploy; when ENV has no deploy planned but is not healthy on the
version, the environment waits. CEL sees ``action.params.environment``, ``version``, ``previous``,
``hosts``, ``batch`` (and ``pending``: the hosts to change, ``secrets``: the secret names its vars use).
An environment whose secrets cannot be resolved drafts nothing and says which secret.
"""

from __future__ import annotations

import math
from collections import Counter

from codemonkeys.facets.base import FacetDraft, FacetInput, FacetPlugin, Ref, action_id, facet_state
from codemonkeys.facets.release.plugin import target_version
from codemonkeys.kinds.models import Environment, Product
from codemonkeys.vocab.facts import EnvironmentFacts, Unknown
from codemonkeys.vocab.plan import Action, ActionKind, FacetName, FacetState

WANT = "released"


def batch_size(env: Environment, hosts: int, unavailable: int = 0) -> int:
    """Hosts per batch: ``batch`` (a number, or a share of the environment's hosts rounded up), at least 1;
    with ``maxUnavailable``, at most ``maxUnavailable`` less the ``unavailable`` hosts (already down or
    unhealthy), since a batch takes its hosts down while it deploys them. 0: the budget is used up."""
    size = math.ceil(hosts * int(env.batch.rstrip("%")) / 100) if isinstance(env.batch, str) else env.batch
    size = max(1, size)
    if env.max_unavailable is not None:
        size = max(0, min(size, env.max_unavailable - unavailable))
    return size


def unavailable_hosts(facts: EnvironmentFacts) -> list[str]:
    """Hosts down (unreachable) or failing their health check, whatever they run."""
    return [h.host for h in facts.hosts if not (h.reachable and h.healthy)]


def rollout_batch(env: Environment, facts: EnvironmentFacts, pending: list[str]) -> int | str:
    """The batch of a rollout over ``pending``, or why it would break ``maxUnavailable``.

    ``maxUnavailable: N`` bounds how many hosts are unavailable at once: those already down or unhealthy
    plus the batch being deployed. When the unavailable ones alone use up N, a rollout that would take a
    healthy host down waits; one whose pending hosts are all unavailable already can only restore
    capacity, and goes in batches of N."""
    down = unavailable_hosts(facts)
    size = batch_size(env, len(facts.hosts), len(down))
    if size:
        return size
    if set(pending) <= set(down):
        return batch_size(env, len(facts.hosts))
    return (
        f"{len(down)} host{'s' if len(down) != 1 else ''} unavailable ({', '.join(down)}), "
        f"maxUnavailable {env.max_unavailable}: a deploy would take a healthy host down"
    )


def pending_hosts(facts: EnvironmentFacts, version: str) -> list[str]:
    """Hosts not running ``version`` healthily (unreachable ones included)."""
    return [h.host for h in facts.hosts if not (h.reachable and h.version == version and h.healthy)]


def previous_version(facts: EnvironmentFacts, version: str) -> str | None:
    """The version most hosts run other than ``version`` (None: a first deploy)."""
    counts = Counter(h.version for h in facts.hosts if h.version and h.version != version)
    return counts.most_common(1)[0][0] if counts else None


class DeployFacet(FacetPlugin):
    """Hosts: observed by an Ansible probe per environment; acted on by ``deploy.run/<environment>``."""

    name = FacetName.DEPLOY
    fact = "deploy.released"
    establishes = ActionKind.DEPLOY_RUN
    facts_field = "deploy"
    observer = Ref("codemonkeys.facets.deploy.observer", "observe_deploy")
    actuators = {ActionKind.DEPLOY_RUN: Ref("codemonkeys.facets.deploy.actuators", "deploy_run")}
    waits_for_dependencies = {ActionKind.DEPLOY_RUN: ActionKind.DEPLOY_RUN}

    def wants(self, product: Product) -> str | None:
        """``released`` when the product declares ``deploy``."""
        return WANT if product.spec.deploy is not None else None

    def plan(self, inp: FacetInput) -> FacetDraft:
        """In sync, or one deploy.run per environment off the version (in promotion order)."""
        deploy = inp.product.spec.deploy
        assert deploy is not None
        f = inp.facts.deploy
        if f is None or isinstance(f, Unknown):
            err = f.error if isinstance(f, Unknown) else "not observed"
            return FacetDraft(facet_state(WANT, "unknown", FacetState.UNKNOWN, err))
        version, _ = target_version(inp)
        observed = _observed(f.environments)
        if version is None:
            return FacetDraft(facet_state(WANT, observed, FacetState.BLOCKED, "nothing released yet"))
        if inp.waiting_for is not None:
            return FacetDraft(facet_state(WANT, observed, FacetState.BLOCKED, f"waiting: {inp.waiting_for}"))
        actions: dict[str, Action] = {}
        notes: list[str] = []
        unknown = False
        for env in deploy.environments:
            ef = f.environments.get(env.name)
            if ef is None or isinstance(ef, Unknown):
                unknown = True
                notes.append(f"{env.name}: {ef.error if ef else 'not observed'}")
                continue
            pending = pending_hosts(ef, version)
            if not pending:
                continue
            if ef.secret_errors:
                notes.append(f"{env.name}: " + "; ".join(ef.secret_errors))
                continue
            after = self._after(inp, env, actions, f.environments, version)
            if isinstance(after, str):
                notes.append(f"{env.name}: {after}")
                continue
            batch = rollout_batch(env, ef, pending)
            if isinstance(batch, str):
                notes.append(f"{env.name}: {batch}")
                continue
            actions[env.name] = self._action(inp, env, ef, version, pending, after, batch)
        return self._draft(inp, version, observed, actions, notes, unknown)

    @staticmethod
    def _after(inp: FacetInput, env: Environment, actions, envs, version: str) -> tuple[str, ...] | str:
        """What the environment's deploy waits for, or why it cannot be planned yet (promoteAfter)."""
        after = tuple(inp.after)
        if env.promote_after is None:
            return after
        if env.promote_after in actions:
            return (actions[env.promote_after].id,)  # which waits for the chain itself
        upstream = envs.get(env.promote_after)
        if isinstance(upstream, EnvironmentFacts) and not pending_hosts(upstream, version):
            return after
        return f"waiting for {env.promote_after} to be healthy on {version}"

    @staticmethod
    def _action(
        inp: FacetInput, env: Environment, ef: EnvironmentFacts, version, pending, after, batch
    ) -> Action:
        hosts = [h.host for h in ef.hosts]
        previous = previous_version(ef, version)
        what = "first deploy" if previous is None else f"{previous} -> {version}"
        reason = (
            f"deploy: want {version} healthy on {env.name}: {len(pending)} of {len(hosts)} host"
            f"{'s' if len(hosts) != 1 else ''} to change ({what}), batches of {batch}"
        )
        params = {
            "environment": env.name,
            "version": version,
            "previous": previous,
            "hosts": hosts,
            "pending": pending,
            "batch": batch,
            "secrets": env.secret_refs(),
        }
        return Action(
            id=action_id(inp.name, ActionKind.DEPLOY_RUN, env.name),
            product=inp.name,
            kind=ActionKind.DEPLOY_RUN,
            params=params,
            reason=reason,
            depends_on=list(after),
        )

    @staticmethod
    def _draft(inp: FacetInput, version: str, observed: str, actions, notes, unknown) -> FacetDraft:
        if not actions and not notes:
            message = f"{version} healthy on every host of " + ", ".join(
                e.name for e in inp.product.spec.deploy.environments
            )
            return FacetDraft(facet_state(WANT, observed, FacetState.IN_SYNC, message))
        message = "; ".join([f"{a.params['environment']}: -> {version}" for a in actions.values()] + notes)
        state = FacetState.DRIFT if actions else FacetState.UNKNOWN if unknown else FacetState.BLOCKED
        ids = tuple(a.id for a in actions.values())
        return FacetDraft(
            facet_state(WANT, observed, state, message), tuple(actions.values()), chain=(*inp.after, *ids)
        )


def _observed(envs) -> str:
    """``staging=1.2.0, production=1.1.0`` (the versions each environment runs; ``mixed`` if several)."""
    parts = []
    for name, ef in envs.items():
        if isinstance(ef, Unknown):
            parts.append(f"{name}=unknown")
            continue
        versions = sorted({h.version or "none" for h in ef.hosts})
        parts.append(f"{name}=" + (versions[0] if len(versions) == 1 else "mixed"))
    return ", ".join(parts) or "no hosts"
