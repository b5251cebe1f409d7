"""Handlers of a component: which name triggers which kind of call, and the function answering it."""

import logging
from typing import Any, Callable

from pydantic import BaseModel, Field

logger = logging.getLogger(__name__)


class Handler(BaseModel):
    name: str = Field(..., description="The name callers use to reach this handler.")
    kind: str = Field(
        ..., description="Whether the call reads or changes the state.", regex="^(get|set)$"
    )
    fn: Callable = Field(
        ...,
        description="Called as fn(state, value); its result is the answer.",
    )

    def __call__(self, state: dict, value: Any) -> Any:
        logger.debug("calling %s (%s)", self.name, self.kind)
        return self.fn(state, value)


if __name__ == "__main__":
    def bump(state, value):
        state["count"] = state.get("count", 0) + value
        return state["count"]

    handlers = [Handler(name="count", kind="set", fn=bump),
                Handler(name="count", kind="get", fn=lambda state, value: state.get("count", 0))]
    state = {}
    for handler in handlers:
        print(handler.name, handler.kind, handler(state, 5))
