"""Atomic file writes for the caches in the state directory: a reader sees the old file or the new one,
never half of one (a temporary file beside it, then a rename)."""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def write_atomic(path: Path, data: bytes | Callable[[IO[bytes]], None]) -> None:
    """Write ``data`` (bytes, or a function writing to the open file: no second copy in memory) to
    ``path`` atomically, making its directory if needed. Raises what the write raised (``OSError``, a
    pickling error); nothing half-written is left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if callable(data):
                data(fh)
            else:
                fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pickle_atomic(path: Path, value: Any) -> None:
    """``value`` pickled (newest protocol) straight into ``path``, atomically (see ``write_atomic``)."""
    write_atomic(path, lambda fh: pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL))
