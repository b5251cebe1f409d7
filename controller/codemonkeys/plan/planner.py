"""The planner (stage 3: plan): a PURE function from desired + observed state to a gated Plan.

``plan(desired, observed, gate, now)`` does no I/O. Per product it compares three facets:

* build   green    = the CI result of the build commit (HEAD, skipping ``[skip ci]`` commits) is success
* docs    current  = the published docs were built from HEAD's docs inputs
* release released = nothing releasable since the last version tag, and that version is in every
                     registry of ``release.publish``

and plans only what the diff needs, chained per product: build.run -> docs.build -> release.cut ->
release.publish/<registry>. Across products a release.cut waits for the release.publish actions of
every product it ``dependsOn``. Actions form a networkx DAG; waves are its topological generations,
ties broken by action id. Every action passes through the gate; its verdict lands in the plan.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import networkx as nx
from codemonkeys.kinds.models import Product, Versioning
from codemonkeys.observe.conventional import format_tag, version_in
from codemonkeys.observe.facts import BuildStatus, GitFacts, ProductFacts, Unknown
from codemonkeys.plan.model import (
    Action,
    ActionKind,
    Facet,
    FacetName,
    FacetState,
    FleetRef,
    Plan,
    ProductPlan,
    Verdict,
)
from codemonkeys.policy.gate import Approval, FactValue, Gate, PolicyInput


@dataclass(frozen=True)
class DesiredView:
    """The slice of the desired state the planner needs (decoupled from files and paths)."""

    root: str
    revision: str
    digest: str
    products: Mapping[str, Product]
    name: str = ""  # the Fleet's metadata.name
    ci: Mapping[str, str] = field(default_factory=dict)  # product -> CI kind in effect (default local)


def action_id(product: str, kind: ActionKind, target: str | None = None) -> str:
    return f"{product}/{kind}" + (f"/{target}" if target else "")


def _short(sha: str | None) -> str:
    return (sha or "?")[:12]


@dataclass
class _Draft:
    """Actions and facets of one product before gating and wave assignment."""

    actions: list[Action]
    facets: dict[str, Facet]


def _facet(want: str, observed: str, state: FacetState, message: str = "") -> Facet:
    return Facet(
        want=want, observed=observed, in_sync=state is FacetState.IN_SYNC, state=state, message=message
    )


def plan_product(name: str, product: Product, facts: ProductFacts, ci: str = "local") -> _Draft:
    """Facets and (ungated, unordered-across-products) actions for one product. Pure."""
    spec = product.spec
    actions: list[Action] = []
    facets: dict[str, Facet] = {}
    git = facts.git

    if isinstance(git, Unknown):
        for facet, want in (
            (FacetName.BUILD, spec.build),
            (FacetName.DOCS, spec.docs),
            (FacetName.RELEASE, spec.release),
        ):
            if want is not None:
                facets[facet] = _facet(want.want, "unknown", FacetState.UNKNOWN, git.error)
        return _Draft(actions, facets)

    # --- build -------------------------------------------------------------------------------
    build_ok: bool | None = True  # True green, None pending (build.run planned), False red/unknown
    build_blocker = ""
    build_action: str | None = None
    if spec.build is not None:
        b = facts.build
        if ci == "jenkins" and not git.jenkinsfile:
            # Jenkins builds the repo's Jenkinsfile: first commit one (from the language's template) and
            # build that commit; docs and release wait for the next round (sync waves, Argo CD style).
            build_action = action_id(name, ActionKind.BUILD_RUN)
            reason = (
                f"build: no Jenkinsfile at {_short(git.head)}: "
                f"generate one from the {product.spec.language} template"
            )
            facets[FacetName.BUILD] = _facet("green", "no Jenkinsfile", FacetState.DRIFT, reason)
            actions.append(
                Action(
                    id=build_action,
                    product=name,
                    kind=ActionKind.BUILD_RUN,
                    params={"commit": git.head, "jenkinsfile": "generate"},
                    reason=reason,
                )
            )
            build_ok, build_blocker = False, "waiting for the generated Jenkinsfile to be built"
        elif b is None or isinstance(b, Unknown):
            err = b.error if isinstance(b, Unknown) else "not observed"
            facets[FacetName.BUILD] = _facet("green", "unknown", FacetState.UNKNOWN, err)
            build_ok, build_blocker = False, "the build state is unknown"
        elif b.status is BuildStatus.SUCCESS:
            facets[FacetName.BUILD] = _facet(
                "green", "green", FacetState.IN_SYNC, f"build of {_short(b.commit)} passed"
            )
        elif b.status is BuildStatus.NONE:
            build_action = action_id(name, ActionKind.BUILD_RUN)
            reason = f"build: want green, no CI result for {_short(b.commit)}"
            facets[FacetName.BUILD] = _facet("green", "none", FacetState.DRIFT, reason)
            actions.append(
                Action(
                    id=build_action,
                    product=name,
                    kind=ActionKind.BUILD_RUN,
                    params={"commit": b.commit},
                    reason=reason,
                )
            )
            build_ok = None
        elif b.status is BuildStatus.RUNNING:
            facets[FacetName.BUILD] = _facet(
                "green", "running", FacetState.DRIFT, f"a build of {_short(b.commit)} is running"
            )
            build_ok, build_blocker = False, f"the build of {_short(b.commit)} is still running"
        else:
            facets[FacetName.BUILD] = _facet(
                "green", "red", FacetState.FAILED, f"build of {_short(b.commit)} failed: push a fix"
            )
            build_ok, build_blocker = False, f"the build of {_short(b.commit)} is red"

    upstream = [build_action] if build_action else []

    # --- docs --------------------------------------------------------------------------------
    docs_action: str | None = None
    if spec.docs is not None:
        d = facts.docs
        if git.docs_inputs is None:
            facets[FacetName.DOCS] = _facet(
                "current",
                "unknown",
                FacetState.UNKNOWN,
                f"no docs inputs at {_short(git.head)}: {spec.docs.dir}/ or {spec.docs.config} is missing",
            )
        elif d is None or isinstance(d, Unknown):
            facets[FacetName.DOCS] = _facet(
                "current",
                "unknown",
                FacetState.UNKNOWN,
                d.error if isinstance(d, Unknown) else "not observed",
            )
        elif d.published_inputs == git.docs_inputs:
            facets[FacetName.DOCS] = _facet(
                "current", "current", FacetState.IN_SYNC, f"published from {_short(d.published_commit)}"
            )
        else:
            observed = (
                "never published"
                if d.published_inputs is None
                else f"built from {_short(d.published_commit)}"
            )
            if build_ok is False:
                facets[FacetName.DOCS] = _facet(
                    "current", observed, FacetState.BLOCKED, f"waiting: {build_blocker}"
                )
            else:
                what = (
                    "the public API"
                    if d.published_api and d.published_api != git.api_fingerprint
                    else "docs inputs"
                )
                reason = f"docs: want current, {observed}; {what} changed at {_short(git.head)}"
                docs_action = action_id(name, ActionKind.DOCS_BUILD)
                facets[FacetName.DOCS] = _facet("current", observed, FacetState.DRIFT, reason)
                actions.append(
                    Action(
                        id=docs_action,
                        product=name,
                        kind=ActionKind.DOCS_BUILD,
                        params={"commit": git.head, "inputs": git.docs_inputs, "api": git.api_fingerprint},
                        reason=reason,
                        depends_on=list(upstream),
                    )
                )
    if docs_action:
        upstream = [docs_action]

    # --- release -----------------------------------------------------------------------------
    if spec.release is not None:
        facets[FacetName.RELEASE], release_actions = _plan_release(
            name, product, git, facts, build_ok, build_blocker, upstream
        )
        actions.extend(release_actions)
    return _Draft(actions, facets)


def _plan_release(name, product, git: GitFacts, facts, build_ok, build_blocker, upstream):
    rel = product.spec.release
    actions: list[Action] = []
    if rel.versioning is Versioning.PINNED:
        target = rel.version
        cut_needed = format_tag(product.spec.tag_format, name, target) not in git.tags
        why = f"pinned version {target} has no tag"
    else:
        cut_needed = git.next_version is not None
        target = git.next_version if cut_needed else git.last_version
        n = len(git.commits_since)
        why = (
            f"{n} commit{'s' if n != 1 else ''} since {git.last_tag} ({git.bump} bump)"
            if git.last_tag
            else "never released"
        )
    unknown = {r: f.error for r, f in facts.registries.items() if isinstance(f, Unknown)}
    missing = [
        p
        for p in rel.publish
        if p.registry not in unknown
        and (cut_needed or not version_in(target, facts.registries[p.registry].versions))
    ]
    observed = f"{git.last_version or 'unreleased'}"

    if not cut_needed and not missing and not unknown:
        where = ", ".join(p.registry for p in rel.publish) or "no registry"
        return _facet("released", observed, FacetState.IN_SYNC, f"{target} published to {where}"), actions
    if unknown and not cut_needed and not missing:
        msg = "; ".join(unknown.values())
        return _facet("released", observed, FacetState.UNKNOWN, msg), actions
    if build_ok is False:
        return _facet("released", observed, FacetState.BLOCKED, f"waiting: {build_blocker}"), actions

    cut_id = None
    if cut_needed:
        cut_id = action_id(name, ActionKind.RELEASE_CUT)
        actions.append(
            Action(
                id=cut_id,
                product=name,
                kind=ActionKind.RELEASE_CUT,
                params={
                    "version": target,
                    "previous": git.last_version,
                    "bump": str(git.bump),
                    "tag": format_tag(product.spec.tag_format, name, target),
                    "commit": git.head,
                },
                reason=f"release: want released, {why} -> {target}",
                depends_on=list(upstream),
            )
        )
    for pub in missing:
        actions.append(
            Action(
                id=action_id(name, ActionKind.RELEASE_PUBLISH, pub.registry),
                product=name,
                kind=ActionKind.RELEASE_PUBLISH,
                params={
                    "registry": pub.registry,
                    "package": pub.package,
                    "version": target,
                    "tag": format_tag(product.spec.tag_format, name, target),
                },
                reason=f"release: {pub.package} {target} is not in registry {pub.registry}",
                depends_on=[cut_id] if cut_id else [],
            )
        )
    message = (
        f"{observed} -> {target}"
        if cut_needed
        else f"{target} not yet in " + ", ".join(p.registry for p in missing)
    )
    if unknown:
        message += "; " + "; ".join(unknown.values())
    return _facet("released", observed, FacetState.DRIFT, message), actions


# --- facts the constitution can require -----------------------------------------------------


def _facet_fact(facet: Facet | None, pending: bool) -> FactValue:
    if facet is None:
        return FactValue.TRUE  # nothing wanted: trivially holds
    if facet.in_sync:
        return FactValue.TRUE
    if pending:
        return FactValue.PENDING
    return FactValue.UNKNOWN if facet.state is FacetState.UNKNOWN else FactValue.FALSE


def _policy_facts(
    name: str, drafts: Mapping[str, _Draft], ancestors: set[str], products
) -> dict[str, FactValue]:
    """The facts an action can require: this product's and (prefixed deps.) its dependencies'."""

    def for_product(p: str) -> dict[str, FactValue]:
        draft = drafts.get(p)
        facets = draft.facets if draft else {}
        kinds = {a.id: a.kind for a in draft.actions} if draft else {}

        def pending(kind: ActionKind) -> bool:
            return any(k is kind and aid in ancestors for aid, k in kinds.items())

        return {
            "build.green": _facet_fact(facets.get(FacetName.BUILD), pending(ActionKind.BUILD_RUN)),
            "docs.current": _facet_fact(facets.get(FacetName.DOCS), pending(ActionKind.DOCS_BUILD)),
            "release.published": _facet_fact(
                facets.get(FacetName.RELEASE), pending(ActionKind.RELEASE_PUBLISH)
            ),
        }

    facts = for_product(name)
    deps = products[name].spec.depends_on
    for key in ("build.green", "docs.current", "release.published"):
        values = [for_product(d)[key] for d in deps] or [FactValue.TRUE]
        order = [FactValue.FALSE, FactValue.UNKNOWN, FactValue.PENDING, FactValue.TRUE]
        facts[f"deps.{key}"] = min(values, key=order.index)
    return facts


# --- the whole fleet --------------------------------------------------------------------------


def _ancestors_within(dag: nx.DiGraph, node: str, scope: set[str]) -> set[str]:
    """Ancestors of ``node`` reachable through nodes of ``scope`` (a walk over predecessors)."""
    seen: set[str] = set()
    stack = [node]
    pred = dag.pred
    while stack:
        for p in pred[stack.pop()]:
            if p in scope and p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def product_fingerprint(desired: DesiredView, facts: ProductFacts) -> str:
    doc = {"revision": desired.revision, "digest": desired.digest, "facts": facts.model_dump(mode="json")}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def fingerprint(desired: DesiredView, observed: Mapping[str, ProductFacts]) -> str:
    doc = {
        "revision": desired.revision,
        "digest": desired.digest,
        "facts": {name: observed[name].model_dump(mode="json") for name in sorted(observed)},
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def dependency_closure(products: Mapping[str, Product], selected: Iterable[str]) -> set[str]:
    """``selected`` plus everything they depend on, transitively."""
    graph = nx.DiGraph()
    for name, p in products.items():
        graph.add_node(name)
        graph.add_edges_from((name, d) for d in p.spec.depends_on)
    out: set[str] = set()
    for name in selected:
        out |= {name} | nx.descendants(graph, name)
    return out


def plan(
    desired: DesiredView,
    observed: Mapping[str, ProductFacts],
    gate: Gate,
    now: datetime,
    only: Iterable[str] | None = None,
    approvals: Mapping[str, Sequence[Approval]] | None = None,
) -> Plan:
    """Diff desired vs observed for the products in ``observed`` (or ``only``) into a gated Plan.

    ``approvals`` (action id -> approvals on record) lets held actions through; each approval counts
    only for the fleet revision and product fingerprint it was given for.
    """
    names = sorted(set(only) if only is not None else set(observed))
    fingerprints = {n: product_fingerprint(desired, observed[n]) for n in names}
    drafts = {n: plan_product(n, desired.products[n], observed[n], desired.ci.get(n, "local")) for n in names}

    # Suspended products are observed and shown, never acted on.
    suspended = {n for n in names if desired.products[n].spec.suspend}
    actions = {a.id: a for n in names if n not in suspended for a in drafts[n].actions}

    dag = nx.DiGraph()
    dag.add_nodes_from(actions)
    for a in actions.values():
        dag.add_edges_from((d, a.id) for d in a.depends_on)
    # Across products: a release.cut waits for the publishes of every product it depends on.
    publishes: dict[str, list[str]] = {}
    for a in actions.values():
        if a.kind is ActionKind.RELEASE_PUBLISH:
            publishes.setdefault(a.product, []).append(a.id)
    for a in actions.values():
        if a.kind is ActionKind.RELEASE_CUT:
            for dep in desired.products[a.product].spec.depends_on:
                dag.add_edges_from((pub, a.id) for pub in publishes.get(dep, ()))

    waves: dict[str, int] = {}
    for i, generation in enumerate(nx.topological_generations(dag), start=1):
        for aid in generation:
            waves[aid] = i

    # The facts an action may require concern its own product and its direct dependencies, and every
    # path from a dependency's action into this product passes through that dependency's publish ->
    # this product's release.cut edge; so ancestry within those products' actions is exact and cheap.
    by_product: dict[str, list[str]] = {}
    for aid, a in actions.items():
        by_product.setdefault(a.product, []).append(aid)
    scopes: dict[str, set[str]] = {}

    planned: list[Action] = []
    allowed: set[str] = set()
    for aid in sorted(actions, key=lambda x: (waves[x], x)):
        a = actions[aid]
        if a.product not in scopes:
            related = [a.product, *desired.products[a.product].spec.depends_on]
            scopes[a.product] = {x for p in related for x in by_product.get(p, ())}
        # A fact is `pending` only if an allowed upstream action establishes it (ancestors come first).
        ancestors = _ancestors_within(dag, aid, scopes[a.product]) & allowed
        facts = _policy_facts(a.product, drafts, ancestors, desired.products)
        decision = gate.decide(
            PolicyInput(
                action_id=aid,
                kind=str(a.kind),
                product=desired.products[a.product],
                facts=facts,
                now=now,
                params=a.params,
                fleet=desired.name,
                revision=desired.revision,
                product_fingerprint=fingerprints[a.product],
                approvals=tuple((approvals or {}).get(aid, ())),
            )
        )
        if decision.verdict is Verdict.ALLOW:
            allowed.add(aid)
        deps = sorted(dag.predecessors(aid))
        planned.append(a.model_copy(update={"wave": waves[aid], "depends_on": deps, "decision": decision}))

    products = {
        n: ProductPlan(
            in_sync=all(f.in_sync for f in drafts[n].facets.values()),
            facets=drafts[n].facets,
            suspended=n in suspended,
            fingerprint=fingerprints[n],
        )
        for n in names
    }
    return Plan(
        fleet=FleetRef(root=desired.root, revision=desired.revision),
        fingerprint=fingerprint(desired, {n: observed[n] for n in names}),
        actions=planned,
        products=products,
    )
