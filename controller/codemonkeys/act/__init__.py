"""Act (stage 5: apply): one actuator per side effect. Each facet names its actuators (``facets/``);
``actuator_for`` resolves the one for an action."""

from __future__ import annotations

from codemonkeys.act.base import ActContext, ActionResult, Actuator, Outcome, Redactor
from codemonkeys.facets import FACETS, Registry
from codemonkeys.vocab.plan import Action


def _unsupported(action: Action, ctx: ActContext) -> ActionResult:
    return ActionResult(Outcome.FAILED, f"{action.id}: {action.kind} is not supported by this version")


def actuator_for(action: Action, registry: Registry = FACETS) -> Actuator:
    """The actuator the owning facet registered for ``action.kind`` (a failing one if none does)."""
    try:
        return registry.actuator(action.kind).load()
    except KeyError:
        return _unsupported


def run_hooks(event: str, *args: object, registry: Registry = FACETS) -> list[object]:
    """Call every facet's hook for ``event`` (``FacetPlugin.hooks``) with ``args``, in registry order; their
    results. How an actuator tells other facets what happened without importing them."""
    return [ref.load()(*args) for ref in registry.hooks(event)]


__all__ = ["ActContext", "ActionResult", "Actuator", "Outcome", "Redactor", "actuator_for", "run_hooks"]
