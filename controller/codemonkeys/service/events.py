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
        self._subs: set = set()
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

    @property
    def maxsize(self) -> int:
        """How many events a subscriber may have waiting before the oldest is dropped."""
        return self._maxsize

    def subscribe(self) -> queue.Queue:
        """A new subscriber's queue, for a thread (call ``unsubscribe`` with it when done)."""
        q: queue.Queue = queue.Queue(self._maxsize)
        self.attach(q)
        return q

    def attach(self, q) -> None:
        """Deliver to ``q`` (anything with ``put_nowait``, and ``get_nowait`` if it may be full)."""
        with self._lock:
            self._subs.add(q)

    def unsubscribe(self, q) -> None:
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


class _LoopQueue:
    """A subscriber living on an event loop: ``put_nowait`` from any thread hands the event to the loop,
    which keeps the newest ``maxsize`` (no thread waits, nothing polls)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int) -> None:
        self.loop = loop
        self.queue: asyncio.Queue = asyncio.Queue(maxsize)

    def put_nowait(self, doc: dict) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: the stream is gone
            self.loop.call_soon_threadsafe(self._put, doc)

    def _put(self, doc: dict) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # drop the oldest for this slow subscriber
        self.queue.put_nowait(doc)


async def stream(bus: EventBus, stopped: threading.Event, poll: float = 0.5) -> AsyncIterator[str]:
    """The SSE stream of one subscriber until the controller stops (checked every ``poll`` seconds; a
    comment line every ``KEEPALIVE_S`` keeps proxies from closing an idle stream)."""
    sub = _LoopQueue(asyncio.get_running_loop(), bus.maxsize)
    bus.attach(sub)
    try:
        yield "retry: 2000\n: connected\n\n"
        idle = 0.0
        while not stopped.is_set():
            try:
                doc = await asyncio.wait_for(sub.queue.get(), poll)
            except TimeoutError:
                idle += poll
                if idle >= KEEPALIVE_S:
                    idle = 0.0
                    yield ": keep-alive\n\n"
                continue
            idle = 0.0
            yield sse(doc)
    finally:
        bus.unsubscribe(sub)
