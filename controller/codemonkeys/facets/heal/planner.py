"""Self-healing of a red build (part of the build facet): which heal step comes next, if any.

Pure. Given the red build's ``HealFacts`` (its failure, the attempts so far, the fix templates that fit
and were not tried on this commit) and the product's ``build.heal`` settings:

* a green attempt -> ``heal.merge`` of its branch (the constitution decides: a template with a clean
  record merges, an LLM patch waits for approval in the shipped constitution); in pull-request mode
  the action carries what the forge says of the attempt's pull request (``Action.pull``: held while
  the forge will not merge it, its approving reviews counted as approvals);
* an attempt still proving -> ``build.heal`` of that same attempt (the actuator resumes it);
* a fitting template not tried yet, while attempts remain (or learned after the last attempt, which
  earns a fresh one) -> ``build.heal`` with that template;
* attempts remain and ``llm`` is allowed -> ``build.heal`` asking the LLM, unless its server is out
  (``HealFacts.llm_down``): then the product waits for the server's next try (not stuck, nothing counted);
* otherwise the product waits for a person, and the facet message says what was tried.

A failure known to be flaky in this product (it passed on a re-run before) is never healed.

CEL sees ``action.params.strategy`` (template | llm), ``signature``, ``template`` (id or null),
``lines`` and ``files`` (the patch's size and paths; for ``build.heal`` known once the patch exists, so
0 and [] there), ``successes`` and ``failures`` (the template's record; 0 for an LLM patch) and
``attempt`` on both actions. ``heal.merge`` also carries the proven ``patch``, so the plan, ``cmctl
explain`` and an approver see the diff they decide on.
"""

from __future__ import annotations

from dataclasses import dataclass

from codemonkeys.facets.base import pull_gate
from codemonkeys.kinds.models import Heal, HealStrategy
from codemonkeys.vocab.facts import HealAttempt, HealFacts, HealStatus
from codemonkeys.vocab.plan import ActionKind, PullGate

SPENT = (HealStatus.RED, HealStatus.INVALID, HealStatus.CLOSED)


@dataclass(frozen=True)
class HealStep:
    """The next heal action (``kind`` None: nothing to do, the product waits for a person) and why."""

    kind: ActionKind | None
    params: dict
    reason: str
    pull: PullGate | None = None  # a merge through a pull request: what the forge says of it
    waiting: bool = False  # nothing now, but nothing a person must do either (the LLM's server is out)


def branch_name(product: str, signature: str | None, n: int) -> str:
    """The proving branch of attempt ``n``: ``heal/<product>/<short-signature>-<n>``."""
    return f"heal/{product}/{(signature or 'unrecognized')[:8]}-{n}"


def tried(facts: HealFacts) -> str:
    """What was tried on this commit, for messages: "2 attempts: template ab12 red, llm invalid (...)"."""
    if not facts.attempts:
        return "nothing tried yet"
    parts = [
        f"#{a.n} {a.strategy}{' ' + a.template if a.template else ''} {a.status}"
        + (f" ({a.reason})" if a.reason and a.status in SPENT else "")
        for a in facts.attempts
    ]
    return f"{len(parts)} attempt(s): " + "; ".join(parts)


def next_step(product: str, commit: str, facts: HealFacts, heal: Heal) -> HealStep:
    """The next heal step for the red ``commit`` (see the module docstring)."""
    base = {"commit": commit, "signature": facts.signature}
    what = facts.summary or "an unrecognized failure"
    green = [a for a in facts.attempts if a.status is HealStatus.GREEN]
    if green:
        a = green[-1]
        params = (
            base
            | _attempt_params(a)
            | {"heal_commit": a.commit, "branch": a.branch, "merge": heal.merge, "patch": a.patch}
        )
        reason = f"build: heal #{a.n} ({a.strategy}) is green on {a.branch}: merge it"
        gate, said = pull_gate(a.pull)
        return HealStep(ActionKind.HEAL_MERGE, params, reason + said, gate)
    proving = [a for a in facts.attempts if a.status is HealStatus.PROVING]
    if proving:
        a = proving[-1]
        params = base | _attempt_params(a) | {"branch": a.branch}
        return HealStep(ActionKind.BUILD_HEAL, params, f"build: heal #{a.n} on {a.branch} has no result yet")
    if facts.flaky:
        return HealStep(
            None, {}, f"{what} flaked {facts.flaky} time(s) here (passed on a re-run): not healed, push a fix"
        )
    spent = sum(1 for a in facts.attempts if a.status in SPENT)
    n = len(facts.attempts) + 1
    if HealStrategy.TEMPLATE in heal.strategies and facts.signature:
        fresh = [c for c in facts.candidates if spent < heal.max_attempts or c.new]
        if fresh:
            c = fresh[0]
            params = base | {
                "attempt": n,
                "strategy": str(HealStrategy.TEMPLATE),
                "template": c.template,
                "lines": 0,
                "files": [],
                "successes": c.successes,
                "failures": c.failures,
                "branch": branch_name(product, facts.signature, n),
            }
            record = f"{c.successes} success(es), {c.failures} failure(s)"
            return HealStep(
                ActionKind.BUILD_HEAL,
                params,
                f"build: red with {what}; heal #{n} with template {c.template} ({c.description}; {record})",
            )
    if HealStrategy.LLM in heal.strategies and spent < heal.max_attempts and facts.llm_down is not None:
        down = facts.llm_down
        return HealStep(
            None,
            {},
            f"heal #{n} waits for the LLM at {down.endpoint}: unavailable since {down.since} ({down.error}), "
            f"next try after {down.retry_at}; nothing is counted while it is out",
            waiting=True,
        )
    if HealStrategy.LLM in heal.strategies and spent < heal.max_attempts:
        params = base | {
            "attempt": n,
            "strategy": str(HealStrategy.LLM),
            "template": None,
            "lines": 0,
            "files": [],
            "successes": 0,
            "failures": 0,
            "branch": branch_name(product, facts.signature, n),
        }
        return HealStep(
            ActionKind.BUILD_HEAL, params, f"build: red with {what}; heal #{n}: ask the LLM for a patch"
        )
    why = (
        f"heal gave up after {spent} of {heal.max_attempts} attempts"
        if spent >= heal.max_attempts
        else "no fix template fits and the llm strategy is off"
    )
    return HealStep(None, {}, f"{why} ({tried(facts)}): push a fix")


def _attempt_params(a: HealAttempt) -> dict:
    return {
        "attempt": a.n,
        "strategy": a.strategy,
        "template": a.template,
        "lines": a.lines,
        "files": list(a.files),
        "successes": a.successes,
        "failures": a.failures,
    }
