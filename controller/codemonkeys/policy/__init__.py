"""Policy: the constitution engine (stage 4: gate)."""

from codemonkeys.policy.gate import Approval, FactValue, Gate, HistoryEntry, PolicyInput

__all__ = ["Approval", "FactValue", "Gate", "HistoryEntry", "PolicyInput"]
