"""Engine: the library path shared by the CLI and the controller service.

``make_plan``  load'ed desired state -> observe -> plan (+gate)            (stages 2-4)
``apply_plan`` walk an approved plan: DAG order, parallelism, retries,
               journal, audit, failure isolation                          (stages 5-6)

One apply at a time per fleet (a file lock next to the state); a run left ``running`` by a killed
apply is marked ``interrupted`` by the next one, which converges from what is observed: finished
side effects are visible (a tag, an uploaded file, a recorded build) and are not repeated.
"""

from __future__ import annotations

import gc
import getpass
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from filelock import FileLock, Timeout
from tenacity import RetryError, Retrying, retry_if_result, stop_after_attempt, wait_exponential

from codemonkeys.act import ActContext, ActionResult, Outcome, Redactor, actuator_for
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.observe import Observer
from codemonkeys.plan.planner import DesiredView, dependency_closure, plan
from codemonkeys.policy import Approval, Gate, HistoryEntry
from codemonkeys.store.db import ActionStatus, RunStatus, Store, utcnow
from codemonkeys.vocab.facts import ProductFacts
from codemonkeys.vocab.plan import Action, Plan, Verdict


class FleetBusy(Exception):
    """Another apply holds the fleet lock."""


class StalePlan(Exception):
    """The saved plan's fingerprint no longer matches what is observed now."""


def actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry in some containers
        return "unknown"


def open_store(desired: DesiredState) -> Store:
    desired.state_dir.mkdir(parents=True, exist_ok=True)
    return Store(desired.state_url)


def desired_view(desired: DesiredState) -> DesiredView:
    return DesiredView(
        root=str(desired.root),
        revision=desired.revision,
        digest=desired.digest,
        products=desired.products,
        name=desired.fleet.metadata.name,
        ci={name: str(desired.ci_kind(name)) for name in desired.products},
    )


def make_gate(desired: DesiredState, store: Store, now: datetime) -> Gate:
    """The constitution with the journal history its budgets count (the longest `limit.per` back)."""
    spans = [r.limit.per for r in desired.constitution.spec.rules if r.limit is not None]
    history: list[HistoryEntry] = []
    if spans:
        companies = {n: p.metadata.company for n, p in desired.products.items()}
        for rec in store.history(now - timedelta(seconds=max(spans))):
            finished = rec.finished_at if rec.finished_at.tzinfo else rec.finished_at.replace(tzinfo=UTC)
            history.append(HistoryEntry(rec.kind, rec.product, companies.get(rec.product), finished))
    return Gate(desired.constitution, history=history, revision=desired.constitution_revision)


def approvals_on_record(store: Store, products: Iterable[str]) -> dict[str, list[Approval]]:
    out: dict[str, list[Approval]] = {}
    for rec in store.approvals(sorted(products)):
        out.setdefault(rec.action_id, []).append(
            Approval(rec.approver, rec.revision, rec.fingerprint, rec.comment)
        )
    return out


def make_plan(
    desired: DesiredState,
    store: Store,
    products: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 8,
    now: datetime | None = None,
) -> tuple[Plan, dict[str, ProductFacts]]:
    """Observe the selected products (and what they depend on), plan and gate them.

    Records each product's status and every decision in the decision log.
    """
    now = now or datetime.now(UTC)
    selected = dependency_closure(desired.products, products) if products else set(desired.products)
    observed = Observer(desired, store, workers=workers).observe(selected, progress)
    # Planning allocates many short-lived, acyclic objects; cyclic-GC passes over them cost up to 40%
    # of a 10,000-product plan (benchmarks/plan_scale.py), so collection waits until the plan is done.
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        result = plan(
            desired_view(desired),
            observed,
            make_gate(desired, store, now),
            now,
            approvals=approvals_on_record(store, selected),
        )
    finally:
        if gc_enabled:
            gc.enable()
    for name, p in result.products.items():
        store.save_status(
            name,
            p.in_sync,
            {k: f.model_dump(mode="json") for k, f in p.facets.items()},
            observed[name].model_dump(mode="json"),
        )
    store.record_decisions(
        [
            {
                "decision_id": a.decision.id,
                "action_id": a.id,
                "product": a.product,
                "verdict": str(a.decision.verdict),
                "rule": a.decision.rule,
                "message": a.decision.message,
                "constitution_revision": desired.constitution_revision,
                "input_hash": a.decision.input_hash,
                "plan_fingerprint": result.fingerprint,
                "decision": a.decision.model_dump(mode="json"),
            }
            for a in result.actions
        ]
    )
    return result, observed


def check_fresh(saved: Plan, current: Plan) -> None:
    if saved.fingerprint != current.fingerprint:
        changed = (
            "the fleet repo changed"
            if saved.fleet.revision != current.fleet.revision
            else "the observed state changed"
        )
        raise StalePlan(
            f"saved plan is stale: {changed} since it was made (fingerprint {saved.fingerprint[:12]} "
            f"!= {current.fingerprint[:12]}); run `cmctl plan` again"
        )


@dataclass
class ActionOutcome:
    action: Action
    status: ActionStatus
    message: str
    attempts: int = 0
    duration: float = 0.0


@dataclass
class ApplyReport:
    run_id: int
    outcomes: dict[str, ActionOutcome] = field(default_factory=dict)
    interrupted_runs: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No action failed or was skipped for a failure (policy-blocked actions are not failures)."""
        bad = (ActionStatus.FAILED, ActionStatus.SKIPPED, ActionStatus.INTERRUPTED)
        return all(o.status not in bad for o in self.outcomes.values())

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for o in self.outcomes.values():
            out[o.status] = out.get(o.status, 0) + 1
        return out


Event = Callable[[str, Action, ActionOutcome | None], None]  # ("start"|"done", action, outcome)


def fleet_lock(desired: DesiredState) -> FileLock:
    desired.state_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(desired.state_dir / "apply.lock"), timeout=0)


def apply_plan(
    approved: Plan,
    desired: DesiredState,
    store: Store,
    parallelism: int = 4,
    on_event: Event | None = None,
    retries: int = 3,
    retry_wait: float = 1.0,
    stop: threading.Event | None = None,
) -> ApplyReport:
    """Run the allowed actions of ``approved`` in dependency order. Denied and held actions never run.

    When ``stop`` is set (a controller shutting down), actions in flight finish, nothing new starts,
    and the rest of the run is journaled as interrupted.
    """
    lock = fleet_lock(desired)
    try:
        lock.acquire()
    except Timeout:
        raise FleetBusy(f"another apply is running on this fleet (lock {lock.lock_file})") from None
    try:
        return _apply_locked(approved, desired, store, parallelism, on_event, retries, retry_wait, stop)
    finally:
        lock.release()


def _apply_locked(approved, desired, store, parallelism, on_event, retries, retry_wait, stop) -> ApplyReport:
    who = actor()
    interrupted = store.mark_interrupted()
    for run_id in interrupted:
        store.audit(
            "run.interrupted", who, {"note": "found running without an apply holding the lock"}, run_id=run_id
        )
    run = store.start_run(approved.fleet.revision, approved.fingerprint)
    report = ApplyReport(run_id=run.id, interrupted_runs=interrupted)
    store.add_actions(
        run.id,
        [
            {
                "action_id": a.id,
                "product": a.product,
                "kind": str(a.kind),
                "params": a.params,
                "status": ActionStatus.PENDING,
            }
            for a in approved.actions
        ],
    )
    store.audit(
        "run.started",
        who,
        {
            "fingerprint": approved.fingerprint,
            "revision": approved.fleet.revision,
            "actions": len(approved.actions),
        },
        run_id=run.id,
    )
    ctx = ActContext(desired=desired, store=store, redact=Redactor.for_fleet(desired))
    actions = {a.id: a for a in approved.actions}
    emit = on_event or (lambda *_: None)

    def finish(a: Action, status: ActionStatus, message: str, **extra) -> None:
        outcome = ActionOutcome(a, status, message, extra.get("attempts", 0), extra.get("duration", 0.0))
        report.outcomes[a.id] = outcome
        store.update_action(
            run.id,
            a.id,
            status=status,
            message=message,
            finished_at=utcnow(),
            **{k: v for k, v in extra.items() if k in ("attempts", "outputs", "log")},
        )
        emit("done", a, outcome)

    # Denied and held actions are journaled, never run.
    for a in approved.actions:
        if a.decision.verdict is not Verdict.ALLOW:
            finish(a, ActionStatus.BLOCKED, f"{a.decision.verdict}: {a.decision.rule}: {a.decision.message}")
            store.audit(
                f"action.{a.decision.verdict}",
                who,
                a.decision.model_dump(mode="json"),
                product=a.product,
                action_id=a.id,
                run_id=run.id,
            )

    def execute(a: Action) -> tuple[ActionResult, int, float]:
        store.update_action(run.id, a.id, status=ActionStatus.RUNNING, started_at=utcnow())
        store.audit(
            "action.started",
            who,
            {"kind": str(a.kind), "params": ctx.redact.data(a.params)},
            product=a.product,
            action_id=a.id,
            run_id=run.id,
        )
        emit("start", a, None)
        runner = actuator_for(a, ctx)
        started = time.monotonic()
        attempts = 0

        def attempt() -> ActionResult:
            nonlocal attempts
            attempts += 1
            return runner(a, ctx)

        retrying = Retrying(
            stop=stop_after_attempt(max(1, retries)),
            wait=wait_exponential(multiplier=retry_wait, max=30 * retry_wait),
            retry=retry_if_result(lambda r: r.outcome is Outcome.FAILED and r.transient),
            retry_error_callback=lambda state: state.outcome.result(),
            reraise=True,
        )
        try:
            result = retrying(attempt)
        except RetryError as exc:  # pragma: no cover - retry_error_callback returns the last result
            result = exc.last_attempt.result()
        except Exception as exc:  # a bug in an actuator: journal it, keep other branches going
            result = ActionResult(
                Outcome.FAILED, f"internal error: {type(exc).__name__}: {ctx.redact(str(exc))}"
            )
        return check_duties(a, result), attempts, time.monotonic() - started

    status_of = {
        Outcome.SUCCEEDED: ActionStatus.SUCCEEDED,
        Outcome.NOOP: ActionStatus.NOOP,
        Outcome.FAILED: ActionStatus.FAILED,
    }
    pending = {aid for aid, a in actions.items() if a.decision.verdict is Verdict.ALLOW}
    running: dict[Future, Action] = {}  # only this thread journals outcomes; workers just run actuators
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        while pending or running:
            if stop is not None and stop.is_set() and pending:
                for aid in sorted(pending):
                    finish(
                        actions[aid], ActionStatus.INTERRUPTED, "interrupted: the controller is shutting down"
                    )
                pending.clear()
                continue
            progressed = False
            for aid in sorted(pending, key=lambda x: (actions[x].wave, x)):
                a = actions[aid]
                deps = [report.outcomes.get(d) for d in a.depends_on]
                if any(d is None for d in deps):
                    continue  # a dependency has not finished yet
                bad = [d for d in deps if d.status not in (ActionStatus.SUCCEEDED, ActionStatus.NOOP)]
                pending.discard(aid)
                progressed = True
                if bad:
                    why = ", ".join(f"{d.action.id} {d.status}" for d in bad)
                    blocked = all(d.status is ActionStatus.BLOCKED for d in bad)
                    status = ActionStatus.BLOCKED if blocked else ActionStatus.SKIPPED
                    finish(a, status, f"{status}: dependency {why}")
                    store.audit(
                        f"action.{status}",
                        who,
                        {"because": why},
                        product=a.product,
                        action_id=a.id,
                        run_id=run.id,
                    )
                    continue
                if len(running) >= parallelism:
                    pending.add(aid)
                    progressed = False
                    break
                running[pool.submit(execute, a)] = a
            if progressed:
                continue
            if not running:
                break  # nothing runnable and nothing running: remaining actions wait on nothing
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                a = running.pop(fut)
                result, attempts, duration = fut.result()
                status = status_of[result.outcome]
                outputs = ctx.redact.data(result.outputs)
                finish(
                    a,
                    status,
                    ctx.redact(result.message),
                    attempts=attempts,
                    outputs=outputs,
                    log=ctx.redact(result.log),
                    duration=duration,
                )
                store.audit(
                    f"action.{status}",
                    who,
                    {
                        "message": ctx.redact(result.message),
                        "outputs": outputs,
                        "attempts": attempts,
                        "duration": round(duration, 3),
                    },
                    product=a.product,
                    action_id=a.id,
                    run_id=run.id,
                )

    counts = report.counts()
    run_status = RunStatus.SUCCEEDED if report.ok else RunStatus.FAILED
    if any(o.status is ActionStatus.INTERRUPTED for o in report.outcomes.values()):
        run_status = RunStatus.INTERRUPTED
    store.finish_run(run.id, run_status, counts)
    store.audit("run.finished", who, {"status": str(run_status), "counts": counts}, run_id=run.id)
    return report


def check_duties(action: Action, result: ActionResult) -> ActionResult:
    """Audit duties from the constitution: a succeeded action that cannot prove one is failed.

    ``log`` is proven by a non-empty log; other duties by the actuator's ``evidence``. A noop made no
    side effect, so it owes no proof.
    """
    if result.outcome is not Outcome.SUCCEEDED or not action.decision.audit:
        return result
    proofs = {**result.evidence, **({"log": "log kept in the journal"} if result.log.strip() else {})}
    missing = [duty for duty in action.decision.audit if duty not in proofs]
    if not missing:
        result.outputs = {**result.outputs, "audit": {d: proofs[d] for d in action.decision.audit}}
        return result
    result.outcome = Outcome.FAILED
    result.message = (
        f"{result.message}; but the audit duty {', '.join(missing)} required by the constitution "
        "could not be proven by this actuator"
    )
    return result


def load_plan_file(path: Path) -> Plan:
    return Plan.model_validate_json(path.read_text())
