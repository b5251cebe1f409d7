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
    """An approval on record, bound to the fleet revision and product fingerprint it was given for."""

    approver: str
    revision: str  # fleet revision it was given for
    fingerprint: str  # the product's observed fingerprint it was given for
    comment: str = ""


@dataclass(frozen=True)
class HistoryEntry:
    """A succeeded action from the journal (budgets are counted from these)."""

    kind: str
    product: str
    company: str | None
    finished_at: datetime
    action_id: str = ""  # the action's id, for rules that match actions by id glob
    labels: tuple[tuple[str, str], ...] = ()  # the product's labels, for rules that match by label
