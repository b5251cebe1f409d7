"""The public-API fingerprint of a product at a commit, from its parsed files (pure).

Sits between ``oracle.parse`` / ``oracle.store`` (which produce ``FileGraph`` values) and the docs facet:
docs need rebuilding when the API changed, not when a comment, a body or a docstring did. The
fingerprint hashes only the public symbols' (qualified name, kind, normalized signature), sorted, so it
is independent of file order, line numbers and everything inside bodies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from codemonkeys.oracle.parse import FileGraph

ApiEntry = tuple[str, str, str]  # (qualified name, kind, signature)


def public_api(files: Iterable[FileGraph]) -> list[ApiEntry]:
    """The sorted, de-duplicated public symbols that make up the API."""
    return sorted({(s.qualname, str(s.kind), s.signature) for f in files for s in f.symbols if s.public})


def api_fingerprint(files: Iterable[FileGraph]) -> str:
    """The sha256 of the public API (``public_api``): changes only when the API does."""
    digest = hashlib.sha256(b"codemonkeys.oracle.api/v1\n")
    for entry in public_api(files):
        digest.update("\x1f".join(entry).encode("utf-8") + b"\n")
    return digest.hexdigest()


@dataclass(frozen=True)
class ApiDiff:
    """Public API entries added, removed, and changed (same name and kind, new signature)."""

    added: list[ApiEntry]
    removed: list[ApiEntry]
    changed: list[tuple[ApiEntry, ApiEntry]]  # (before, after) with the same qualified name and kind

    @property
    def empty(self) -> bool:
        """Whether the API did not change."""
        return not (self.added or self.removed or self.changed)


def api_diff(before: Iterable[FileGraph], after: Iterable[FileGraph]) -> ApiDiff:
    """What changed in the public API: for a docs changelog or a semver hint."""
    old = {(q, k): sig for q, k, sig in public_api(before)}
    new = {(q, k): sig for q, k, sig in public_api(after)}
    return ApiDiff(
        added=sorted((q, k, new[q, k]) for q, k in new.keys() - old.keys()),
        removed=sorted((q, k, old[q, k]) for q, k in old.keys() - new.keys()),
        changed=sorted(
            ((q, k, old[q, k]), (q, k, new[q, k]))
            for q, k in old.keys() & new.keys()
            if old[q, k] != new[q, k]
        ),
    )
