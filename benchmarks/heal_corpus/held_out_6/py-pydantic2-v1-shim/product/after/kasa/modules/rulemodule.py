"""Base implementation for all rule-based modules."""
import logging
from enum import Enum
from typing import Dict, List, Optional

try:
    from pydantic.v1 import BaseModel
except ImportError:
    from pydantic import BaseModel


from .module import Module, merge


class Action(Enum):
    """Action to perform."""

    Disabled = -1
    TurnOff = 0
    TurnOn = 1
    Unknown = 2


class Rule(BaseModel):
    """Representation of a rule."""

    id: str
    name: str
    enable: bool
    wday: List[int]
    repeat: bool
    sact: Optional[Action] = None
    smin: int


_LOGGER = logging.getLogger(__name__)


class RuleModule(Module):
    """Base class for rule-based modules, such as countdown and antitheft."""

    @property
    def rules(self) -> List[Rule]:
        """Return the list of rules for the service."""
        try:
            return [Rule.parse_obj(rule) for rule in self.data["get_rules"]["rule_list"]]
        except Exception as ex:
            _LOGGER.error("Unable to read rule list: %s (data: %s)", ex, self.data)
            return []

    def update_data(self, patch: Dict) -> None:
        merge(self.data, patch)
