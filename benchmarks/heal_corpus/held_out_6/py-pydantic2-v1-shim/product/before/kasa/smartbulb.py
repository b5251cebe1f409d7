"""Module for bulbs."""
from enum import Enum
from typing import Any, Dict, Optional

from pydantic import BaseModel, Field, root_validator

from .modules import Cloud, RuleModule


class BehaviorMode(str, Enum):
    """Enum to present type of turn on behavior."""

    Last = "last_status"
    Preset = "customize_preset"


class TurnOnBehavior(BaseModel):
    """Model to present a single turn on behavior."""

    preset: Optional[int] = Field(alias="index", default=None)
    brightness: Optional[int] = None
    mode: BehaviorMode

    @root_validator
    def _mode_based_on_preset(cls, values):
        """Set the mode based on the preset value."""
        if values["preset"] is not None:
            values["mode"] = BehaviorMode.Preset
        else:
            values["mode"] = BehaviorMode.Last
        return values

    class Config:
        """Configuration to make the validator run when changing the values."""

        validate_assignment = True


class SmartBulb:
    """A bulb built from a sysinfo reply."""

    def __init__(self, sys_info: Dict[str, Any]):
        self.sys_info = sys_info
        self.modules = {
            "cloud": Cloud("cnCloud", sys_info.get("cnCloud", {})),
            "schedule": RuleModule("schedule", sys_info.get("schedule", {})),
        }

    @property
    def turn_on_behavior(self) -> Dict[str, TurnOnBehavior]:
        raw = self.sys_info["default_behavior"]
        return {kind: TurnOnBehavior.parse_obj(value) for kind, value in raw.items()}
