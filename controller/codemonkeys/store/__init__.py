"""Store: persistent state of a fleet (stage 6: record)."""

from codemonkeys.store.db import ActionStatus, RunStatus, Store

__all__ = ["ActionStatus", "RunStatus", "Store"]
