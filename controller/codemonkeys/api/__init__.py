"""The library API: what the CLI and the controller service call (and the dashboard will). One place, one
behaviour.

A ``FleetSession`` binds a loaded fleet, its state store and the process ``Context``; its methods are the
operations a front end offers: plan, apply-then-refresh, the status report, runs and audit, approve
(with its authorisation check), explain, reconcile one product (the controller's unit of work), and
the oracle's indexing and call graph. Front ends parse and render; expected failures come back as
``ApiError`` (with a message for the user) or as values, never as half-done side effects.

The package: ``session.py`` (``FleetSession``), ``commands.py`` (what changes state), ``queries.py``
(the read models), ``values.py`` (what the calls return and raise); ``tools.py`` and ``oracle.py``: what
else the front ends use, imported where needed. The CLI and the service import the library only through
this package (an import-linter contract).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codemonkeys.vocab.lazyexports import lazy_exports

# name -> the module it comes from: imported on first use (PEP 562), so that a front end importing one
# light part of the package (api.oracle for `cmctl oracle search`) does not load the whole library
_FROM = {
    "FleetSession": "codemonkeys.api.session",
    "BACKOFF_EVENT": "codemonkeys.api.values",
    "ApiError": "codemonkeys.api.values",
    "Applied": "codemonkeys.api.values",
    "ApprovalGiven": "codemonkeys.api.values",
    "Reconciled": "codemonkeys.api.values",
    "ReconcileOutcome": "codemonkeys.api.values",
    "database_state": "codemonkeys.api.values",
    "database_upgrade": "codemonkeys.api.values",
    "Context": "codemonkeys.context",
    "FleetBusy": "codemonkeys.engine",
    "StalePlan": "codemonkeys.engine",
    "load_plan_file": "codemonkeys.engine",
    "STATE_DIR": "codemonkeys.kinds.loader",
    "DesiredState": "codemonkeys.kinds.loader",
    "parse_duration": "codemonkeys.kinds.models",
    "load_fleet": "codemonkeys.load",
    "load_fleet_or_raise": "codemonkeys.load",
    "GitError": "codemonkeys.repos",
    "LoadError": "codemonkeys.vocab.diagnostics",
    "SelectorError": "codemonkeys.vocab.selectors",
}


__getattr__ = lazy_exports(__name__, _FROM, globals())


if TYPE_CHECKING:  # what type checkers and readers see
    from codemonkeys.api.session import FleetSession
    from codemonkeys.api.values import (
        BACKOFF_EVENT,
        ApiError,
        Applied,
        ApprovalGiven,
        Reconciled,
        ReconcileOutcome,
        database_state,
        database_upgrade,
    )
    from codemonkeys.context import Context
    from codemonkeys.engine import FleetBusy, StalePlan, load_plan_file
    from codemonkeys.kinds.loader import STATE_DIR, DesiredState
    from codemonkeys.kinds.models import parse_duration
    from codemonkeys.load import load_fleet, load_fleet_or_raise
    from codemonkeys.repos import GitError
    from codemonkeys.vocab.diagnostics import LoadError
    from codemonkeys.vocab.selectors import SelectorError

__all__ = [
    "BACKOFF_EVENT",
    "STATE_DIR",
    "ApiError",
    "Applied",
    "ApprovalGiven",
    "Context",
    "DesiredState",
    "FleetBusy",
    "FleetSession",
    "GitError",
    "LoadError",
    "ReconcileOutcome",
    "Reconciled",
    "SelectorError",
    "StalePlan",
    "database_state",
    "database_upgrade",
    "load_fleet",
    "load_fleet_or_raise",
    "load_plan_file",
    "parse_duration",
]
