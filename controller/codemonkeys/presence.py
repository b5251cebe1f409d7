"""Whether a controller runs on a fleet's state: ``<state dir>/controller.json``, written by the
controller when it starts and refreshed while it runs (its heartbeat), read by ``cmctl approve`` to say
whether the approval will be acted on. A file of the state directory: it speaks for the controllers of
this machine (a shared PostgreSQL state has ``cmctl controller status`` for the others)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from codemonkeys.vocab.atomicfile import write_atomic

PRESENCE_FILE = "controller.json"
STALE_S = 30.0  # a heartbeat older than this: the controller is gone


def write_presence(state_dir: Path, doc: dict[str, Any]) -> None:
    """Record (or refresh) this process as the controller of ``state_dir``."""
    state_dir.mkdir(parents=True, exist_ok=True)
    body = {**doc, "pid": os.getpid(), "heartbeat": time.time()}
    write_atomic(state_dir / PRESENCE_FILE, json.dumps(body, sort_keys=True).encode())


def clear_presence(state_dir: Path) -> None:
    """Remove this process's record (a clean shutdown); another process's is left alone."""
    path = state_dir / PRESENCE_FILE
    doc = _read(path)
    if doc is not None and doc.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def controller_presence(state_dir: Path, now: float | None = None) -> dict[str, Any] | None:
    """The running controller's record, or None when none runs (no file, a stale heartbeat, or its
    process is gone)."""
    doc = _read(state_dir / PRESENCE_FILE)
    if doc is None:
        return None
    beat = doc.get("heartbeat")
    if not isinstance(beat, int | float) or (now or time.time()) - beat > STALE_S:
        return None
    pid = doc.get("pid")
    if isinstance(pid, int):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:  # alive, another user's
            pass
    return doc


def _read(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None
