"""Living docs: HEAD's public API fingerprint from the oracle's code graph, folded into the docs inputs.

A change of a public signature makes docs stale; a body-only change does not. The index is incremental
(keyed by content hash), so only changed files are parsed. Without the ``[oracle]`` extra, docs inputs
are the docs sources alone.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from codemonkeys.vocab.facts import GitFacts

if TYPE_CHECKING:
    from codemonkeys.observe import Observer


def with_public_api(run: Observer, name: str, mirror: Path, git: GitFacts) -> GitFacts:
    """``git`` with ``api_fingerprint`` set and folded into ``docs_inputs``."""
    try:
        from codemonkeys.oracle.repo import index_commit
    except ImportError:
        return git
    with run.lock("oracle"):  # one SQLite writer per run
        stats = index_commit(
            run.desired.oracle_url, name, mirror, git.head, run.desired.products[name].spec.source.path
        )
    fp = stats.api_fingerprint
    combined = hashlib.sha256(f"{git.docs_inputs}:{fp}".encode()).hexdigest()[:16]
    return git.model_copy(update={"api_fingerprint": fp, "docs_inputs": combined})
