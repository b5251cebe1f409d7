"""The planner's kept drafts on disk (``.cmctl/plan-drafts.pickle`` + ``plan-drafts.delta``).

``plan/drafts.py`` keys each product's draft by everything it depends on; this module reads and writes
them in the state directory, the way ``kinds/cache.py`` keeps validated documents: a main pickle,
rewritten only when the drafts changed since it are many (``COMPACT_RATIO``), and a delta of what
changed since, rewritten at each plan that drafted something anew. Both are void when the code that
drafts changes (``code_version``: the facets, the planner, the models and the vocabulary, pydantic's
version), safe to delete at any time, and ignored when unreadable, foreign or corrupt (a plan then drafts
everything, as without a cache). A write that fails leaves the previous files (atomic rename).
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pydantic

from codemonkeys.plan.drafts import DraftCache
from codemonkeys.vocab.atomicfile import pickle_atomic

MAIN_FILE = "plan-drafts.pickle"
DELTA_FILE = "plan-drafts.delta"
FORMAT = 1
COMPACT_RATIO = 0.5  # the delta holding more than this share of the drafts: rewrite the main file
# (higher than the load cache's: facts move more often than product files, and a draft costs about as
# much to pickle as to make, so a plan whose facts moved for a third of the fleet writes that third)


@cache
def code_version() -> str:
    """A hash of the code a draft is a function of: a change there voids every kept draft."""
    pkg = Path(__file__).resolve().parent
    h = hashlib.sha256(f"{FORMAT}:{pydantic.VERSION}".encode())
    files = [
        *sorted((pkg / "facets").glob("*.py")),
        *sorted((pkg / "plan").glob("*.py")),
        *sorted((pkg / "vocab").glob("*.py")),
        pkg / "kinds" / "models.py",
    ]
    for path in files:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _read(path: Path, version: str) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as fh:
            blob = pickle.load(fh)
    except Exception:  # missing, truncated, foreign, or classes that no longer exist: not a cache
        return None
    if (
        not isinstance(blob, dict)
        or blob.get("version") != version
        or not isinstance(blob.get("drafts"), dict)
    ):
        return None
    return blob


class DraftFiles:
    """One state directory's kept drafts: ``open`` before a plan, ``save`` after it."""

    def __init__(self, state_dir: Path):
        self.main = state_dir / MAIN_FILE
        self.delta = state_dir / DELTA_FILE
        self._main_id: str | None = None
        self._main_names: set[str] = set()

    def open(self) -> DraftCache:
        """The drafts kept in the state directory (an empty cache when there are none to trust)."""
        version = code_version()
        enabled = gc.isenabled()
        gc.disable()  # unpickling creates a few objects per product: no point collecting meanwhile
        try:
            main = _read(self.main, version)
            if main is None:
                return DraftCache(version)
            entries = dict(main["drafts"])
            self._main_id, self._main_names = main.get("id"), set(entries)
            delta = _read(self.delta, version)
            if delta is not None and delta.get("main") == self._main_id:
                entries.update(delta["drafts"])
                self._main_names -= set(delta["drafts"])  # superseded in main: the delta has them
            return DraftCache(version, entries)
        finally:
            if enabled:
                gc.enable()

    def save(self, drafts: DraftCache, products: Iterable[str] | None = None) -> None:
        """Write what this plan drafted anew: the delta (everything not as in main), or a new main when
        that grew large (keeping only ``products``, the fleet's, when given). Errors are ignored (the
        cache is an optimisation)."""
        if not drafts.changed:
            return
        fresh = {n: e for n, e in drafts.entries.items() if n not in self._main_names or n in drafts.changed}
        if self._main_id is not None and len(fresh) <= COMPACT_RATIO * max(len(drafts.entries), 1):
            if self._write(self.delta, {"version": drafts.version, "main": self._main_id, "drafts": fresh}):
                drafts.changed.clear()
            return
        keep = drafts.entries
        if products is not None:
            names = set(products)
            keep = {n: e for n, e in keep.items() if n in names}
        main_id = os.urandom(8).hex()
        if self._write(self.main, {"version": drafts.version, "id": main_id, "drafts": keep}):
            self.delta.unlink(missing_ok=True)
            self._main_id, self._main_names = main_id, set(keep)
            drafts.changed.clear()

    @staticmethod
    def _write(path: Path, blob: dict[str, Any]) -> bool:
        try:
            pickle_atomic(path, blob)
            return True
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            return False
