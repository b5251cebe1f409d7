"""Mirrors shared by processes on one state directory (``repos.sync_mirror``): several creating the same
mirror at once all end with a complete one (cloned under a temporary name, renamed into place), and
nothing temporary is left."""

from __future__ import annotations

import threading
from pathlib import Path

from codemonkeys.repos import mirror_path, sync_mirror
from codemonkeys.repos import run as git


def test_mirrors_created_at_once_are_complete_and_leave_nothing_behind(tmp_path: Path):
    source = tmp_path / "src"
    source.mkdir()
    git(["init", "-q", "-b", "main"], source)
    (source / "a.txt").write_text("a\n")
    git(["add", "a.txt"], source)
    git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "feat: a"], source)
    git(["tag", "v1.0.0"], source)
    mirror = mirror_path(tmp_path / "state", str(source))
    start, errors = threading.Barrier(4), []

    def create() -> None:
        start.wait()
        try:
            sync_mirror(str(source), mirror)
        except Exception as exc:  # collected: the assertion below shows them
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert git(["remote", "get-url", "origin"], mirror) == str(source)
    assert git(["rev-parse", "main"], mirror) == git(["rev-parse", "main"], source)
    assert git(["tag", "--list"], mirror) == "v1.0.0"
    left = [p.name for p in mirror.parent.iterdir() if not p.name.endswith(".lock")]  # locks stay
    assert left == [mirror.name]  # no half-made clone beside it
