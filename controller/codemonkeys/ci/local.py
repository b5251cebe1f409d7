"""The local CI runner's results: one record per (product, commit) in the state store.

The build actuator runs ``build.command`` in a worktree and records the outcome here; the build
observer reads it back as ``BuildFacts``. Both go through these two functions, so neither knows how the
other stores or reads results.
"""

from __future__ import annotations

from collections.abc import Mapping

from codemonkeys.store.db import BuildResult, Store
from codemonkeys.vocab.facts import BuildFacts, BuildStatus


def record(store: Store, product: str, commit: str, status: BuildStatus, duration: float, log: str) -> None:
    """Record a finished local build of ``commit`` (``status`` success or failure)."""
    store.record_build(product, commit, str(status), duration, log)


def result(store: Store, product: str, commit: str) -> BuildFacts:
    """The newest recorded result of ``commit`` as build facts (``NONE`` when it was never built)."""
    return _facts(commit, store.build_result(product, commit))


def results(store: Store, commits: Mapping[str, str]) -> dict[str, BuildFacts]:
    """``result`` of each product's commit (``commits``: product -> commit), read in one query."""
    rows = store.build_results(list(commits.items()))
    return {p: _facts(c, rows.get((p, c))) for p, c in commits.items()}


def _facts(commit: str, row: BuildResult | None) -> BuildFacts:
    if row is None:
        return BuildFacts(commit=commit, status=BuildStatus.NONE)
    return BuildFacts(
        commit=commit,
        status=BuildStatus(row.status),
        duration=row.duration,
        finished_at=row.finished_at.isoformat(timespec="seconds"),
    )
