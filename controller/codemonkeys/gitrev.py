"""The fleet repo's revision as the loader reads it: three plain git processes (``log``, ``rev-parse``,
``status``), no GitPython (importing it, and the repository locks of ``repos``, would cost more than the
reads themselves on every ``cmctl plan``)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path


class GitError(Exception):
    """A git command failed; carries the command and git's own message."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str):
        self.args_ = list(args)
        self.returncode = returncode
        self.stderr = stderr.strip()
        super().__init__(f"git {' '.join(args)} failed ({returncode}): {self.stderr}")


def _read(args: Sequence[str], cwd: Path) -> str:
    """``git ARGS`` for the loader's reads of the fleet repo's revision, as a plain process: importing
    GitPython costs more than a load's three reads of plumbing output (locale-independent)."""
    if not Path(cwd).is_dir():
        raise GitError(list(args), 128, f"no such directory: {cwd}")
    proc = subprocess.run(["git", "--no-pager", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise GitError(list(args), proc.returncode, proc.stderr)
    return proc.stdout.removesuffix("\n")  # as GitPython does: porcelain lines may start with a space


def revision(root: Path, paths: Sequence[str], watched: Sequence[str]) -> str:
    """The commit of the repo holding ``root`` (or the last one touching ``paths``), "+dirty" if any of
    ``watched`` is edited; "unversioned" outside git. Paths are relative to ``root``, which may be a
    sub-directory of its repository."""
    try:
        head = _read(["log", "-1", "--format=%H", "HEAD", "--", *paths], root)
        dirty = _read(["status", "--porcelain", "--", *(paths or watched)], root)
    except (GitError, OSError):
        return "unversioned"
    return (head or "uncommitted") + ("+dirty" if dirty else "")


def revisions(root: Path, groups: Sequence[Sequence[str]], watched: Sequence[str]) -> list[str]:
    """``revision(root, paths, watched)`` for each ``paths`` of ``groups``, with one ``git status`` for
    all of them (on a fleet of 10,000 product files each status stats every one): the changed paths
    under ``watched`` are matched per group here. "unversioned" for each outside git."""
    try:
        heads = [_read(["log", "-1", "--format=%H", "HEAD", "--", *paths], root) for paths in groups]
        prefix = _read(["rev-parse", "--show-prefix"], root)
        status = _read(["status", "--porcelain", "-z", "--", *watched], root)
    except (GitError, OSError):
        return ["unversioned"] * len(groups)
    changed: list[str] = []
    fields = status.split("\0")
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        changed.append(entry[3:])
        if entry[0] in "RC":  # a rename or copy: its source path follows
            changed.append(fields[i] if i < len(fields) else "")
            i += 1
    mine = [c.removeprefix(prefix) for c in changed if c.startswith(prefix)]

    def dirty(paths: Sequence[str]) -> bool:
        scope = [p.strip("/") for p in (paths or watched)]
        return any(c == p or c.startswith(p + "/") for c in mine for p in scope)

    return [
        (head or "uncommitted") + ("+dirty" if dirty(paths) else "")
        for head, paths in zip(heads, groups, strict=True)
    ]
