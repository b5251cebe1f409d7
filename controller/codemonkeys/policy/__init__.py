"""Policy: the constitution engine (stage 4: gate)."""

from codemonkeys.policy.gate import FactValue, Gate, PolicyInput

__all__ = ["FactValue", "Gate", "PolicyInput"]
