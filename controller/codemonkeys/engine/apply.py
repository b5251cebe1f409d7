"""Apply (stages 5-6): walk an approved plan in dependency order with bounded parallelism.

One apply at a time per product (a file lock per product next to the state, a database lock on
PostgreSQL). Denied and held actions are journaled as
blocked and never run. Allowed actions start as their dependencies succeed (up to ``parallelism`` at
once); dependents of a failure are skipped, dependents of a blocked action are blocked. A run left
``running`` by a killed apply is marked ``interrupted`` by the next one, which converges from what is
observed: finished side effects are visible (a tag, an uploaded file, a recorded build) and are not
repeated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from filelock import FileLock, Timeout

from codemonkeys.act import ActContext, Outcome, Redactor
from codemonkeys.context import Context
from codemonkeys.engine.durations import DurationRecorder
from codemonkeys.engine.executor import Execution, RetryPolicy, execute
from codemonkeys.engine.journal import ActionOutcome, ApplyReport, Journal
from codemonkeys.engine.notify import notify
from codemonkeys.engine.scheduler import Scheduler, Skip
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.store.db import ActionStatus, ProductBusy, Store
from codemonkeys.vocab.plan import Action, Plan, Verdict

# What ``on_event`` hears, in order for each action: ("start", action, None); ("output", action, text) as
# its actuator writes output (redacted; from the worker thread running it, so a listener must be
# thread-safe); ("done", action, outcome). A blocked or skipped action has only its "done".
Event = Callable[[str, Action, ActionOutcome | str | None], None]

_STATUS_OF = {
    Outcome.SUCCEEDED: ActionStatus.SUCCEEDED,
    Outcome.NOOP: ActionStatus.NOOP,
    Outcome.FAILED: ActionStatus.FAILED,
}


class FleetBusy(Exception):
    """Another apply holds the fleet lock."""


def product_lock(desired: DesiredState, product: str) -> FileLock:
    """The lock an apply holds on each product it acts on, on a local store (non-blocking): applies of
    other products, in this process or another, proceed (the controller's workers, a person's apply)."""
    locks = desired.state_dir / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    return FileLock(str(locks / f"{product}.lock"), timeout=0)


@dataclass
class _Run:
    """One apply in progress: the journal, the report, the scheduler and the actuators' context."""

    journal: Journal
    report: ApplyReport
    scheduler: Scheduler
    ctx: ActContext
    emit: Event
    policy: RetryPolicy

    def end(self, outcome: ActionOutcome, result=None, audit: dict | None = None) -> None:
        self.report.outcomes[outcome.action.id] = outcome
        self.journal.ended(outcome, result, audit)
        self.emit("done", outcome.action, outcome)

    def block_disallowed(self, approved: Plan) -> None:
        """Denied and held actions are journaled (with their decision), never run."""
        for a in approved.actions:
            if a.decision.verdict is not Verdict.ALLOW:
                d = a.decision
                outcome = ActionOutcome(
                    a, ActionStatus.BLOCKED, d.message, verdict=str(d.verdict), rule=d.rule or ""
                )
                self.report.outcomes[a.id] = outcome
                self.journal.ended(outcome)
                event, data = f"action.{d.verdict}", d.model_dump(mode="json")
                if not self.unchanged(a, event, data):
                    self.journal.audit(event, a, data)
                self.emit("done", a, outcome)

    def skip(self, skip: Skip) -> None:
        audit: dict | None = {"because": skip.because}
        if skip.status is ActionStatus.BLOCKED and self.unchanged(skip.action, "action.blocked", audit):
            audit = None  # blocked by the same dependency as last time: recorded once
        self.end(
            ActionOutcome(skip.action, skip.status, f"{skip.status}: dependency {skip.because}"),
            audit=audit,
        )

    def unchanged(self, action: Action, event: str, data: dict) -> bool:
        """Whether the newest audit record of ``action`` is this ``event`` with this ``data`` (a hold or
        a block every resync finds again is audited when it starts or changes, not each time)."""
        last = self.journal.store.last_audit(action.id)
        if last is None or last.event != event:
            return False
        volatile = ("id", "input_hash", "trace")  # the same decision from inputs that moved (a revision)
        return {k: v for k, v in (last.data or {}).items() if k not in volatile} == {
            k: v for k, v in data.items() if k not in volatile
        }

    def interrupt(self) -> None:
        for a in self.scheduler.drain():
            self.end(
                ActionOutcome(a, ActionStatus.INTERRUPTED, "interrupted: the controller is shutting down")
            )

    def start(self, pool: ThreadPoolExecutor, action: Action) -> Future:
        self.journal.started(action)
        self.emit("start", action, None)
        return pool.submit(execute, action, self.ctx, self.policy, partial(self.journal.attempted, action))

    def finished(self, action: Action, run: Execution) -> None:
        result, redact = run.result, self.ctx.redact
        status = _STATUS_OF[result.outcome]
        outcome = ActionOutcome(
            action, status, redact(result.message), run.attempts, run.duration, tries=run.tries
        )
        audit = {
            "message": redact(result.message),
            "outputs": redact.data(result.outputs),
            "attempts": run.attempts,
            "duration": round(run.duration, 3),
        }
        self.end(outcome, result, audit)

    def statuses(self) -> dict[str, ActionStatus]:
        return {aid: o.status for aid, o in self.report.outcomes.items()}


def apply_plan(
    approved: Plan,
    desired: DesiredState,
    store: Store,
    context: Context,
    parallelism: int = 4,
    on_event: Event | None = None,
    retries: int = 3,
    retry_wait: float = 1.0,
    stop: threading.Event | None = None,
    who: str | None = None,
) -> ApplyReport:
    """Run the allowed actions of ``approved`` in dependency order. Denied and held actions never run.

    ``on_event`` hears each action start, write output and end (``Event``); ``who`` is the actor of the
    run's audit records (default: the OS user; a controller passes its own identity). When ``stop`` is
    set (a controller shutting down), actions in flight finish, nothing new starts, and the rest of the
    run is journaled as interrupted.
    """
    with _apply_lock(approved, desired, store) as locked:
        redact = Redactor.for_fleet(desired, context.secrets)
        journal = Journal(store, redact, who=who, durations=DurationRecorder(desired, store, context))
        interrupted = journal.begin(approved, locked)
        emit: Event = on_event or (lambda *_: None)

        def live(action: Action, text: str) -> None:  # redacted already (ActContext.output)
            journal.live(action, text)
            emit("output", action, text)

        run = _Run(
            journal,
            ApplyReport(run_id=journal.run_id, interrupted_runs=interrupted),
            Scheduler.for_plan(approved),
            ActContext(
                desired=desired, store=store, redact=redact, context=context, live=live, run_id=journal.run_id
            ),
            emit,
            RetryPolicy(retries, retry_wait),
        )
        run.block_disallowed(approved)
        _walk(run, max(1, parallelism), stop)
        journal.finish(run.report)
        notify(approved, run.report, desired, store, context)
        return run.report


@contextmanager
def _apply_lock(approved: Plan, desired: DesiredState, store: Store) -> Iterator[set[str] | None]:
    """One apply at a time per product: on a local store a file lock per product (``product_lock``), on a
    shared store (PostgreSQL) a database lock per product, so applies of other products, in other
    threads, processes or machines, proceed. Yields the locked products."""
    if store.shared:
        products = {a.product for a in approved.actions}
        try:
            with store.lock_products(products):
                yield products
        except ProductBusy as busy:
            raise FleetBusy(
                f"another apply is running on product {busy.product} (a lock in the state database)"
            ) from None
        return
    products = {a.product for a in approved.actions}
    held: list[FileLock] = []
    try:
        for name in sorted(products):  # one order everywhere: two applies never wait on each other
            lock = product_lock(desired, name)
            try:
                lock.acquire()
            except Timeout:
                why = f"another apply is running on product {name} (lock {lock.lock_file})"
                raise FleetBusy(why) from None
            held.append(lock)
        yield products
    finally:
        for lock in reversed(held):
            lock.release()


def _walk(run: _Run, parallelism: int, stop: threading.Event | None) -> None:
    """Start what is ready, wait for the first to finish, repeat; only this thread journals."""
    running: dict[Future, Action] = {}
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        while True:
            if stop is not None and stop.is_set():
                run.interrupt()
            start, skips = run.scheduler.step(run.statuses(), parallelism - len(running))
            for s in skips:
                run.skip(s)
            for a in start:
                running[run.start(pool, a)] = a
            if skips:
                continue  # their dependents may be decidable now
            if not running:
                return  # nothing runnable and nothing running: what is left waits on nothing
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                run.finished(running.pop(fut), fut.result())
