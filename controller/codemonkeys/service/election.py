"""Which controller process does the singleton duties (resync scheduling, approvals, stalled-job
recovery, pruning old jobs): the one holding a PostgreSQL session advisory lock on a dedicated
connection.

Every process keeps one connection named ``cmctl-controller <host> <pid> w<worker id> c<concurrency>``
(``application_name``: how ``cmctl controller status`` finds the processes) and tries the lock every
``interval`` seconds. The lock lives as long as the connection: a process that dies (even by kill -9)
drops it with its connection, and another takes it at its next try. A process whose connection breaks
stops being elected at once and reconnects with backoff.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from codemonkeys.service.workers import APP_NAME, ELECTION_KEY

log = logging.getLogger("codemonkeys.election")


class Election:
    """The election loop of one process (see the module docstring); ``elected`` is set while it leads."""

    def __init__(
        self,
        conninfo: str,
        name: Callable[[], str],
        interval: float = 1.0,
        on_change: Callable[[bool], None] | None = None,
    ):
        self.conninfo = conninfo
        self.name = name  # the label after APP_NAME (changes once the worker has an id)
        self.interval = interval
        self.on_change = on_change or (lambda _elected: None)
        self.elected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cm-election", daemon=True)

    def start(self) -> None:
        """Start trying."""
        self._thread.start()

    def stop(self) -> None:
        """Stop; the lock goes with the connection."""
        self._stop.set()
        self._thread.join(timeout=10)

    def _set(self, elected: bool) -> None:
        if elected != self.elected.is_set():
            (self.elected.set if elected else self.elected.clear)()
            log.info('{"event": "election", "elected": %s}', "true" if elected else "false")
            self.on_change(elected)

    def _loop(self) -> None:
        import psycopg

        backoff = self.interval
        while not self._stop.is_set():
            try:
                label = f"{APP_NAME} {self.name()}"[:63]
                with psycopg.connect(self.conninfo, autocommit=True, application_name=label) as conn:
                    backoff = self.interval
                    self._hold(conn, label)
            except Exception as exc:  # psycopg errors, and anything else: never let the thread die
                log.warning('{"event": "election.disconnected", "error": %r}', type(exc).__name__)
            self._set(False)
            if self._stop.wait(backoff):
                return
            backoff = min(backoff * 2, 30.0)

    def _hold(self, conn, label: str) -> None:
        while not self._stop.is_set():
            wanted = f"{APP_NAME} {self.name()}"[:63]
            if wanted != label:
                conn.execute("SELECT set_config('application_name', %s, false)", (wanted,))
                label = wanted
            if self.elected.is_set():
                conn.execute("SELECT 1")  # still connected, so still holding the lock
            else:
                got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", ELECTION_KEY).fetchone()
                self._set(bool(got and got[0]))
            self._stop.wait(self.interval)
