"""Live events of the controller for the dashboard: a small in-process publish/subscribe bus, served as
Server-Sent Events at ``/events``.

The controller publishes ``reconcile.queued`` / ``reconcile.started`` / ``reconcile.finished`` (product,
outcome), and for each action it runs ``action.started``, ``action.progress`` (its newest output line,
at most one a second: ``ActionEvents``) and ``action.finished`` (status); the API publishes
``approval.given`` / ``approval.rejected``. Each subscriber (an open ``/events`` stream) has a bounded
queue, and a subscriber too slow to keep up loses its oldest events rather than slowing the controller
(the page reloads what it shows on any event, so a lost one costs nothing). Events carry names, states
and output lines redacted like the journal's logs (readable by the same viewers), never a secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import queue
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from codemonkeys.vocab.text import newest_line

KEEPALIVE_S = 15.0


PROGRESS_EVERY_S = 1.0


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


class ActionEvents:
    """An apply's ``on_event`` (engine.apply.Event) that publishes its actions on ``bus``: started,
    progress (the newest output line, at most every ``every`` seconds per action) and finished, each with
    the product, the action and its run (looked up once, when it starts)."""

    def __init__(self, bus: EventBus, store, every: float = PROGRESS_EVERY_S) -> None:
        self.bus, self.store, self.every = bus, store, every
        self._lock = threading.Lock()
        self._runs: dict[str, int | None] = {}
        self._sent: dict[str, float] = {}

    def __call__(self, kind: str, action, data) -> None:
        """Publish one event of the apply (``start`` / ``output`` / ``done``); never raises."""
        try:
            self._publish(kind, action, data)
        except Exception:  # a listener must not break the apply
            return

    def _publish(self, kind: str, action, data) -> None:
        where = {"product": action.product, "action": action.id}
        if kind == "start":
            rec = self.store.action_record(action.id)
            with self._lock:
                self._runs[action.id] = rec.run_id if rec is not None else None
            self.bus.publish("action.started", **where, run=self._runs[action.id], kind=str(action.kind))
        elif kind == "output":
            line = newest_line(str(data))
            now = time.monotonic()
            with self._lock:
                if not line or now - self._sent.get(action.id, 0.0) < self.every:
                    return
                self._sent[action.id] = now
                run = self._runs.get(action.id)
            self.bus.publish("action.progress", **where, run=run, line=line[:500])
        elif kind == "done":
            with self._lock:
                run = self._runs.pop(action.id, None)
                self._sent.pop(action.id, None)
            self.bus.publish("action.finished", **where, run=run, status=str(data.status))


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
