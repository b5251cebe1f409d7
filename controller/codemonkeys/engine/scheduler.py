"""The scheduler (pure): which allowed actions of a plan may start now, and which can never run because
a dependency failed or was blocked. It holds no I/O; the apply loop asks it after every outcome."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field

from codemonkeys.store.db import ActionStatus
from codemonkeys.vocab.plan import Action, Plan, Verdict

GOOD = (ActionStatus.SUCCEEDED, ActionStatus.NOOP)


@dataclass(frozen=True)
class Skip:
    """An action that will not run because of its dependencies."""

    action: Action
    status: ActionStatus  # BLOCKED when every bad dependency was policy-blocked, else SKIPPED
    because: str


@dataclass
class Scheduler:
    """Tracks the allowed actions of one plan that have not started yet."""

    actions: dict[str, Action]
    pending: set[str] = field(default_factory=set)

    @classmethod
    def for_plan(cls, approved: Plan) -> Scheduler:
        """A scheduler over the plan's allowed actions (denied and held ones never run)."""
        actions = {a.id: a for a in approved.actions}
        return cls(actions, {aid for aid, a in actions.items() if a.decision.verdict is Verdict.ALLOW})

    def step(self, statuses: Mapping[str, ActionStatus], free: int) -> tuple[list[Action], list[Skip]]:
        """Given finished actions' statuses and ``free`` worker slots: actions to start now (wave, then
        id order) and actions to skip because a dependency ended badly. Both leave ``pending``."""
        start: list[Action] = []
        skips: list[Skip] = []
        for aid in sorted(self.pending, key=lambda x: (self.actions[x].wave, x)):
            a = self.actions[aid]
            deps = [(d, statuses.get(d)) for d in a.depends_on]
            if any(s is None for _, s in deps):
                continue  # a dependency has not finished yet
            bad = [(d, s) for d, s in deps if s not in GOOD]
            if bad:
                blocked = all(s is ActionStatus.BLOCKED for _, s in bad)
                status = ActionStatus.BLOCKED if blocked else ActionStatus.SKIPPED
                skips.append(Skip(a, status, ", ".join(f"{d} {s}" for d, s in bad)))
            elif len(start) < free:
                start.append(a)
        self.pending -= {a.id for a in start} | {s.action.id for s in skips}
        return start, skips

    def drain(self) -> list[Action]:
        """Every action not started yet (a shutdown interrupts them)."""
        out = [self.actions[aid] for aid in sorted(self.pending)]
        self.pending.clear()
        return out


def simulate(approved: Plan, seconds: Mapping[str, float], parallelism: int) -> tuple[float, list[str]]:
    """The apply's critical path at ``parallelism``: the walk of ``apply`` replayed with the same scheduler
    (actions start as their dependencies finish, wave then id order, at most ``parallelism`` at once),
    each action taking ``seconds[id]`` (0 when unknown) and succeeding. Returns the time the last action
    ends and the actions that would run, in start order. Denied and held actions (and what waits on
    them) never run."""
    scheduler = Scheduler.for_plan(approved)
    statuses: dict[str, ActionStatus] = {
        a.id: ActionStatus.BLOCKED for a in approved.actions if a.decision.verdict is not Verdict.ALLOW
    }
    running: list[tuple[float, str]] = []  # (finishes at, action id), a heap
    now, started = 0.0, []
    while True:
        start, skips = scheduler.step(statuses, max(1, parallelism) - len(running))
        for skip in skips:
            statuses[skip.action.id] = skip.status
        for a in start:
            heapq.heappush(running, (now + max(0.0, seconds.get(a.id, 0.0)), a.id))
            started.append(a.id)
        if skips:
            continue
        if not running:
            return now, started
        now, done = heapq.heappop(running)
        statuses[done] = ActionStatus.SUCCEEDED
