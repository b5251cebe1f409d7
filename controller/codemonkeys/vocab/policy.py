"""Policy vocabulary: the values the gate reads besides the constitution (fact values, approvals, history).

A leaf module shared by the planner (which computes fact values), the engine (which reads approvals and
history from the store) and the gate (which decides over them). It imports nothing of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class FactValue(StrEnum):
    """A fact's value: true (observed), pending (an allowed earlier action makes it true), false, unknown."""

    TRUE = "true"
    PENDING = "pending"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Approval:
    """An approval on record, bound to what the approver saw: the product's fingerprint (its document,
    the dependency documents and facts its plan reads), the action's params and the constitution rules
    that matched the action. It survives unrelated fleet commits and lapses when any of those changes.

    An approval recorded before approvals were bound this way (``params`` None) binds, as it did then,
    to the fleet revision and the product's legacy fingerprint (``PolicyInput.legacy_fingerprint``)."""

    approver: str
    revision: str  # the fleet revision it was given at (shown; matched only for a legacy approval)
    fingerprint: str  # the product's fingerprint it was given for
    comment: str = ""
    params: str | None = None  # the action's params it was given for, as canonical JSON
    rules: str | None = None  # the digest of the rules that matched the action (``Decision.rules``)

    @property
    def legacy(self) -> bool:
        """Recorded before approvals were bound to params and rules."""
        return self.params is None

    def identity(self) -> str:
        """What a decision's input hash records of this approval (who, and what it was bound to)."""
        if self.legacy:
            return f"{self.approver}|legacy|{self.revision}|{self.fingerprint}"
        return f"{self.approver}|{self.fingerprint}|{self.params}|{self.rules}"


@dataclass(frozen=True)
class HistoryEntry:
    """A succeeded action from the journal (budgets are counted from these)."""

    kind: str
    product: str
    company: str | None
    finished_at: datetime
    action_id: str = ""  # the action's id, for rules that match actions by id glob
    labels: tuple[tuple[str, str], ...] = ()  # the product's labels, for rules that match by label
