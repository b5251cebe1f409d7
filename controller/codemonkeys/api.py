"""The library API: what the CLI and the controller service call (and the dashboard will). One place, one
behaviour.

A ``FleetSession`` binds a loaded fleet, its state store and the process ``Context``; its methods are the
operations a front end offers: plan, apply-then-refresh, the status report, runs and audit, approve
(with its authorisation check), explain, reconcile one product (the controller's unit of work), and
the oracle's indexing and call graph. Front ends parse and render; expected failures come back as
``ApiError`` (with a message for the user) or as values, never as half-done side effects.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from codemonkeys.context import Context
from codemonkeys.engine import (
    ApplyReport,
    Event,
    StalePlan,
    apply_plan,
    check_fresh,
    make_plan,
    open_store,
    state_url_with_credentials,
)
from codemonkeys.engine.changes import How as ChangeHow
from codemonkeys.engine.changes import Proposed, drop_change, propose_changes
from codemonkeys.engine.durations import history
from codemonkeys.engine.journal import actor as journal_actor
from codemonkeys.facets.base import FleetMemo
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.kinds.models import secret_ref_uses
from codemonkeys.load import load_fleet, load_fleet_or_raise
from codemonkeys.observe import Observer
from codemonkeys.plan.partial import own_part
from codemonkeys.plan.planner import dependency_closure
from codemonkeys.policy.gate import DecisionMemo, params_json
from codemonkeys.presence import controller_presence
from codemonkeys.repos import GitError
from codemonkeys.store.db import ActionStatus, ChainCheck, Store, StoreError
from codemonkeys.store.migrate import SchemaState, schema_state, upgrade
from codemonkeys.swarm.predict import Change, Predictor, backtest, slowdowns
from codemonkeys.swarm.signatures import cause_of_record
from codemonkeys.vocab.diagnostics import Diagnostic, LoadError
from codemonkeys.vocab.facts import BuildStatus, ProductFacts, Unknown
from codemonkeys.vocab.plan import Action, ActionKind, Decision, FacetState, Plan, Verdict
from codemonkeys.vocab.selectors import ProductRef, SelectorError, select

__all__ = [
    "ApiError",
    "Applied",
    "FleetSession",
    "LoadError",
    "Reconciled",
    "SelectorError",
    "StalePlan",
    "load_fleet",
    "load_fleet_or_raise",
]

Progress = Callable[[str], None]
BACKOFF_EVENT = "controller.backoff"  # audited by the controller when it backs a product off


class ApiError(Exception):
    """An expected failure of a library call (unknown product, action not held, approver not allowed...);
    the message is for the user."""


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


@dataclass
class FleetSession:
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

    # --- plan and apply ---------------------------------------------------------------------------

    def check_products(self, products: Iterable[str] | None) -> None:
        """``ApiError`` naming any product the fleet does not declare."""
        known = self.desired.products
        unknown = sorted({p for p in products or () if p not in known})
        if unknown:
            raise ApiError(f"unknown product(s): {', '.join(unknown)}")

    def plan(
        self,
        products: Iterable[str] | None = None,
        progress: Progress | None = None,
        parallelism: int | None = None,
    ) -> Plan:
        """Observe the products (all by default, plus their dependencies), plan and gate them; with
        ``parallelism``, predict each action's duration and the apply's at that parallelism."""
        products = list(products) if products else None
        self.check_products(products)
        result, _ = make_plan(
            self.desired,
            self.store,
            self.context,
            products,
            progress,
            self.workers,
            parallelism=parallelism,
            known_git=self.known_git,
            fleet_memo=self.fleet_memo,
            decisions=self.decisions,
        )
        return result

    def fresh(
        self, saved: Plan, products: Iterable[str] | None = None, progress: Progress | None = None
    ) -> Plan:
        """Re-plan what ``saved`` covers; ``StalePlan`` if anything changed since it was made."""
        current = self.plan(list(products) if products else list(saved.products), progress)
        check_fresh(saved, current)
        return current

    def apply(
        self,
        approved: Plan,
        parallelism: int = 4,
        on_event: Event | None = None,
        stop: threading.Event | None = None,
        retries: int = 3,
        retry_wait: float = 1.0,
    ) -> Applied:
        """Apply ``approved`` (``FleetBusy`` if another apply holds the fleet), then refresh what
        ``cmctl status`` shows by observing the touched products again (skipped when stopping)."""
        report = apply_plan(
            approved, self.desired, self.store, self.context, parallelism, on_event, retries, retry_wait, stop
        )
        touched = sorted({a.product for a in approved.actions})
        after = None
        if touched and not (stop is not None and stop.is_set()):
            after = self.plan(touched)
        return Applied(report, after)

    def reconcile(
        self, product: str, parallelism: int = 2, stop: threading.Event | None = None
    ) -> Reconciled:
        """The controller's unit of work: plan one product (with its dependencies, whose state its gate
        and its waits read), apply what is allowed of the product's own actions, refresh. An action
        that waits for a dependency's action is left to after the dependency's own reconcile
        (``waiting_on`` names it; ``plan.partial``), so a reconcile touches its product only. Held,
        denied, red or unknown leave it drifting until something changes."""
        plan = self.plan([product])
        unknown = sum(
            1 for p in plan.products.values() for f in p.facets.values() if f.state is FacetState.UNKNOWN
        )
        if plan.products[product].suspended or product in self.store.paused():
            return Reconciled(ReconcileOutcome.SUSPENDED, True, plan, unknown_facets=unknown)
        own = own_part(plan, product)
        if own.plan.runnable:
            applied = self.apply(own.plan, parallelism=parallelism, stop=stop)
            ok = applied.report.ok
            after = own_part(applied.after, product) if applied.after is not None else None
            return Reconciled(
                ReconcileOutcome.APPLIED if ok else ReconcileOutcome.FAILED,
                ok,
                plan,
                applied.report,
                applied.after,
                unknown,
                waiting_on=after.waiting_on if after else own.waiting_on,
                follow_up=ok and _changed(applied.report) and after is not None and bool(after.plan.runnable),
                changed=_changed(applied.report),
            )
        outcome = ReconcileOutcome.IN_SYNC if plan.products[product].in_sync else ReconcileOutcome.DRIFTING
        return Reconciled(outcome, True, plan, unknown_facets=unknown, waiting_on=own.waiting_on)

    def suspend(self, product: str, by: str) -> bool:
        """Suspend ``product`` for every controller process sharing the state database: observed, never
        acted on, until resumed (``spec.suspend`` in the fleet repo is the lasting, reviewed way).
        Audited as ``controller.suspended``; False if it already was."""
        self.check_products([product])
        done = self.store.pause(product, by)
        if done:
            self.store.audit("controller.suspended", by, {}, product=product)
        return done

    def resume(self, product: str, by: str) -> bool:
        """Undo ``suspend`` (audited as ``controller.resumed``); False if it was not suspended."""
        self.check_products([product])
        done = self.store.unpause(product)
        if done:
            self.store.audit("controller.resumed", by, {}, product=product)
        return done

    def paused(self) -> dict[str, dict[str, str]]:
        """The products suspended by ``suspend``: who did it and when."""
        return {n: {"by": p.by, "at": p.at.isoformat()} for n, p in self.store.paused().items()}

    def closure(self, product: str) -> set[str]:
        """What ``product`` depends on, transitively (without itself)."""
        return dependency_closure(self.desired.products, [product]) - {product}

    # --- status, runs, audit ------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The status report: the last run, and per product the facets as last observed and the last
        failure (what ``cmctl status --json`` prints)."""
        rows = {s.product: s for s in self.store.statuses()}
        runs = self.runs(limit=1)
        doc: dict[str, Any] = {"last_run": runs[0] if runs else None, "products": {}}
        for name in self.desired.products:
            row = rows.get(name)
            # a failure stands only while the product is not in sync (and no later run of it succeeded)
            fail = self.store.last_failure(name) if not (row and row.in_sync) else None
            facets = row.facets if row else {}
            doc["products"][name] = {
                "observed_at": row.observed_at.isoformat() if row else None,
                "in_sync": row.in_sync if row else None,
                "facets": {k: v["state"] for k, v in facets.items()},
                # facet -> the held action, its rule and who may approve (the facet's message says)
                "held": {k: v.get("message", "") for k, v in facets.items() if v["state"] == "held"},
                "last_failure": (
                    {"action": fail.action_id, "run": fail.run_id, "message": fail.message} if fail else None
                ),
            }
        return doc

    def refs(self) -> dict[str, ProductRef]:
        """What selectors look at of every product (company, labels, language, dependencies)."""
        return {
            name: ProductRef(
                name,
                p.metadata.company,
                dict(p.metadata.labels),
                str(p.spec.language),
                tuple(p.spec.depends_on),
            )
            for name, p in self.desired.products.items()
        }

    def select(self, selectors: Iterable[str] | None) -> list[str]:
        """The products ``selectors`` select (``codemonkeys.vocab.selectors``); ``SelectorError`` if one
        is malformed. No selector selects every product."""
        return select(self.refs(), selectors)

    def fleet(self, selectors: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """One row per selected product (``cmctl fleet ls``, the dashboard's grid): company, labels,
        language, dependencies, facets as last observed (state, observed value), the released version,
        the last journaled action, and the last failure. Reads the store only (no observation)."""
        rows = {s.product: s for s in self.store.statuses()}
        refs = self.refs()
        out = []
        for name in select(refs, selectors):
            ref, row = refs[name], rows.get(name)
            facets = row.facets if row else {}
            last = self.store.actions(product=name)
            fail = self.store.last_failure(name)
            out.append(
                {
                    "name": name,
                    "company": ref.company,
                    "labels": dict(ref.labels),
                    "language": ref.language,
                    "depends_on": list(ref.depends_on),
                    "suspended": self.desired.products[name].spec.suspend,
                    "in_sync": row.in_sync if row else None,
                    "observed_at": row.observed_at.isoformat() if row else None,
                    "facets": {k: v.get("state") for k, v in facets.items()},
                    "observed": {k: v.get("observed") for k, v in facets.items() if v.get("observed")},
                    "version": facets.get("release", {}).get("observed"),
                    "last_run": _last_action(last[-1]) if last else None,
                    "last_failure": (
                        {"action": fail.action_id, "run": fail.run_id, "message": fail.message}
                        if fail
                        else None
                    ),
                }
            )
        return out

    # --- cross-repo changes (engine/changes.py) ----------------------------------------------------

    def propose_change(
        self, selectors: list[str], how: ChangeHow, message: str = "", author: str | None = None
    ) -> Proposed:
        """One change proposal per selected product that ``how`` changes (``cmctl fleet patch`` /
        ``fleet exec``); a product whose patch does not apply is reported in the outcomes, not raised.
        ``ApiError`` when the selectors select nothing; ``SelectorError`` when one is malformed."""
        names = self.select(selectors)
        if not names:
            raise ApiError(f"no product matches {' | '.join(selectors) or '(all)'}")
        return propose_changes(
            self.desired,
            self.store,
            self.context,
            names,
            how,
            " | ".join(selectors),
            author or journal_actor(),
            message,
        )

    def drop_change(
        self, change: str, selectors: list[str] | None = None, actor: str | None = None
    ) -> list[str]:
        """Withdraw the open proposals of ``change`` (of the selected products; all by default): their
        branches are deleted, they become ``dropped``. ``ApiError`` when none is open."""
        try:
            dropped = drop_change(
                self.desired, self.store, change, self.select(selectors), actor or journal_actor()
            )
        except GitError as exc:
            raise ApiError(f"cannot delete a branch of change {change}: {exc.stderr}") from None
        if not dropped:
            raise ApiError(f"no open proposal of change {change!r}")
        return dropped

    def changes(self, selectors: list[str] | None = None) -> list[dict[str, Any]]:
        """Every change proposal of the selected products, newest first, with its state: proposed,
        building, green, red, merged, or denied / held when the last apply's gate blocked its action."""
        names = set(self.select(selectors))
        blocked: dict[str, dict[str, tuple[str, str, str]]] = {}  # product -> action id -> last verdict

        def verdict(product: str, action_id: str) -> tuple[str, str, str]:
            """(verdict, rule, message) of the action's last journal entry when the gate blocked it."""
            if product not in blocked:
                blocked[product] = {}
                for a in self.store.actions(product=product):
                    if "/change." in a.action_id:
                        said = (a.verdict, a.rule, a.message) if a.status == "blocked" else ("", "", "")
                        blocked[product][a.action_id] = said
            return blocked[product].get(action_id, ("", "", ""))

        rows = []
        for r in reversed(self.store.change_proposals()):
            if r.product not in names:
                continue
            state, rule, why = r.status, "", ""
            if state in ("proposed", "green"):
                kind = "change.propose" if state == "proposed" else "change.merge"
                said, said_rule, said_why = verdict(r.product, f"{r.product}/{kind}/{r.change}")
                if said in ("deny", "hold"):
                    state, rule, why = ("denied" if said == "deny" else "held"), said_rule, said_why
            rows.append(
                {
                    "change": r.change,
                    "product": r.product,
                    "state": state,
                    "status": r.status,
                    "kind": r.kind,
                    "selector": r.selector,
                    "message": r.message,
                    "command": list(r.command or []),
                    "author": r.author,
                    "created_at": r.created_at.isoformat(timespec="seconds"),
                    "branch": r.branch,
                    "base": r.base_commit,
                    "commit": r.commit,
                    "files": list(r.files or []),
                    "lines": r.lines,
                    "reason": r.reason,
                    "rule": rule,  # denied / held: the rule and its message
                    "blocked": why,
                    "diff": r.diff,
                }
            )
        return rows

    def product_status(self, name: str) -> dict[str, Any]:
        """One product's full status document (facets with their messages), as the HTTP API serves it."""
        if name not in self.desired.products:
            raise ApiError(f"no product {name!r}")
        row = next((s for s in self.store.statuses() if s.product == name), None)
        return {
            "name": name,
            "in_sync": row.in_sync if row else None,
            "observed_at": row.observed_at.isoformat() if row else None,
            "facets": row.facets if row else {},
            "suspended": self.desired.products[name].spec.suspend,
        }

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest runs, newest first."""
        return [
            {
                "id": r.id,
                "status": r.status,
                "revision": r.fleet_revision,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "counts": r.summary,
            }
            for r in self.store.runs(limit=limit)
        ]

    def audit(self, product: str | None = None, limit: int | None = 50) -> list[dict[str, Any]]:
        """Audit records (newest last) with their hash chain."""
        records = self.store.audit_records(product=product, limit=limit)
        return [{**r.content(), "prev_hash": r.prev_hash, "hash": r.hash} for r in records]

    def secrets(self) -> list[dict[str, Any]]:
        """Every secret the fleet references (``{secretRef: NAME}``) or a source holds: its name, where it
        resolves from, who uses it and a problem if any. Never a value."""
        provider = self.context.secrets.provider(self.desired.root)
        used: dict[str, list[str]] = {}
        for name, product in self.desired.products.items():
            for env in product.spec.deploy.environments if product.spec.deploy else ():
                for ref in env.secret_refs():
                    used.setdefault(ref, []).append(f"{name}/deploy/{env.name}")
            for ref, where in secret_ref_uses(product.spec.model_copy(update={"deploy": None}), "spec"):
                used.setdefault(ref, []).append(f"{name}: {where}")
        for ref, where in secret_ref_uses(
            self.desired.fleet.spec.model_copy(update={"companies": []}), "spec"
        ):
            used.setdefault(ref, []).append(f"fleet: {where}")
        for company in self.desired.fleet.spec.companies:
            for ref, where in secret_ref_uses(company.credentials, "credentials"):
                used.setdefault(ref, []).append(f"company {company.name}: {where}")
        rows = []
        for name in sorted(set(used) | set(provider.names())):
            r = provider.resolve(name)
            rows.append(
                {
                    "name": name,
                    "source": r.source or None,
                    "ok": r.ok,
                    "error": r.error,
                    "used_by": used.get(name, []),
                }
            )
        return rows

    def verify_audit(self) -> ChainCheck:
        """Check the audit log's hash chain."""
        return self.store.verify_audit()

    # --- why is it not in sync? ----------------------------------------------------------------------------

    def explain(self, product: str) -> dict[str, Any]:
        """Why ``product`` is or is not in sync, facet by facet: desired, observed (and when), what
        stands in the way (a red build with its signature, a failed or skipped action with its cause, a
        rule that denies or holds, a dependency not published yet, an unknown fact, suspension), and the
        next actions a reconcile would take. Observes the product (and its dependencies) now."""
        self.check_products([product])
        plan = self.plan([product])
        mine = plan.products[product]
        actions = [a for a in plan.actions if a.product == product]
        doc: dict[str, Any] = {
            "product": product,
            "in_sync": mine.in_sync,
            "suspended": mine.suspended,
            "observed_at": self.context.now().isoformat(timespec="seconds"),
            "facets": {
                name: {"want": f.want, "observed": f.observed, "state": str(f.state), "message": f.message}
                for name, f in mine.facets.items()
            },
            "obstacles": self._obstacles(product, plan),
            "next": [{"id": a.id, "verdict": str(a.decision.verdict), "reason": a.reason} for a in actions],
        }
        build = mine.facets.get("build")
        attempts = self.store.heal_attempts(product)
        if build is not None and not build.in_sync and attempts:
            doc["heal"] = self.heal_attempts(product, attempts[-1].commit)  # what was tried on the red commit
        return doc

    def _obstacles(self, product: str, plan: Plan) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        mine = plan.products[product]
        if mine.suspended:
            out.append({"kind": "suspended", "message": "spec.suspend is true: observed, never acted on"})
        build = mine.facets.get("build")
        if build is not None and build.state is FacetState.FAILED:
            out.append({"kind": "red build", "message": build.message, **self._signature(product)})
        for name, f in mine.facets.items():
            if f.state is FacetState.UNKNOWN:
                out.append({"kind": "unknown fact", "message": f"{name}: {f.message}"})
        for a in plan.actions:
            if a.product == product and a.decision.verdict is not Verdict.ALLOW:
                how = f" (cmctl approve {a.id})" if a.decision.verdict is Verdict.HOLD else ""
                text = f"{a.id} {a.decision.verdict} by {a.decision.rule}: {a.decision.message}{how}"
                out.append({"kind": f"policy {a.decision.verdict}", "message": text})
        out += _dependency_conflicts(product, plan)
        for dep in self.desired.products[product].spec.depends_on:
            dep_plan = plan.products.get(dep)
            if dep_plan is not None and not dep_plan.in_sync:
                waiting = ", ".join(f"{k} {f.state}" for k, f in dep_plan.facets.items() if not f.in_sync)
                out.append({"kind": "dependency", "message": f"{dep} is not in sync ({waiting})"})
        backoff = self._backoff(product)
        if backoff is not None:
            out.append(backoff)
        fail = self.store.last_failure(product)
        if fail is not None and not mine.in_sync:
            text = (
                f"{fail.action_id} failed in run {fail.run_id}: {fail.message} (cmctl logs {fail.action_id})"
            )
            out.append({"kind": "last failure", "message": text})
        return out

    def _backoff(self, product: str) -> dict[str, str] | None:
        """The controller's backoff of ``product`` if it is still waiting (recorded in the audit log)."""
        records = [r for r in self.store.audit_records(product=product) if r.event == BACKOFF_EVENT]
        if not records:
            return None
        data = records[-1].data
        until = datetime.fromisoformat(data["until"])
        if until <= self.context.now():
            return None
        text = (
            f"{data['failures']} failed reconcile(s) in a row: the controller tries again at {data['until']}"
        )
        return {"kind": "controller backoff", "message": text}

    def _signature(self, product: str) -> dict[str, str]:
        """The newest failure signature of the product and where the fleet saw it before."""
        rows = self.store.signatures(product=product)
        if not rows:
            return {}
        # the top signature of the newest failed build (recorded top first), as its heal facts name it
        newest = rows[-1].commit
        top = next(r for r in rows if r.commit == newest)
        cause = self._cause_rows(top.fingerprint)
        elsewhere = sorted({r.product for r in cause["rows"]} - {product})
        seen = f"; seen before in {', '.join(elsewhere)}" if elsewhere else ""
        fixed = cause["fixed"]
        how = "; ".join(f"{p}: {h}" for p, h in sorted(fixed.items()))
        fleet = f"seen in {len({r.product for r in cause['rows']})} products, fixed in {len(fixed)}"
        return {
            "signature": f"{top.kind}: {top.summary}{seen}",
            "cause": cause["cause"],
            "fleet": f"{fleet} ({how})" if how else fleet,
        }

    def _cause_rows(self, fingerprint: str) -> dict[str, Any]:
        """One cause across the fleet: its records, its cause text, and per product where it was fixed
        how (see ``signatures``)."""
        rows = self.store.signatures(fingerprint=fingerprint)
        return {"rows": rows, "cause": _cause_text(rows[-1]), "fixed": self._fixed(fingerprint, rows)}

    def _fixed(self, fingerprint: str, rows: list) -> dict[str, str]:
        """Products where a green build followed the signature, and how: a merged heal (by template T or
        by the LLM), a person's fix (a template learned from it, or a green build without a heal)."""
        fixed: dict[str, str] = {}
        for a in self.store.all_heal_attempts():
            if a.signature == fingerprint and a.status == "merged":
                fixed[a.product] = f"template {a.template[:12]}" if a.template else "heal"
        for t in self.store.templates(fingerprint):
            if t.origin == "human":
                fixed.setdefault(t.origin_product, f"by a person: template {t.id[:12]} learned")
        last: dict[str, Any] = {}
        for r in rows:
            last[r.product] = max(last.get(r.product, r.at), r.at)
        for name, at in last.items():
            build = self.store.last_build(name)
            if name not in fixed and build and build.status == BuildStatus.SUCCESS and build.finished_at > at:
                fixed[name] = "by a person"
        return fixed

    # --- the swarm: fix templates and heal attempts ----------------------------------------------------

    def conflicts(self, product: str | None = None) -> list[dict[str, Any]]:
        """Dependency resolver conflicts (pip ``ResolutionImpossible``, npm ``ERESOLVE``, cargo "failed to
        select a version") seen in build logs, oldest first (of one product if given): product, commit,
        tool, the package and the versions involved."""
        if product is not None:
            self.check_products([product])
        return [
            {
                "product": r.product,
                "commit": r.commit,
                "ci": r.ci,
                "tool": r.tool,
                "package": r.package,
                "involved": list(r.involved),
                "build_url": r.build_url,
                "at": r.at.isoformat(timespec="seconds"),
            }
            for r in self.store.conflicts(product)
        ]

    def templates(self) -> list[dict[str, Any]]:
        """The fix templates the fleet learned (from human fixes and merged heals), best record first:
        id, description, the error pattern, origin (human | heal, product, commit), successes, failures."""
        rows = sorted(
            self.store.templates(),
            key=lambda r: (-(r.successes + 1) / (r.successes + r.failures + 2), r.learned_at, r.id),
        )
        return [
            {
                "id": r.id,
                "description": r.description,
                "pattern": r.pattern,
                "kind": r.kind,
                "signature": r.signature,
                "origin": {"kind": r.origin, "product": r.origin_product, "commit": r.origin_commit},
                "successes": r.successes,
                "failures": r.failures,
                "learned_at": r.learned_at.isoformat(timespec="seconds"),
                "last_used_at": r.last_used_at.isoformat(timespec="seconds") if r.last_used_at else None,
            }
            for r in rows
        ]

    def templates_why(self, product: str, limit: int = 20) -> list[dict[str, Any]]:
        """What a product's recent fixes of red builds taught, newest first (the audit's
        ``template.not_learned`` and ``swarm.template.learned``/``strengthened`` records): at, commit, the red
        commit, learned (the template id or None) and the reasons per failure signature when nothing was."""
        self.check_products([product])
        events = ("template.not_learned", "swarm.template.learned", "swarm.template.strengthened")
        rows = [r for r in self.store.audit_records(product) if r.event in events][-limit:]
        return [
            {
                "at": r.at,
                "event": r.event,
                "commit": r.data.get("commit", ""),
                "red": r.data.get("red", ""),
                "learned": r.data.get("template"),
                "description": r.data.get("description", ""),
                "reasons": r.data.get("reasons", []),
            }
            for r in reversed(rows)
        ]

    def flaky(self, product: str | None = None) -> list[dict[str, Any]]:
        """Failures that passed when the same commit was built again, per product and signature, most
        frequent first: how often, the commits, first and last seen."""
        if product is not None:
            self.check_products([product])
        groups: dict[tuple[str, str], list] = {}
        for row in self.store.flaky(product):
            groups.setdefault((row.product, row.fingerprint), []).append(row)
        out = [
            {
                "product": name,
                "signature": fp,
                "kind": rows[0].kind,
                "summary": rows[0].summary,
                "flaked": len({r.commit for r in rows}),
                "commits": sorted({r.commit for r in rows}),
                "first_seen": rows[0].at.isoformat(timespec="seconds"),
                "last_seen": rows[-1].at.isoformat(timespec="seconds"),
            }
            for (name, fp), rows in groups.items()
        ]
        return sorted(out, key=lambda r: (-r["flaked"], r["product"], r["signature"]))

    def signatures(self, limit: int | None = 20) -> list[dict[str, Any]]:
        """The top failure causes across the fleet (one row per fingerprint: a root cause, whatever the
        product), most builds first (then the most recent): kind, fingerprint, cause, newest summary,
        builds and occurrences, products and where in each (``locations``), first / last seen, what fixed
        it (the fix templates learned for the fingerprint and the heal attempts on it that merged) and
        ``fixed_in``: the products where a green build followed it, and how."""
        groups: dict[str, list] = {}
        for r in self.store.signatures():
            groups.setdefault(r.fingerprint, []).append(r)
        templates: dict[str, list] = {}
        for t in self.store.templates():
            templates.setdefault(t.signature, []).append(t)
        merged: dict[str, list] = {}
        for a in self.store.all_heal_attempts():
            if a.status == "merged":
                merged.setdefault(a.signature, []).append(a)
        ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), -kv[1][-1].id))
        return [
            {
                "fingerprint": fp,
                "kind": rows[-1].kind,
                "cause": _cause_text(rows[-1]),
                "summary": rows[-1].summary,
                "builds": len({(r.product, r.commit) for r in rows}),
                "occurrences": sum(r.count for r in rows),
                "products": sorted({r.product for r in rows}),
                "locations": {
                    name: list(dict.fromkeys(_location_text(r) for r in rows if r.product == name))
                    for name in sorted({r.product for r in rows})
                },
                "fixed_in": self._fixed(fp, rows),
                "first_seen": rows[0].at.isoformat(timespec="seconds"),
                "last_seen": rows[-1].at.isoformat(timespec="seconds"),
                "fixed_by": {
                    "templates": [
                        {
                            "id": t.id,
                            "description": t.description,
                            "origin": t.origin,
                            "product": t.origin_product,
                            "successes": t.successes,
                            "failures": t.failures,
                        }
                        for t in templates.get(fp, [])
                    ],
                    "heals": [
                        {
                            "product": a.product,
                            "commit": a.commit,
                            "strategy": a.strategy,
                            "template": a.template,
                            "heal_commit": a.heal_commit,
                        }
                        for a in merged.get(fp, [])
                    ],
                },
            }
            for fp, rows in ranked[:limit]
        ]

    def heal_attempts(self, product: str, commit: str | None = None) -> list[dict[str, Any]]:
        """The heal attempts of ``product`` (of one red commit if given), in order, with their patches."""
        self.check_products([product])
        return [
            {
                "attempt": a.n,
                "commit": a.commit,
                "strategy": a.strategy,
                "template": a.template,
                "status": a.status,
                "branch": a.branch,
                "heal_commit": a.heal_commit,
                "lines": a.lines,
                "files": list(a.files or []),
                "reason": a.reason,
                "llm_calls": a.llm_calls,
                "patch": a.patch,
                "started_at": a.started_at.isoformat(timespec="seconds"),
            }
            for a in self.store.heal_attempts(product, commit)
        ]

    # --- the swarm: durations ------------------------------------------------------------------------------

    def slowdowns(self) -> list[dict[str, Any]]:
        """Products whose runs of an action kind are getting slower (a significant trend over their last
        runs, adjusted for change size and hour, not noise), biggest growth first."""
        return [
            {
                "product": s.product,
                "kind": s.kind,
                "runs": s.runs,
                "p": round(s.p, 6),
                "per_run": round(s.per_run, 4),
                "growth": round(s.growth, 4),
                "from_s": round(s.from_s, 3),
                "to_s": round(s.to_s, 3),
            }
            for s in slowdowns(history(self.store))
        ]

    def predictions(self, product: str) -> list[dict[str, Any]]:
        """Per action kind of ``product``: the predicted duration of its next run (at the product's
        typical change size, this hour), the runs it rests on, and the error so far: every recorded run
        predicted from the runs before it, the median absolute percentage error against Jenkins' estimate
        (the mean of the last three successful runs) on the same runs."""
        self.check_products([product])
        model = Predictor.fit(history(self.store))
        ci = str(self.desired.ci_kind(product))
        kinds = sorted({k for (p, k) in model.groups if p == product})
        out = []
        for kind in kinds:
            est = model.estimate(product, kind, Change(hour=self.context.now().hour), ci)
            err = backtest(model, product, kind)
            out.append(
                {
                    "kind": kind,
                    "predicted_s": None if est.seconds is None else round(est.seconds, 3),
                    "samples": est.samples,
                    "runs": len(model.history(product, kind)),
                    "backtested": err.runs,
                    "mdape": None if err.mdape is None else round(err.mdape, 4),
                    "jenkins_mdape": None if err.jenkins_mdape is None else round(err.jenkins_mdape, 4),
                }
            )
        return out

    # --- logs -----------------------------------------------------------------------------------------------

    def logs(self, action_id: str, run: int | None = None) -> dict[str, Any]:
        """The journal entry of ``action_id`` in run ``run`` (default: the newest run that has it): status,
        message, attempts, times and the captured, redacted output. ``ApiError`` if there is none."""
        rec = self.store.action_record(action_id, run)
        if rec is None:
            where = f" in run {run}" if run is not None else ""
            raise ApiError(
                f"no journaled action {action_id!r}{where}: run `cmctl apply` first, or check the id"
            )
        return {
            "action": rec.action_id,
            "run": rec.run_id,
            "status": rec.status,
            "message": rec.text,
            "verdict": rec.verdict,  # blocked by the gate: deny | hold, and the rule that decided
            "rule": rec.rule,
            "attempts": rec.attempts,
            "started_at": rec.started_at.isoformat() if rec.started_at else None,
            "finished_at": rec.finished_at.isoformat() if rec.finished_at else None,
            "log": rec.log or "",
            "artifacts": (rec.outputs or {}).get("artifacts", {}),  # kept files (browser runs): path, sha256
        }

    def follow(self, action_id: str, run: int | None = None, poll: float = 0.5) -> Iterator[str]:
        """The action's output as it grows while it is pending or running (from any process applying),
        then the rest of its final log."""
        doc = self.logs(action_id, run)
        shown = ""
        while True:
            log = doc["log"]
            if log.startswith(shown):
                if log[len(shown) :]:
                    yield log[len(shown) :]
            else:  # the final log replaced the live one: show it whole after a marker
                yield "\n[final log]\n" + log
            shown = log
            if doc["status"] not in ("pending", "running"):
                return
            time.sleep(poll)
            doc = self.logs(action_id, doc["run"])

    def action(self, action_id: str) -> tuple[Plan, Action]:
        """Plan the action's product now and return the plan and the action (``ApiError`` if absent)."""
        product = action_id.split("/", 1)[0]
        if product not in self.desired.products:
            raise ApiError(f"no product {product!r} in this fleet (action ids look like PRODUCT/KIND)")
        current = self.plan([product])
        try:
            return current, current.action(action_id)
        except KeyError:
            planned = ", ".join(a.id for a in current.actions if a.product == product) or "none"
            raise ApiError(
                f"{action_id} is not in the current plan (planned for {product}: {planned})"
            ) from None

    def approvers(self, action: Action) -> set[str]:
        """Who may approve ``action``: the members of the holding rules' approvers (empty: anyone)."""
        spec = self.desired.constitution.spec
        traced = {t.rule for t in action.decision.trace}
        overlays = [r for rules in self.desired.overlays.values() for r in rules]
        holds = [r for r in [*spec.rules, *overlays] if r.hold and r.id in traced]
        return {m for r in holds for name in r.hold.approvers for m in spec.groups.get(name, [name])}

    def approve(self, action_id: str, approver: str, comment: str = "") -> Decision:
        """``approve_action``, returning only the action's decision after the approval."""
        return self.approve_action(action_id, approver, comment).decision

    def approve_action(self, action_id: str, approver: str, comment: str = "") -> ApprovalGiven:
        """Approve a held action (audited), bound to what it approves: the product's fingerprint (its
        document, the dependency documents and facts its plan reads), the action's params and the
        constitution rules that match it. ``ApiError`` if it is not held or the approver may not."""
        current, action = self.action(action_id)
        if action.decision.verdict is not Verdict.HOLD:
            raise ApiError(f"{action_id} is not held: {action.decision.verdict} ({action.decision.message})")
        allowed = self.approvers(action)
        if allowed and approver not in allowed:
            raise ApiError(
                f"{approver!r} may not approve {action_id} (approvers: {', '.join(sorted(allowed))})"
            )
        # what the action acts on (its product's documents, git state and its facet's facts)
        fingerprint = action.decision.fingerprint or current.products[action.product].fingerprint
        revision = self.desired.revision
        params, rules = params_json(action.params), action.decision.rules
        self.store.add_approval(
            action_id, action.product, approver, comment, revision, fingerprint, params, rules
        )
        given = {
            "comment": comment,
            "revision": revision,
            "fingerprint": fingerprint,
            "params": dict(action.params),
            "rules": rules,
            "decision": action.decision.id,
        }
        self.store.audit("approval.given", approver, given, product=action.product, action_id=action_id)
        after = self.plan([action.product]).action(action_id).decision
        will_act, why = self._will_act(action, after)
        return ApprovalGiven(
            action_id, approver, revision, fingerprint, dict(action.params), after, will_act, why
        )

    def _will_act(self, action: Action, after: Decision) -> tuple[bool | None, str]:
        """Whether a running controller on this state acts on ``action`` now (None: none is running)."""
        if after.verdict is not Verdict.ALLOW:
            return False, f"still {after.verdict}: {after.message}"
        if self.desired.products[action.product].spec.suspend or action.product in self.store.paused():
            return False, f"{action.product} is suspended: resume it first"
        running = controller_presence(self.desired.state_dir)
        if running is None:
            return None, "no controller runs on this state: run cmctl apply"
        at = running.get("revision", "")
        if at != self.desired.revision:
            return True, (
                f"the controller (pid {running.get('pid')}) is at fleet revision {at[:12]}, this approval "
                f"was given at {self.desired.revision[:12]}: it acts once it plans the same product "
                "fingerprint and params (an unrelated commit changes neither)"
            )
        return True, f"the controller (pid {running.get('pid')}) queues {action.product} within a second"

    def held(self, products: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Every held action (of ``products``, all by default): who may approve it, what it would do
        (its params and reason), the product fingerprint an approval would bind to, and why earlier
        approvals lapsed (the decision's message says)."""
        current = self.plan(list(products) if products else None)
        out = []
        for a in current.actions:
            if a.decision.verdict is not Verdict.HOLD:
                continue
            out.append(
                {
                    "action": a.id,
                    "product": a.product,
                    "kind": str(a.kind),
                    "rule": a.decision.rule,
                    "approvers": sorted(self.approvers(a)),
                    "message": a.decision.message,
                    "reason": a.reason,
                    "params": dict(a.params),
                    "fingerprint": a.decision.fingerprint or current.products[a.product].fingerprint,
                }
            )
        return out

    def reject(self, action_id: str, approver: str, comment: str = "") -> Decision:
        """Reject a held action (audited as ``approval.rejected``, bound like an approval to the product's
        fingerprint, the params and the matching rules); it stays held. ``ApiError`` as for ``approve``."""
        current, action = self.action(action_id)
        if action.decision.verdict is not Verdict.HOLD:
            raise ApiError(f"{action_id} is not held: {action.decision.verdict} ({action.decision.message})")
        allowed = self.approvers(action)
        if allowed and approver not in allowed:
            raise ApiError(
                f"{approver!r} may not reject {action_id} (approvers: {', '.join(sorted(allowed))})"
            )
        data = {
            "comment": comment,
            "revision": self.desired.revision,
            "fingerprint": action.decision.fingerprint or current.products[action.product].fingerprint,
            "params": dict(action.params),
            "rules": action.decision.rules,
            "decision": action.decision.id,
        }
        self.store.audit("approval.rejected", approver, data, product=action.product, action_id=action_id)
        return action.decision

    # --- the oracle ---------------------------------------------------------------------------------------

    def sources(
        self, products: Iterable[str], on_skip: Callable[[str, str], None] | None = None
    ) -> dict[str, dict[str, bytes]]:
        """Each product's source files at its branch head (supported languages), for indexing."""
        from codemonkeys.oracle.repo import read_files

        wanted = sorted(products)
        self.check_products(wanted)
        observer = Observer(self.desired, self.store, self.context, workers=self.workers)
        out: dict[str, dict[str, bytes]] = {}
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(wanted) or 1))) as pool:
                heads = dict(zip(wanted, pool.map(observer.observe_git, wanted), strict=True))
        finally:
            observer.http.close()
        for name, git in heads.items():
            if isinstance(git, Unknown):
                if on_skip:
                    on_skip(name, git.error)
                continue
            out[name] = read_files(
                observer.mirror(name), git.head, self.desired.products[name].spec.source.path
            )
        return out

    def index_code(
        self,
        products: Iterable[str],
        embedder,
        target: Path | None = None,
        progress: Progress | None = None,
        on_skip: Callable[[str, str], None] | None = None,
    ):
        """Index the products' code at their branch heads into the semantic search index (the fleet's by
        default); returns (products indexed, chunks, index statistics)."""
        from codemonkeys.oracle.chunks import index_sources

        sources = self.sources(products, on_skip)
        count, stats = index_sources(target or self.search_index(), sources, embedder, progress)
        return len(sources), count, stats

    def search_index(self) -> Path:
        """Where the fleet's semantic search index lives."""
        return self.desired.state_dir / "oracle-search"

    def call_graph(self, product: str):
        """The call graph (networkx) of ``product`` at its branch head."""
        from codemonkeys.oracle.parse import language_for, parse_file
        from codemonkeys.oracle.store import call_graph

        files = self.sources([product]).get(product)
        if files is None:
            raise ApiError(f"cannot read {product}'s repository")
        return call_graph([parse_file(path, data) for path, data in files.items() if language_for(path)])


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
