"""One product's own part of a plan (pure): what a reconcile of that product alone may apply.

A controller's reconcile of a product plans it with its dependencies (their state feeds its gate and
its waits) but applies only its own actions: a dependency's actions are the dependency's own
reconcile's work, under the dependency's own job lock. So a reconcile that holds a product's lock
touches that product only, and "never two reconciles of a product at once" follows from the lock
alone (``service/workers.py``).

An action of the product that waits, directly or through its other actions, for an action of another
product is left for later. The other product is named in ``waiting_on`` when its action will run (it
is allowed and so is everything it waits for: that product's reconcile will do it, then this one is
due again); a wait on a held or denied action, even through others, names nobody (a person or a
policy change has to move first).
"""

from __future__ import annotations

from dataclasses import dataclass

from codemonkeys.vocab.plan import Plan, Verdict


@dataclass(frozen=True)
class OwnPart:
    """A product's part of a plan: its actions that wait on no other product, and what the rest wait for."""

    plan: Plan  # the plan with only those actions (its products, facets and fingerprint unchanged)
    deferred: tuple[str, ...]  # ids of the product's actions left for later (sorted)
    waiting_on: tuple[str, ...]  # products whose allowed actions the deferred ones wait for (sorted)


def own_part(plan: Plan, product: str) -> OwnPart:
    """``product``'s own part of ``plan`` (see the module docstring)."""
    by_id = {a.id: a for a in plan.actions}
    will_run: set[str] = set()
    for a in sorted(plan.actions, key=lambda a: (a.wave, a.id)):  # waves: dependencies come first
        if a.decision.verdict is Verdict.ALLOW and all(d in will_run for d in a.depends_on if d in by_id):
            will_run.add(a.id)
    deferred: set[str] = set()
    waiting_on: set[str] = set()
    mine = sorted((a for a in plan.actions if a.product == product), key=lambda a: (a.wave, a.id))
    for a in mine:
        outside = [by_id[d] for d in a.depends_on if d in by_id and by_id[d].product != product]
        if outside or any(d in deferred for d in a.depends_on):
            deferred.add(a.id)
            waiting_on.update(o.product for o in outside if o.id in will_run)
    kept = [a for a in plan.actions if a.product == product and a.id not in deferred]
    return OwnPart(
        plan.model_copy(update={"actions": kept}), tuple(sorted(deferred)), tuple(sorted(waiting_on))
    )
