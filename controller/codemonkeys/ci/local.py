"""The local CI runner's results: one record per (product, commit) in the state store.

The build actuator runs ``build.command`` in a worktree and records the outcome here; the build
observer reads it back as ``BuildFacts``. Both go through these two functions, so neither knows how the
other stores or reads results.
"""

from __future__ import annotations

from codemonkeys.store.db import Store
from codemonkeys.vocab.facts import BuildFacts, BuildStatus


def record(store: Store, product: str, commit: str, status: BuildStatus, duration: float, log: str) -> None:
    """Record a finished local build of ``commit`` (``status`` success or failure)."""
    store.record_build(product, commit, str(status), duration, log)


def result(store: Store, product: str, commit: str) -> BuildFacts:
    """The newest recorded result of ``commit`` as build facts (``NONE`` when it was never built)."""
    row = store.build_result(product, commit)
    if row is None:
        return BuildFacts(commit=commit, status=BuildStatus.NONE)
    return BuildFacts(
        commit=commit,
        status=BuildStatus(row.status),
        duration=row.duration,
        finished_at=row.finished_at.isoformat(timespec="seconds"),
    )
