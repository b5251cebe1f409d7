"""The library API's values and errors: what its calls return and raise (``ApiError``, ``Applied``,
``Reconciled`` and its ``ReconcileOutcome``, ``ApprovalGiven``), the state database's schema calls, and
the helpers the commands and the read models share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from codemonkeys.context import Context
from codemonkeys.engine import (
    ApplyReport,
    open_store,
    state_url_with_credentials,
)
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.load import load_fleet_or_raise
from codemonkeys.store.db import ActionStatus, Store, StoreError
from codemonkeys.store.migrate import SchemaState, schema_state, upgrade
from codemonkeys.swarm.signatures import cause_of_record
from codemonkeys.vocab.diagnostics import LoadError
from codemonkeys.vocab.names import did_you_mean
from codemonkeys.vocab.plan import ActionKind, Decision, Plan

Progress = Callable[[str], None]
BACKOFF_EVENT = "controller.backoff"  # audited by the controller when it backs a product off


class ApiError(Exception):
    """An expected failure of a library call (unknown product, action not held, approver not allowed...);
    the message is for the user."""


def unknown_products(names: Iterable[str], known: Iterable[str]) -> ApiError:
    """``ApiError`` naming products the fleet does not declare, each with the nearest names it does
    ("did you mean"), as kubectl and git suggest."""
    known = sorted(known)
    said = ", ".join(n + did_you_mean(n, known) for n in sorted(set(names)))
    return ApiError(f"unknown product(s): {said}")


@dataclass
class Applied:
    """An apply and the refreshed state of the products it touched (Argo CD's refresh after sync)."""

    report: ApplyReport
    after: Plan | None  # a fresh plan of the touched products (None when nothing was touched)


class ReconcileOutcome(StrEnum):
    """How one reconcile of a product ended (Flux's condition reason): the controller decides from it
    whether and when to look again (``service.controller.next_look``)."""

    IN_SYNC = "in_sync"  # nothing to do
    APPLIED = "applied"  # its allowed actions ran and succeeded
    FAILED = "failed"  # an action of its apply failed
    DRIFTING = "drifting"  # not in sync, nothing it could run now (held, denied, waiting, a red build)
    SUSPENDED = "suspended"  # observed, never acted on (spec.suspend, or an admin)
    BUSY = "busy"  # another apply held a product of its plan
    REMOVED = "removed"  # gone from the fleet while queued
    ERROR = "error"  # the reconcile crashed (a bug): logged, backed off


@dataclass
class Reconciled:
    """One reconcile of a product: what was planned, what the apply did, what is left."""

    outcome: ReconcileOutcome
    ok: bool
    plan: Plan
    report: ApplyReport | None = None
    after: Plan | None = None
    unknown_facets: int = 0
    # products whose allowed actions some of this product's actions wait for: their own reconciles do
    # them, then this product's is due again (``plan.partial.own_part``)
    waiting_on: tuple[str, ...] = ()
    # a successful apply that changed something and left more of its own to do at once (a next wave,
    # e.g. after a new Jenkinsfile); one that changed nothing (its actions held, blocked behind a held
    # one, or noop) is not followed up: the next plan would be the same, and the controller would spin
    follow_up: bool = False
    changed: bool = False  # an action of its apply succeeded

    def fingerprint(self, product: str) -> str | None:
        """``product``'s fingerprint (its documents and observed facts) after this reconcile."""
        for plan in (self.after, self.plan):
            mine = plan.products.get(product) if plan is not None else None
            if mine is not None:
                return mine.fingerprint
        return None


@dataclass(frozen=True)
class ApprovalGiven:
    """An approval on record and what it was bound to; ``will_act`` says whether a running controller
    on the same state acts on it (None: no controller runs), ``why`` explains."""

    action: str
    approver: str
    revision: str
    fingerprint: str
    params: dict[str, Any]
    decision: Decision  # the action's decision after the approval
    will_act: bool | None
    why: str


def _changed(report: ApplyReport) -> bool:
    """Whether an apply did something (an action succeeded, not only noops, holds and skips)."""
    return any(o.status == ActionStatus.SUCCEEDED for o in report.outcomes.values())


def _open_store(desired: DesiredState, context: Context) -> Store:
    try:
        return open_store(desired, context.secrets)
    except StoreError as exc:
        raise ApiError(str(exc)) from None


def _state_engine(root: Path | str, context: Context):
    from sqlalchemy import create_engine

    try:
        desired = load_fleet_or_raise(root)
    except LoadError as exc:
        first = exc.diagnostics[0] if exc.diagnostics else "no fleet"
        raise ApiError(f"the fleet at {root} is invalid (cmctl validate says why): {first}") from None
    desired.state_dir.mkdir(parents=True, exist_ok=True)
    url = state_url_with_credentials(desired, context.secrets)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url)


def database_state(root: Path | str, context: Context) -> SchemaState:
    """The schema revision of the fleet's state database and the newest (``cmctl db current``);
    ``ApiError`` if the database cannot be reached."""
    return _on_state_database(root, context, schema_state)


def database_upgrade(root: Path | str, context: Context) -> tuple[SchemaState, SchemaState]:
    """Migrate the fleet's state database to the newest revision (``cmctl db upgrade``): before, after."""
    return _on_state_database(root, context, lambda engine: (schema_state(engine), upgrade(engine)))


def _on_state_database(root: Path | str, context: Context, work: Callable):
    from sqlalchemy.exc import OperationalError

    engine = _state_engine(root, context)
    try:
        return work(engine)
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise ApiError(f"cannot open the state database {where}: {reason}") from None
    finally:
        engine.dispose()


def _last_action(rec: Any) -> dict[str, Any]:
    """A journaled action as the fleet rows show it."""
    when = rec.finished_at or rec.started_at
    return {
        "run": rec.run_id,
        "action": rec.action_id,
        "status": rec.status,
        "at": when.isoformat(timespec="seconds") if when else None,
    }


def _cause_text(row: Any) -> str:
    """A stored signature's fleet-wide cause (derived from its summary and detail when not recorded)."""
    return row.cause or cause_of_record(row.kind, row.summary, row.detail or "")[0]


def _location_text(row: Any) -> str:
    """Where a stored signature happened in its product (derived like the cause when not recorded)."""
    return row.location or cause_of_record(row.kind, row.summary, row.detail or "")[1]


def _dependency_conflicts(product: str, plan: Plan) -> list[dict[str, str]]:
    """The planned release.cut's dependents it breaks and the pairs it puts in conflict, as obstacles."""
    out = []
    for a in plan.actions:
        if a.product != product or a.kind is not ActionKind.RELEASE_CUT:
            continue
        version = a.params.get("version")
        if a.params.get("breaks"):
            names = ", ".join(a.params["breaks"])
            text = f"{a.id}: {version} is outside the declared range of {names}"
            out.append({"kind": "dependency conflict", "message": text})
        for c in a.params.get("conflicts") or []:
            text = (
                f"{a.id}: {c['product']} could no longer install {version} next to {c['with']} "
                f"(which needs {c['range']})"
            )
            out.append({"kind": "dependency conflict", "message": text})
    return out
