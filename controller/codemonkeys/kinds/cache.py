"""The loader's cache of validated product files (``.cmctl/load-cache.pickle`` + ``load-cache.delta``).

A product file whose bytes (SHA-256) are in the cache is not parsed nor merged with the defaults again:
the position of each ``metadata.name``, what the cross-document checks read (``Refs``) and the validated
``Product`` (as its JSON, read back by pydantic-core: faster than unpickling models, ~10 objects each)
come from the cache. A file whose ``stat`` (mtime, ctime, size, inode) is the one recorded with its hash
is not even read: its hash comes from the cache too (git's "racy" rule: a file modified less than
``RACY_S`` before it was read is always read again). Only files whose every document validated are
cached, so every problem is found by the loader itself, with its positions. The whole cache is void when
the Fleet's ``spec.defaults``/companies, the models' source or pydantic change.

Two files keep writes small: the main pickle, rewritten only when the files changed since it are many
(``COMPACT_RATIO``), and a delta of what changed since, rewritten at each load that changed something.
Both are safe to delete at any time (the next load rebuilds them), and a cache that cannot be read or
written is ignored. They are pickles: they live in the state directory, which only the controller
writes (like its database).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
import time
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import pydantic

from codemonkeys.vocab.atomicfile import pickle_atomic

CACHE_FILE = "load-cache.pickle"
DELTA_FILE = "load-cache.delta"
FORMAT = 4
RACY_S = 2.0  # a file modified this recently is hashed again at every load (mtime granularity)
COMPACT_RATIO = 0.125  # the delta holding more than this share of the files: rewrite the main file


class Refs(NamedTuple):
    """What the cross-document checks read of one product document (from its raw data)."""

    company: Any
    depends_on: tuple
    registries: tuple  # spec.release.publish[].registry
    channels: tuple  # spec.announce.channels
    build: tuple | None  # (ci, has a command) when spec.build is a mapping


# One validated product document of a cached file, a plain tuple (unpickled at C speed):
# (metadata.name, line and column of its value, the Product's JSON (``model_dump_json(by_alias=True,
# round_trip=True)``), what was merged in from the defaults as ``(where in fleet.yaml, path)`` (positions
# point there), its ``Refs`` as a plain tuple).
CachedDoc = tuple[str, int, int, str, tuple, tuple]


Stat = tuple[int, int, int, int]  # mtime_ns, ctime_ns, size, inode


def stat_key(st: os.stat_result) -> Stat:
    """What says a file may have changed without reading it: mtime, ctime, size and inode."""
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


@cache
def _code_hash() -> str:
    """The models and the vocabulary they use: a change there voids the cache."""
    h = hashlib.sha256(f"{FORMAT}:{pydantic.VERSION}".encode())
    here = Path(__file__).resolve().parent
    for path in [here / "models.py", here / "cache.py", *sorted((here.parent / "vocab").glob("*.py"))]:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _read_blob(path: Path, key: str) -> dict | None:
    try:
        with open(path, "rb") as fh:
            blob = pickle.load(fh)
    except Exception:
        return None
    return blob if isinstance(blob, dict) and blob.get("key") == key else None


class LoadCache:
    """Content hash -> validated documents, path -> (stat, content hash): read at the start of a load,
    written at its end."""

    def __init__(self, state_dir: Path | None, defaults: Any):
        self.path = state_dir / CACHE_FILE if state_dir is not None else None
        self.delta_path = state_dir / DELTA_FILE if state_dir is not None else None
        self.key = (
            _code_hash()
            + ":"
            + hashlib.sha256(json.dumps(defaults, sort_keys=True, default=repr).encode()).hexdigest()
        )
        self.files: dict[str, list[CachedDoc]] = {}  # content hash -> documents (main + delta)
        self.stats: dict[str, tuple[Stat, str] | None] = {}  # path -> (stat, content hash)
        self._main_files: dict[str, list[CachedDoc]] = {}
        self._main_stats: dict[str, tuple[Stat, str]] = {}
        self.used: set[str] = set()  # content hashes this load used or added
        self.seen: dict[str, tuple[Stat | None, str]] = {}  # path -> what this load found
        self.misses = 0
        self._main_id: str | None = None
        self._delta: tuple[Any, Any] = (None, None)  # (file hashes, stats) of the delta read
        self.now = time.time_ns()
        if self.path is None or self.delta_path is None:
            return
        enabled = gc.isenabled()
        gc.disable()  # unpickling creates ~10 objects per product: no point collecting meanwhile
        try:
            main = _read_blob(self.path, self.key)
            if main is None:
                return
            self._main_files, self._main_stats = main["files"], main["stats"]
            self._main_id = main.get("id")
            self.files, self.stats = dict(self._main_files), dict(self._main_stats)
            delta = _read_blob(self.delta_path, self.key)
            if delta is not None and delta.get("main") == main.get("id"):
                self.files.update(delta["files"])
                self.stats.update(delta["stats"])
                self._delta = (delta["files"].keys(), delta["stats"])
        finally:
            if enabled:
                gc.enable()

    def known(self, path: str, st: os.stat_result) -> str | None:
        """The content hash of ``path`` if its stat is the one recorded with it (and not racy)."""
        entry = self.stats.get(path)
        key = stat_key(st)
        if entry is None or entry[0] != key or self.now - key[0] < RACY_S * 1e9:
            return None
        return entry[1]

    def saw(self, path: str, st: os.stat_result | None, digest: str) -> None:
        """Record what this load found at ``path`` (a stat of a file modified recently is not kept)."""
        key = stat_key(st) if st is not None else None
        if key is not None and self.now - key[0] < RACY_S * 1e9:
            key = None
        self.seen[path] = (key, digest)

    def get(self, digest: str) -> list[CachedDoc] | None:
        """The cached documents of a file with this content hash, if any."""
        docs = self.files.get(digest)
        if docs is not None:
            self.used.add(digest)
        return docs

    def put(self, digest: str, docs: list[CachedDoc]) -> None:
        """Remember a file whose every document validated."""
        self.files[digest] = docs
        self.used.add(digest)
        self.misses += 1

    def save(self) -> None:
        """Write what changed: the delta against the main file, or both when the delta grew large.
        Atomic (rename); errors ignored."""
        if self.path is None or self.delta_path is None:
            return
        stats = {p: (k, d) for p, (k, d) in self.seen.items() if k is not None and d in self.used}
        files = {d: self.files[d] for d in self.used}
        if files.keys() == self._main_files.keys() and stats == self._main_stats:
            if self.delta_path.exists():
                self.delta_path.unlink(missing_ok=True)
            return
        changed_files = {d: v for d, v in files.items() if d not in self._main_files}
        changed_stats: dict[str, Any] = {p: v for p, v in stats.items() if self._main_stats.get(p) != v}
        changed_stats |= dict.fromkeys(self._main_stats.keys() - stats.keys())  # None: no stat kept
        stale = len(self._main_files.keys() - files.keys())
        if self._main_files and len(changed_files) + len(changed_stats) + stale <= COMPACT_RATIO * max(
            len(files), 1
        ):
            if (changed_files.keys(), changed_stats) == self._delta:
                return  # the delta on disk says just this
            delta = {"key": self.key, "main": self._main_id, "files": changed_files, "stats": changed_stats}
            if self._write(self.delta_path, delta):
                return
        main_id = hashlib.sha256(repr((sorted(files), sorted(stats.items()))).encode()).hexdigest()[:16]
        if self._write(self.path, {"key": self.key, "id": main_id, "files": files, "stats": stats}):
            self.delta_path.unlink(missing_ok=True)

    def _write(self, path: Path, blob: dict) -> bool:
        try:
            pickle_atomic(path, blob)
            return True
        except (OSError, pickle.PicklingError):
            return False
