"""The oracle's fetch: a product's source files at a commit, read from a git repository.

Sits before ``oracle.store``: ``list_tree`` names the files (with their blob ids, which serve as content
hashes), ``read_blobs`` reads contents in one ``git cat-file --batch``, and ``index_commit`` ties both to
``store.index_entries`` so only blobs without a stored graph are read at all. An optional sub-path
(a product's folder in a monorepo) limits the tree; paths come back relative to it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from codemonkeys.gitutil import GitError, git
from codemonkeys.oracle.parse import language_for
from codemonkeys.oracle.store import IndexStats, StoreTarget, index_entries

_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}


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
    for record in git(args, cwd=repo).split("\0"):
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
    """Blob id -> bytes, through one ``git cat-file --batch`` (binary-safe)."""
    wanted = sorted(set(blobs))
    if not wanted:
        return {}
    proc = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=str(repo),
        env={**os.environ, **_GIT_ENV},
        input=("\n".join(wanted) + "\n").encode(),
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise GitError(["cat-file", "--batch"], proc.returncode, proc.stderr.decode("utf-8", "replace"))
    data, pos, out = proc.stdout, 0, {}
    for blob in wanted:
        end = data.index(b"\n", pos)
        header = data[pos:end].decode().split()
        if len(header) < 3 or header[1] == "missing":
            raise GitError(["cat-file", "--batch"], 1, f"{blob}: missing object")
        size = int(header[2])
        out[blob] = data[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1  # contents end with a newline
    return out


def read_files(repo: Path | str, commit: str, subpath: str | None = None) -> dict[str, bytes]:
    """The product's source files at ``commit``: relative path -> bytes (supported languages only)."""
    tree = list_tree(repo, commit, subpath)
    contents = read_blobs(repo, tree.values())
    return {path: contents[blob] for path, blob in tree.items()}


def index_commit(
    target: StoreTarget, product: str, repo: Path | str, commit: str, subpath: str | None = None
) -> IndexStats:
    """Index ``product`` at ``commit``, reading only the blobs the store has no graph for."""
    commit_id = git(["rev-parse", "--verify", f"{commit}^{{commit}}"], cwd=repo)
    tree = list_tree(repo, commit_id, subpath)
    return index_entries(target, product, commit_id, tree, lambda wanted: read_blobs(repo, wanted))
