"""The journal of one apply: the run, each action's status and attempts, and the hash-chained audit record
of every step. Only the engine's scheduling thread writes it, so records appear in the order things
happened; but for a running action's own entry, which the worker running it writes as it goes: its output
(``LiveLog``) and each attempt as it ends (``Journal.attempted``), so a crash keeps what was tried."""

from __future__ import annotations

import getpass
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from codemonkeys.act.base import ActionResult, Redactor
from codemonkeys.engine.executor import Attempt
from codemonkeys.store.db import ActionStatus, RunStatus, Store, utcnow
from codemonkeys.vocab.plan import Action, Plan


def actor() -> str:
    """Who is applying: the OS user (recorded in audit records)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry in some containers
        return "unknown"


@dataclass
class ActionOutcome:
    """How one action of the run ended."""

    action: Action
    status: ActionStatus
    message: str
    attempts: int = 0
    duration: float = 0.0
    verdict: str = ""  # blocked by the gate: deny | hold, with the rule that decided (``message``: its own)
    rule: str = ""
    tries: list[Attempt] = field(default_factory=list)  # each attempt of its actuator, when it ran

    @property
    def text(self) -> str:
        """The message as people read it: ``deny: RULE: message`` for a blocked action."""
        return f"{self.verdict}: {self.rule}: {self.message}" if self.verdict else self.message


@dataclass
class ApplyReport:
    """The outcome of every action of one run."""

    run_id: int
    outcomes: dict[str, ActionOutcome] = field(default_factory=dict)
    interrupted_runs: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No action failed or was skipped for a failure (policy-blocked actions are not failures)."""
        bad = (ActionStatus.FAILED, ActionStatus.SKIPPED, ActionStatus.INTERRUPTED)
        return all(o.status not in bad for o in self.outcomes.values())

    def counts(self) -> dict[str, int]:
        """Status -> number of actions."""
        out: dict[str, int] = {}
        for o in self.outcomes.values():
            out[o.status] = out.get(o.status, 0) + 1
        return out


class LiveLog:
    """Output of running actions, appended to their journal entries at most every ``interval`` seconds
    (actuators call it from worker threads; ``cmctl logs --follow`` reads it)."""

    def __init__(self, store: Store, interval: float = 0.5):
        self.store, self.interval = store, interval
        self.run_id = 0
        self._lock = threading.Lock()
        self._pending: dict[str, list[str]] = {}
        self._flushed: dict[str, float] = {}

    def __call__(self, action: Action, text: str) -> None:
        """Buffer ``text`` of ``action``; write the buffer when the interval has passed."""
        with self._lock:
            self._pending.setdefault(action.id, []).append(text)
            if time.monotonic() - self._flushed.get(action.id, 0.0) < self.interval:
                return
            chunk = "".join(self._pending.pop(action.id))
            self._flushed[action.id] = time.monotonic()
            self.store.append_log(self.run_id, action.id, chunk)

    def discard(self, action_id: str) -> None:
        """Forget buffered output (the final log replaces it)."""
        with self._lock:
            self._pending.pop(action_id, None)


class Journal:
    """Journals one run of an approved plan into the store (actions and audit)."""

    def __init__(
        self,
        store: Store,
        redact: Redactor,
        who: str | None = None,
        durations: Callable[[ActionOutcome, int], None] | None = None,
    ):
        self.store, self.redact, self.who = store, redact, who or actor()
        self.run_id = 0
        self.live = LiveLog(store)
        self.durations = durations  # records each finished action's duration (engine.durations)

    def begin(self, approved: Plan, locked: set[str] | None = None) -> list[int]:
        """Mark runs a crash left running as interrupted (on a shared store only those that touched the
        ``locked`` products), start this run with every action pending; returns the interrupted run ids."""
        interrupted = self.store.mark_interrupted(locked)
        for run_id in interrupted:
            note = {"note": "found running without an apply holding the lock"}
            self.store.audit("run.interrupted", self.who, note, run_id=run_id)
        self.run_id = self.store.start_run(approved.fleet.revision, approved.fingerprint).id
        self.live.run_id = self.run_id
        rows = [
            {
                "action_id": a.id,
                "product": a.product,
                "kind": str(a.kind),
                "params": a.params,
                "status": ActionStatus.PENDING,
            }
            for a in approved.actions
        ]
        self.store.add_actions(self.run_id, rows)
        started = {
            "fingerprint": approved.fingerprint,
            "revision": approved.fleet.revision,
            "actions": len(approved.actions),
        }
        self.store.audit("run.started", self.who, started, run_id=self.run_id)
        return interrupted

    def audit(self, event: str, action: Action, data: dict) -> None:
        """An audit record about ``action`` in this run."""
        self.store.audit(
            event, self.who, data, product=action.product, action_id=action.id, run_id=self.run_id
        )

    def started(self, action: Action) -> None:
        """The action's actuator is about to run."""
        self.store.update_action(self.run_id, action.id, status=ActionStatus.RUNNING, started_at=utcnow())
        self.audit(
            "action.started", action, {"kind": str(action.kind), "params": self.redact.data(action.params)}
        )

    def attempted(self, action: Action, tries: Sequence[Attempt]) -> None:
        """An attempt of ``action``'s actuator ended; ``tries`` are its attempts so far (called from the
        worker running it, which alone writes the entry while it runs; ``ended`` writes them all again)."""
        self.store.update_action(self.run_id, action.id, tries=[t.to_json(self.redact) for t in tries])

    def ended(
        self, outcome: ActionOutcome, result: ActionResult | None = None, audit: dict | None = None
    ) -> None:
        """The action ended with ``outcome`` (with the actuator's ``result`` when it ran)."""
        extra: dict = {}
        self.live.discard(outcome.action.id)
        if result is not None:
            extra = {"outputs": self.redact.data(result.outputs), "log": self.redact(result.log)}
        if outcome.tries:
            extra["tries"] = [t.to_json(self.redact) for t in outcome.tries]
        self.store.update_action(
            self.run_id,
            outcome.action.id,
            status=outcome.status,
            message=outcome.message,
            verdict=outcome.verdict,
            rule=outcome.rule,
            finished_at=utcnow(),
            attempts=outcome.attempts,
            **extra,
        )
        if audit is not None:
            self.audit(f"action.{outcome.status}", outcome.action, audit)
        if result is not None and self.durations is not None:
            self.durations(outcome, self.run_id)

    def finish(self, report: ApplyReport) -> RunStatus:
        """Close the run with its overall status."""
        counts = report.counts()
        status = RunStatus.SUCCEEDED if report.ok else RunStatus.FAILED
        if any(o.status is ActionStatus.INTERRUPTED for o in report.outcomes.values()):
            status = RunStatus.INTERRUPTED
        self.store.finish_run(self.run_id, status, counts)
        self.store.audit(
            "run.finished", self.who, {"status": str(status), "counts": counts}, run_id=self.run_id
        )
        return status
