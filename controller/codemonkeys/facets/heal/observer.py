"""Heal facts of a red build (part of the build facet's observation): the failure, the attempts made on
the red commit, and the fix templates that fit it and were not tried on it yet, best record first.

Read from the swarm store (signatures, heal attempts, fix templates); the templates are read once per
run and shared by every product.

A green build whose history holds a proven heal that is not recorded as merged (``heal.merge`` was
killed after its push landed) carries the heal facts of that heal's red commit (``HealFacts.commit``),
so the next plan runs ``heal.merge`` again to finish its bookkeeping (branch deleted, status, template).

In pull-request mode a green attempt carries its pull request as the forge shows it now
(``act.pulls.observe``: one or two forge calls per open heal pull request, none otherwise).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from codemonkeys.act.pulls import observe as observe_pull
from codemonkeys.act.pulls import pull_requests
from codemonkeys.facets.heal.llm import llm_endpoint
from codemonkeys.kinds.models import HealStrategy
from codemonkeys.repos import GitError, Mirror
from codemonkeys.swarm.knowledge import failure_summaries, fitting_templates
from codemonkeys.vocab.facts import (
    BuildFacts,
    BuildStatus,
    HealAttempt,
    HealCandidate,
    HealFacts,
    HealStatus,
    LLMOutage,
)

if TYPE_CHECKING:
    from codemonkeys.observe import Observer


def with_heal(run: Observer, name: str, build: BuildFacts) -> BuildFacts:
    """``build`` with its heal facts when it is red and the product heals; unchanged otherwise."""
    spec = run.desired.products[name].spec.build
    if spec is None or spec.heal is None:
        return build
    if build.status is BuildStatus.SUCCESS:
        return _landed(run, name, build)
    if build.status is not BuildStatus.FAILURE:
        return build
    return build.model_copy(update={"heal": heal_facts(run, name, build.commit)})


def _landed(run: Observer, name: str, build: BuildFacts) -> BuildFacts:
    """A green ``build`` with the heal facts of a proven heal already in its history but not recorded as
    merged (see the module docstring); unchanged when there is none."""
    green = [a for a in run.store.heal_attempts(name) if a.status == HealStatus.GREEN and a.heal_commit]
    if not green:
        return build
    try:
        with Mirror(run.mirror(name)) as repo:
            landed = [a for a in green if repo.is_ancestor(a.heal_commit, build.commit)]
    except GitError:
        return build
    if not landed:
        return build
    red = landed[-1].commit
    return build.model_copy(update={"heal": heal_facts(run, name, red).model_copy(update={"commit": red})})


def heal_facts(run: Observer, name: str, commit: str) -> HealFacts:
    """What self-healing knows about the red ``commit`` of ``name`` (see the module docstring)."""
    signatures = failure_summaries(run.store, name, commit)
    records = run.once("fix-templates", run.store.templates)
    by_id = {r.id: r for r in records}
    attempts = run.store.heal_attempts(name, commit)
    tried = {a.template for a in attempts if a.template}
    last = max((a.started_at for a in attempts), default=None)
    fits = fitting_templates(records, [s.summary for s in signatures])
    candidates = [
        HealCandidate(
            template=f.record.id,
            description=f.record.description,
            successes=f.record.successes,
            failures=f.record.failures,
            origin=f"{'human fix' if f.record.origin == 'human' else 'heal'} in {f.record.origin_product}",
            new=last is not None and f.record.learned_at > last,
        )
        for f in fits
        if f.record.id not in tried
    ]
    pulls = pull_requests(run.desired, name)
    down = _llm_down(run, name)
    fingerprints = {s.fingerprint for s in signatures}
    flaked = sum(1 for f in run.store.flaky(name) if f.fingerprint in fingerprints)
    return HealFacts(
        flaky=flaked,
        signature=signatures[0].fingerprint if signatures else None,
        summary=signatures[0].summary if signatures else None,
        attempts=[
            HealAttempt(
                n=a.n,
                strategy=a.strategy,
                template=a.template,
                branch=a.branch or None,
                commit=a.heal_commit,
                status=HealStatus(a.status),
                lines=a.lines,
                files=list(a.files or []),
                reason=a.reason,
                successes=by_id[a.template].successes if a.template in by_id else 0,
                failures=by_id[a.template].failures if a.template in by_id else 0,
                patch=a.patch if a.status == HealStatus.GREEN else "",
                pull=(
                    observe_pull(run.desired, run.store, run.context.secrets, name, a.branch)
                    if pulls and a.status == HealStatus.GREEN and a.branch
                    else None
                ),
            )
            for a in attempts
        ],
        candidates=candidates,
        llm_down=down,
    )


def _llm_down(run: Observer, name: str) -> LLMOutage | None:
    """The LLM server's outage while its next try is still ahead (read once per run), for a product
    that may ask it; None otherwise."""
    heal = run.desired.products[name].spec.build.heal if run.desired.products[name].spec.build else None
    if heal is None or HealStrategy.LLM not in heal.strategies or run.desired.fleet.spec.llm.ollama is None:
        return None
    endpoint = llm_endpoint(run.desired, run.context.env)
    rec = run.once(("llm-outage", endpoint), lambda: run.store.outage(endpoint))
    if rec is None or rec.retry_at <= datetime.now(UTC):
        return None
    return LLMOutage(
        endpoint=endpoint,
        since=rec.since.isoformat(timespec="seconds"),
        retry_at=rec.retry_at.isoformat(timespec="seconds"),
        failures=rec.failures,
        error=rec.error,
    )
