"""The loader's cache of validated product files, keyed by file content hash (``.cmctl/load-cache.pickle``).

A product file whose bytes (SHA-256) are in the cache is not parsed nor validated again: its documents'
data (with the Fleet's defaults merged in), the position of each ``metadata.name`` and the validated
``Product`` come from the cache. Only files whose every document validated are cached, so every problem
is found by the loader itself, with its positions. The whole cache is void when the Fleet's
``spec.defaults``, the models' source or pydantic change. It is safe to delete at any time (the next load
rebuilds it), and a cache that cannot be read or written is ignored. It is a pickle: it lives in the
state directory, which only the controller writes (like its database).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pydantic

from codemonkeys.kinds.models import Product

CACHE_FILE = "load-cache.pickle"
FORMAT = 2


@dataclass(frozen=True)
class CachedDoc:
    """One validated product document of a cached file."""

    data: Any  # the document's data, the Fleet's defaults merged in
    name_line: int  # position of metadata.name's value
    name_col: int
    product: Product
    added: tuple  # (where in fleet.yaml, path) merged in from the defaults: positions point there


@cache
def _code_hash() -> str:
    """The models and the vocabulary they use: a change there voids the cache."""
    h = hashlib.sha256(f"{FORMAT}:{pydantic.VERSION}".encode())
    here = Path(__file__).resolve().parent
    for path in [here / "models.py", *sorted((here.parent / "vocab").glob("*.py"))]:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


class LoadCache:
    """Content hash -> validated documents, for one load (read at the start, written at the end)."""

    def __init__(self, state_dir: Path | None, defaults: Any):
        self.path = state_dir / CACHE_FILE if state_dir is not None else None
        self.key = (
            _code_hash()
            + ":"
            + hashlib.sha256(json.dumps(defaults, sort_keys=True, default=repr).encode()).hexdigest()
        )
        self.old: dict[str, list[CachedDoc]] = {}
        self.new: dict[str, list[CachedDoc]] = {}
        self.misses = 0
        if self.path is None:
            return
        enabled = gc.isenabled()
        gc.disable()  # unpickling creates ~10 objects per product: no point collecting meanwhile
        try:
            with open(self.path, "rb") as fh:
                blob = pickle.load(fh)
            if isinstance(blob, dict) and blob.get("key") == self.key:
                self.old = blob["files"]
        except Exception:
            self.old = {}
        finally:
            if enabled:
                gc.enable()

    def get(self, digest: str) -> list[CachedDoc] | None:
        """The cached documents of a file with this content hash, if any."""
        docs = self.old.get(digest)
        if docs is not None:
            self.new[digest] = docs
        return docs

    def put(self, digest: str, docs: list[CachedDoc]) -> None:
        """Remember a file whose every document validated."""
        self.new[digest] = docs
        self.misses += 1

    def save(self) -> None:
        """Write the cache if it changed (files added or gone); atomic, errors ignored."""
        if self.path is None or (not self.misses and len(self.new) == len(self.old)):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".load-cache.", dir=self.path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump({"key": self.key, "files": self.new}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except (OSError, pickle.PicklingError):
            Path(tmp).unlink(missing_ok=True)
