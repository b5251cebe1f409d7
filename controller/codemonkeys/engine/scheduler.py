"""The scheduler (pure): which allowed actions of a plan may start now, and which can never run because
a dependency failed or was blocked. It holds no I/O; the apply loop asks it after every outcome."""

from __future__ import annotations

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
