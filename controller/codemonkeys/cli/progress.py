"""What ``cmctl apply`` shows while it works: each action as it starts and ends, and the long ones'
progress in between (their newest output line: a build's console, Ansible's task names, Terraform's
resource counts).

* On a terminal (``ApplyProgress``, ``live=True``): a rich live panel under the finished lines, one row per
  running action: a spinner, its id, ``12 s of ~45 s`` (the duration model's estimate from the plan) and
  its newest output line.
* Otherwise (piped, CI logs): plain lines, and for an action still running a line every ``every``
  seconds (Terraform's ``Still creating... [10s elapsed]``) with its newest output line.
* ``--json`` (``JsonEvents``): one JSON object per line on stdout for every event (Terraform's
  machine-readable UI): ``planned``, ``action_start``, ``action_output`` (each output line),
  ``action_done`` and a closing ``summary``.

Each is the engine's ``on_event`` (engine.apply.Event): output events come from the worker threads
running the actions, so everything here holds a lock. Output is redacted before it gets here.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import UTC, datetime
from typing import IO, Any

from rich.console import Console, Group
from rich.markup import escape
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from codemonkeys.cli.render import apply_event_printer
from codemonkeys.vocab.plan import Action, Plan
from codemonkeys.vocab.text import newest_line as last_line

STILL_RUNNING_EVERY_S = 10.0


def newest_line(text: str) -> str:
    """The last non-blank line of ``text`` (a chunk of output), stripped; empty if there is none."""
    return last_line(text).strip()


def _secs(s: float) -> str:
    return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"


def took(elapsed: float, expected: float | None) -> str:
    """``12 s`` or ``12 s of ~45 s`` (``of ~`` an estimate); tenths under ten seconds."""
    return f"{_secs(elapsed)} of ~{_secs(expected)}" if expected else _secs(elapsed)


class _Running:
    """One action in flight: when it started, what it is expected to take, its newest output line."""

    def __init__(self, action: Action) -> None:
        self.action = action
        self.started = time.monotonic()
        self.said = self.started  # when a plain "still running" line last spoke of it
        self.line = ""

    @property
    def elapsed(self) -> float:
        """Seconds since it started."""
        return time.monotonic() - self.started


class ApplyProgress:
    """The apply's ``on_event`` for people (see the module docstring); use it as a context manager
    around the apply: it starts and stops the live panel or the plain "still running" ticker."""

    def __init__(self, console: Console, live: bool | None = None, every: float = STILL_RUNNING_EVERY_S):
        self.console = console
        self.live = console.is_terminal if live is None else live
        self.every = every
        self._lines = apply_event_printer(console)  # the start / end lines, as before
        self._lock = threading.Lock()
        self._running: dict[str, _Running] = {}
        self._stop = threading.Event()
        self._panel = None
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> ApplyProgress:
        if self.live:
            from rich.live import Live

            self._panel = Live(
                console=self.console, get_renderable=self._render, refresh_per_second=4, transient=True
            )
            self._panel.start()
        else:
            self._ticker = threading.Thread(target=self._tick, name="apply-progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._panel is not None:
            self._panel.stop()
        if self._ticker is not None:
            self._ticker.join(timeout=2)

    def __call__(self, kind: str, action: Action, data: Any) -> None:
        """One event of the apply (``start`` / ``output`` / ``done``)."""
        with self._lock:
            if kind == "output":
                line = newest_line(str(data))
                run = self._running.get(action.id)
                if run is not None and line:
                    run.line = line
                return
            if kind == "start":
                self._running[action.id] = _Running(action)
            elif kind == "done":
                self._running.pop(action.id, None)
        # printed outside our lock: the live panel's refresh holds its own lock, then asks for ours
        self._lines(kind, action, data)

    def _render(self) -> Group:
        with self._lock:
            running = list(self._running.values())
        table = Table.grid(padding=(0, 1))
        for r in running:
            expected = r.action.predicted_s
            line = Text(r.line[:200], style="dim", overflow="ellipsis", no_wrap=True)
            table.add_row(Spinner("dots"), Text(r.action.id), Text(took(r.elapsed, expected)), line)
        return Group(table)

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                due = [r for r in self._running.values() if time.monotonic() - r.said >= self.every]
                for r in due:
                    r.said = time.monotonic()
                    line = f": {escape(r.line[:200])}" if r.line else ""
                    expected = r.action.predicted_s
                    self.console.print(
                        f"  [dim]…[/] {r.action.id}: still running [{took(r.elapsed, expected)}]{line}",
                        highlight=False,
                    )


class JsonEvents:
    """The apply's ``on_event`` for scripts: one JSON object per line on ``stream`` (stdout) per event,
    each with ``type``, ``@timestamp`` and the action's id, product and kind."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def write(self, doc: dict[str, Any]) -> None:
        """Write one event (a line of JSON), flushed at once so a reader sees it as it happens."""
        doc = {"@timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"), **doc}
        with self._lock:
            self.stream.write(json.dumps(doc, default=str) + "\n")
            self.stream.flush()

    def planned(self, plan: Plan) -> None:
        """One ``planned`` event per action of the plan, with its verdict and reason."""
        for a in plan.actions:
            self.write(
                {
                    "type": "planned",
                    **_about(a),
                    "verdict": str(a.decision.verdict),
                    "rule": a.decision.rule,
                    "reason": a.reason,
                    "predicted_s": a.predicted_s,
                }
            )

    def __call__(self, kind: str, action: Action, data: Any) -> None:
        """One event of the apply: ``action_start``, an ``action_output`` per output line, ``action_done``."""
        if kind == "start":
            self.write({"type": "action_start", **_about(action)})
        elif kind == "output":
            for line in str(data).splitlines():
                if line.strip():
                    self.write({"type": "action_output", **_about(action), "line": line})
        elif kind == "done":
            self.write(
                {
                    "type": "action_done",
                    **_about(action),
                    "status": str(data.status),
                    "message": data.text,
                    "attempts": data.attempts,
                    "duration_s": round(data.duration, 3),
                }
            )

    def summary(self, run_id: int | None, ok: bool, counts: dict[str, int], after: str | None) -> None:
        """The closing ``summary`` event: the run (None when nothing was runnable), whether all went well,
        counts per status, what the refreshed plan says now."""
        self.write({"type": "summary", "run": run_id, "ok": ok, "counts": counts, "now": after})


def _about(a: Action) -> dict[str, str]:
    return {"action": a.id, "product": a.product, "kind": str(a.kind)}
