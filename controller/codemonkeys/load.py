"""Load (stage 1): read a fleet repo into a validated ``DesiredState``, every problem as a diagnostic.

Composes the kinds loader with what it asks of the layers above it: CEL compilation of constitution
conditions (``policy.cel``) and the fleet repo's git revision (``gitrev``).
"""

from __future__ import annotations

from pathlib import Path

from codemonkeys import gitrev
from codemonkeys.kinds import loader
from codemonkeys.kinds.loader import DesiredState, LoadHooks
from codemonkeys.kinds.models import Constitution
from codemonkeys.policy.cel import check_condition
from codemonkeys.vocab.diagnostics import Diagnostic, LoadError

HOOKS = LoadHooks(check_condition=check_condition, revision=gitrev.revision, revisions=gitrev.revisions)


def load_fleet(root: Path | str) -> tuple[DesiredState | None, list[Diagnostic]]:
    """Load and validate the fleet repo at ``root``: the state (None on any error) and every diagnostic."""
    return loader.load_fleet(root, HOOKS)


def load_fleet_or_raise(root: Path | str) -> DesiredState:
    """The fleet at ``root``; ``LoadError`` carrying every diagnostic if it is invalid."""
    state, diags = load_fleet(root)
    if state is None:
        raise LoadError(diags)
    return state


def load_constitution(path: Path) -> tuple[Constitution | None, list[Diagnostic]]:
    """One constitution file on its own (policy tests), with the same diagnostics as in a fleet."""
    return loader.load_constitution(path, check_condition)


__all__ = ["DesiredState", "load_constitution", "load_fleet", "load_fleet_or_raise"]
