"""Git observation that costs almost nothing when nothing moved (issue 21).

Two checks, both without a git process:

* **the mirror is current**: for a repository on this machine, the digest of its refs
  (``repos.local_ref_state``: ``HEAD``, ``packed-refs``, loose refs read as files) is kept next to the
  mirror after each sync (``cm-source-refs``); equal digest, no ``git fetch``. Remote URLs are fetched
  as before.
* **the facts are current**: a product's ``GitFacts`` are kept in ``<state>/git-facts/<product>.json``
  keyed by the mirror's ref digest, the product's spec, the fleet's packages (manifests are read for
  them), whether the public API was folded in, and the observer's code. Equal key, the facts are read
  back instead of ~6 git processes and the parsing.

Both are safe to delete (the next observation rewrites them); a file that cannot be read or written
is ignored. ``Unknown`` results are never kept.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path

from codemonkeys.repos import local_ref_state
from codemonkeys.vocab.atomicfile import write_atomic
from codemonkeys.vocab.facts import GitFacts

MARKER = "cm-source-refs"
FACTS_DIR = "git-facts"
FORMAT = 1


@cache
def _code_hash() -> str:
    """The code that turns a mirror into GitFacts: a change there voids every kept fact."""
    here = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(str(FORMAT).encode())
    for rel in ("observe/git.py", "observe/oracle.py", "swarm/deps.py", "vocab/facts.py"):
        h.update((here / rel).read_bytes())
    for path in sorted((here / "vocab").glob("version*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def source_refs(url: str) -> str | None:
    """The ref digest of ``url`` when it is a local repository (else None: fetch to know)."""
    return local_ref_state(url) if os.path.isdir(url) else None


def mirror_current(mirror: Path, source: str | None) -> bool:
    """Whether the mirror was synced from the source refs ``source`` (None: cannot tell)."""
    if source is None:
        return False
    try:
        return (mirror / MARKER).read_text() == source
    except OSError:
        return False


def mark_synced(mirror: Path, source: str | None) -> None:
    """Remember the source refs the mirror was just synced from (read before the fetch)."""
    marker = mirror / MARKER
    try:
        if source is None:
            marker.unlink(missing_ok=True)
        else:
            write_atomic(marker, source.encode())
    except OSError:
        pass


def facts_keys(mirror: Path, spec_json: str, packages: str, apis: tuple[bool, ...]) -> list[str | None]:
    """The keys a product's kept GitFacts must match, read with and/or without the public API (one per
    ``apis``), from one read of the mirror's refs (None each when they cannot be read)."""
    refs = local_ref_state(mirror)
    if refs is None:
        return [None for _ in apis]
    code = _code_hash()
    return [
        hashlib.sha256(f"{code}\0{refs}\0{spec_json}\0{packages}\0{api}".encode()).hexdigest() for api in apis
    ]


def packages_digest(packages: dict) -> str:
    """A digest of ``fleet_packages``: ecosystem -> package names."""
    doc = {str(k): sorted(v) for k, v in packages.items()}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


class GitFactsCache:
    """``<state>/git-facts/<product>.json``: the product's GitFacts and the key they were read under."""

    def __init__(self, state_dir: Path):
        self.dir = state_dir / FACTS_DIR

    def _path(self, product: str) -> Path:
        return self.dir / f"{product}.json"

    def get(self, product: str, key: str | None, *alternatives: str | None) -> GitFacts | None:
        """The product's git facts stored under ``key`` (or one of ``alternatives``); None without a key,
        for another key or a bad file."""
        if key is None:
            return None
        try:
            doc = json.loads(self._path(product).read_bytes())
            if doc.get("key") not in (key, *alternatives):
                return None
            return GitFacts.model_validate(doc["git"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, product: str, key: str | None, git: GitFacts) -> None:
        """Store the product's git facts under ``key`` (nothing without a key)."""
        if key is None:
            return
        blob = json.dumps({"key": key, "git": git.model_dump(mode="json")}, sort_keys=True).encode()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            write_atomic(self._path(product), blob)
        except OSError:
            pass
