"""The cyclic garbage collector paused while a large, long-lived, acyclic state is built (a fleet's
products, a plan's actions): its passes cost time that grows with what is alive (up to 40% of planning
10,000 products) and find nothing to free.

Re-enabling it would start with one pass over everything allocated meanwhile (0.5 s for 10,000
products), so above ``FREEZE_ABOVE`` new objects what is alive is frozen first (``gc.freeze``): frozen
objects are still freed when nothing refers to them; only reference cycles among them would outlive
their use (the states built here have none).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FREEZE_ABOVE = 200_000  # objects allocated while the collector was paused


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block (restored after it, nested blocks included)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_count()[0] > FREEZE_ABOVE:
                gc.freeze()
            gc.enable()
