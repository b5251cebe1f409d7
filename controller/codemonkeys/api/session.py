"""``FleetSession``: a loaded fleet with its state store and context, built of the commands
(``api/commands.py``) and the read models (``api/queries.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from codemonkeys.api.commands import Commands
from codemonkeys.api.queries import ReadModels
from codemonkeys.api.values import (
    _open_store,
)
from codemonkeys.context import Context
from codemonkeys.facets.base import FleetMemo
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.load import load_fleet, load_fleet_or_raise
from codemonkeys.policy.gate import DecisionMemo
from codemonkeys.store.db import Store
from codemonkeys.vocab.diagnostics import Diagnostic
from codemonkeys.vocab.facts import ProductFacts


@dataclass
class FleetSession(Commands, ReadModels):
    """A loaded fleet with its state store and context: the front ends' entry point."""

    desired: DesiredState
    store: Store
    context: Context
    workers: int = 8
    # The last git facts of every product seen (what their manifests require): a partial plan (one
    # product's reconcile) reads the others' here instead of observing the whole fleet each time.
    known_git: dict[str, ProductFacts] = field(default_factory=dict, repr=False, compare=False)
    # what the planner derives per product from the others (who requires what), kept between plans
    fleet_memo: FleetMemo = field(default_factory=FleetMemo, repr=False, compare=False)
    # the gate's decisions by input hash: an action whose inputs stand is not decided again (a
    # controller passes it on to the session of a reloaded fleet: the hash covers everything)
    decisions: DecisionMemo = field(default_factory=DecisionMemo, repr=False, compare=False)

    @classmethod
    def open(cls, root: Path | str, context: Context) -> FleetSession:
        """Load the fleet at ``root`` and open its store; ``LoadError`` (every diagnostic) if invalid."""
        desired = load_fleet_or_raise(root)
        return cls(desired, _open_store(desired, context), context)

    @classmethod
    def load(cls, root: Path | str, context: Context) -> tuple[FleetSession | None, list[Diagnostic]]:
        """Like ``open`` but returns the diagnostics instead of raising."""
        desired, diags = load_fleet(root)
        return (cls(desired, _open_store(desired, context), context) if desired else None), diags
