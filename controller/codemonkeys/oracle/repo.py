"""The oracle's fetch: a product's source files at a commit, read from a git repository.

Sits before ``oracle.store``: ``list_tree`` names the files (with their blob ids, which serve as content
hashes), ``read_blobs`` reads contents through one persistent ``git cat-file``, and ``index_commit``
ties both to ``store.index_entries`` so only blobs without a stored graph are read at all. An optional
sub-path (a product's folder in a monorepo) limits the tree; paths come back relative to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from codemonkeys.oracle.parse import language_for
from codemonkeys.oracle.store import IndexStats, StoreTarget, index_entries
from codemonkeys.repos import Mirror, run


def _prefix(subpath: str | None) -> str:
    sub = (subpath or "").strip("/")
    return "" if sub in ("", ".") else sub + "/"


def list_tree(
    repo: Path | str, commit: str, subpath: str | None = None, supported_only: bool = True
) -> dict[str, str]:
    """Path (relative to ``subpath``) -> blob id of the regular files at ``commit``."""
    prefix = _prefix(subpath)
    args = ["ls-tree", "-r", "-z", "--full-tree", commit]
    if prefix:
        args += ["--", prefix]
    out: dict[str, str] = {}
    for record in run(args, repo).split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        mode, kind, blob = meta.split()
        if kind != "blob" or mode == "120000" or not path.startswith(prefix):
            continue
        rel = path[len(prefix) :]
        if supported_only and language_for(rel) is None:
            continue
        out[rel] = blob
    return out


def read_blobs(repo: Path | str, blobs: Iterable[str]) -> dict[str, bytes]:
    """Blob id -> bytes, through GitPython's persistent ``cat-file`` reader (binary-safe)."""
    wanted = sorted(set(blobs))
    if not wanted:
        return {}
    with Mirror(Path(repo)) as mirror:
        return mirror.read_blobs(wanted)


def read_files(repo: Path | str, commit: str, subpath: str | None = None) -> dict[str, bytes]:
    """The product's source files at ``commit``: relative path -> bytes (supported languages only)."""
    tree = list_tree(repo, commit, subpath)
    contents = read_blobs(repo, tree.values())
    return {path: contents[blob] for path, blob in tree.items()}


def index_commit(
    target: StoreTarget, product: str, repo: Path | str, commit: str, subpath: str | None = None
) -> IndexStats:
    """Index ``product`` at ``commit``, reading only the blobs the store has no graph for."""
    commit_id = run(["rev-parse", "--verify", f"{commit}^{{commit}}"], repo)
    tree = list_tree(repo, commit_id, subpath)
    return index_entries(target, product, commit_id, tree, lambda wanted: read_blobs(repo, wanted))
