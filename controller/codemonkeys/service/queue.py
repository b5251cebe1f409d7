"""The controller's work queue, keyed by product (controller-runtime style).

* An event for a product already queued is merged into that entry (dedupe): a burst of 100 events
  becomes one reconcile, or two if it arrives while the product is being reconciled (the product is
  marked dirty and queued again when the reconcile ends).
* One reconcile per product at a time; products come out in dependency order (a product whose
  dependencies are queued waits for them), then by priority (a follow-up of work under way first), then
  by how much of the fleet waits below them (the longest chain of dependents: the critical path of a
  ripple goes first), then by how long they have waited. Any number of workers may take from it.
* A failed reconcile requeues the product after an exponential backoff (base * 2^failures, capped);
  a success resets it. An overall rate limit spaces reconciles.

Thread-safe; time comes from an injectable clock so the logic is tested without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class _Entry:
    product: str
    ready_at: float
    reasons: list[str] = field(default_factory=list)
    merged: int = 0
    priority: int = 0  # higher first among the ready (a follow-up of work under way)


class WorkQueue:
    """Products waiting to be reconciled, one entry each, in dependency order (see the module docstring)."""

    def __init__(
        self,
        depends_on: Mapping[str, Sequence[str]] | None = None,
        backoff_base: float = 5.0,
        backoff_cap: float = 300.0,
        min_interval: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.depends_on = dict(depends_on or {})
        self._below = chains_below(self.depends_on)
        self.backoff_base, self.backoff_cap, self.min_interval = backoff_base, backoff_cap, min_interval
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._active: set[str] = set()
        self._dirty: dict[str, _Entry] = {}  # events that arrived during a product's reconcile
        self._failures: dict[str, int] = {}
        self._last_start = float("-inf")
        self._cond = threading.Condition()
        self._closed = False
        self.merged_total = 0

    # --- producers ------------------------------------------------------------------------------

    def add(self, product: str, reason: str, delay: float = 0.0, priority: int = 0) -> None:
        """Queue ``product`` for ``reason`` in ``delay`` seconds (merged if it is queued or running; the
        merged entry keeps the higher ``priority``)."""
        with self._cond:
            if self._closed:
                return
            ready = self.clock() + delay
            # while it runs, events wait aside: queued again when it ends, when the earliest is due
            pending = self._dirty if product in self._active else self._entries
            entry = pending.get(product)
            if entry is not None:
                entry.reasons.append(reason)
                entry.merged += 1
                entry.ready_at = min(entry.ready_at, ready)
                entry.priority = max(entry.priority, priority)
                self.merged_total += 1
            else:
                pending[product] = _Entry(product, ready, [reason], priority=priority)
                if pending is self._dirty:  # merged into the reconcile that runs
                    self.merged_total += 1
            self._cond.notify_all()

    def set_dependencies(self, depends_on: Mapping[str, Sequence[str]]) -> None:
        """Replace the product -> dependencies map (after a fleet reload)."""
        with self._cond:
            self.depends_on = dict(depends_on)
            self._below = chains_below(self.depends_on)
            self._cond.notify_all()

    # --- the worker -----------------------------------------------------------------------------

    def _pick(self, now: float) -> _Entry | None:
        ready = [e for e in self._entries.values() if e.ready_at <= now]
        waiting_on = set(self._entries) | self._active
        below = self._below

        def first(e: _Entry) -> tuple:
            return (-e.priority, -below.get(e.product, 0), e.ready_at, e.product)

        for entry in sorted(ready, key=first):
            if not any(
                d in waiting_on and d != entry.product for d in self.depends_on.get(entry.product, ())
            ):
                return entry
        # Every ready entry waits on a queued one and none is running: a cycle (the loader forbids them,
        # but a fleet being edited may have one); take the oldest rather than deadlock.
        if ready and not self._active:
            return min(ready, key=lambda e: (e.ready_at, e.product))
        return None

    def get(self, timeout: float | None = None) -> _Entry | None:
        """The next product to reconcile (marked active), or None on timeout or when closed."""
        deadline = None if timeout is None else self.clock() + timeout
        with self._cond:
            while not self._closed:
                now = self.clock()
                entry = self._pick(now)
                if entry is not None and now >= self._last_start + self.min_interval:
                    del self._entries[entry.product]
                    self._active.add(entry.product)
                    self._last_start = now
                    return entry
                waits = [e.ready_at - now for e in self._entries.values() if e.ready_at > now]
                if entry is not None:
                    waits.append(self._last_start + self.min_interval - now)
                if deadline is not None:
                    if now >= deadline:
                        return None
                    waits.append(deadline - now)
                self._cond.wait(timeout=max(0.01, min(waits)) if waits else None)
            return None

    def done(self, product: str, ok: bool) -> float | None:
        """End a reconcile. Returns the backoff delay when it failed and the product was requeued."""
        with self._cond:
            self._active.discard(product)
            delay = None
            if ok:
                self._failures.pop(product, None)
            else:
                n = self._failures.get(product, 0)
                self._failures[product] = n + 1
                delay = min(self.backoff_cap, self.backoff_base * (2**n))
            dirty = self._dirty.pop(product, None)
            if delay is not None or dirty is not None:
                reason = "retry after failure" if delay is not None else "events during the reconcile"
                ready = self.clock() + delay if delay is not None else max(self.clock(), dirty.ready_at)
                again = [reason, *(dirty.reasons if dirty else [])]
                priority = dirty.priority if dirty else 0
                self._entries[product] = _Entry(product, ready, again, priority=priority)
            self._cond.notify_all()
            return delay

    def close(self) -> None:
        """Stop the queue: ``add`` does nothing from now on and every waiting ``get`` returns None."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # --- introspection --------------------------------------------------------------------------

    def depth(self) -> int:
        """How many products are queued (running ones not counted)."""
        with self._cond:
            return len(self._entries)

    def dependencies_busy(self, products) -> list[str]:
        """Which of ``products`` are queued or being reconciled (sorted)."""
        with self._cond:
            return sorted(p for p in set(products) if p in self._entries or p in self._active)

    def failures(self, product: str) -> int:
        """How many reconciles of ``product`` failed in a row."""
        with self._cond:
            return self._failures.get(product, 0)


def chains_below(depends_on: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Per product, the length of the longest chain of products that depend on it, directly or not (0: no
    dependents): how much of the fleet waits below it. A cycle (a fleet being edited) counts once."""
    dependents: dict[str, list[str]] = {}
    for product, deps in depends_on.items():
        for d in deps:
            dependents.setdefault(d, []).append(product)
    below: dict[str, int] = {}

    def depth(name: str, seen: frozenset[str]) -> int:
        if name in below:
            return below[name]
        kids = [k for k in dependents.get(name, ()) if k not in seen]
        below[name] = max((1 + depth(k, seen | {name}) for k in kids), default=0)
        return below[name]

    for name in set(depends_on) | set(dependents):
        depth(name, frozenset())
    return below
