"""Live events of the controller for the dashboard: a small in-process publish/subscribe bus, served as
Server-Sent Events at ``/events``.

The controller publishes ``reconcile.started`` and ``reconcile.finished`` (product, outcome) and the API
publishes ``approval.given`` / ``approval.rejected``; each subscriber (an open ``/events`` stream) has a
bounded queue, and a subscriber too slow to keep up loses its oldest events rather than slowing the
controller (the page reloads what it shows on any event, so a lost one costs nothing). Events carry
names and states only, never a secret or a log.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import queue
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime

KEEPALIVE_S = 15.0


class EventBus:
    """Thread-safe fan-out of small JSON events to every subscriber."""

    def __init__(self, maxsize: int = 256) -> None:
        self._lock = threading.Lock()
        self._subs: set[queue.Queue] = set()
        self._ids = itertools.count(1)
        self._maxsize = maxsize

    def publish(self, event: str, **data) -> None:
        """Send ``event`` with ``data`` to every subscriber (never blocks, never raises)."""
        doc = {"id": next(self._ids), "event": event, "at": datetime.now(UTC).isoformat(), **data}
        with self._lock:
            subs = list(self._subs)
        for q in subs:
            while True:
                try:
                    q.put_nowait(doc)
                    break
                except queue.Full:
                    with contextlib.suppress(queue.Empty):
                        q.get_nowait()  # drop the oldest for this slow subscriber

    def subscribe(self) -> queue.Queue:
        """A new subscriber's queue (call ``unsubscribe`` with it when done)."""
        q: queue.Queue = queue.Queue(self._maxsize)
        with self._lock:
            self._subs.add(q)
        return q

    def unsubscribe(self, q: queue.Queue) -> None:
        """Stop delivering to ``q``."""
        with self._lock:
            self._subs.discard(q)

    @property
    def subscribers(self) -> int:
        """How many streams are open."""
        with self._lock:
            return len(self._subs)


def sse(doc: dict) -> str:
    """One Server-Sent Event: ``id``, ``event`` and the JSON document as ``data``."""
    return f"id: {doc['id']}\nevent: {doc['event']}\ndata: {json.dumps(doc, sort_keys=True)}\n\n"


async def stream(bus: EventBus, stopped: threading.Event, poll: float = 0.25) -> AsyncIterator[str]:
    """The SSE stream of one subscriber until the controller stops (a comment line keeps proxies from
    closing an idle stream). The queue is read in a worker thread, so the event loop never blocks."""
    q = bus.subscribe()
    try:
        yield "retry: 2000\n: connected\n\n"
        idle = 0.0
        while not stopped.is_set():
            try:
                doc = await asyncio.to_thread(q.get, True, poll)
            except queue.Empty:
                idle += poll
                if idle >= KEEPALIVE_S:
                    idle = 0.0
                    yield ": keep-alive\n\n"
                continue
            idle = 0.0
            yield sse(doc)
    finally:
        bus.unsubscribe(q)
