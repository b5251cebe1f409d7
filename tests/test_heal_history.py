"""The recent human commits the LLM prompt shows (``act.heal_candidates._history``), on a real git repo."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

from codemonkeys.facets.heal.candidates import _history


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD")


def test_a_commit_that_touched_several_failing_files_is_shown_once(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    first = commit(tmp_path, {"shop/cart.py": "x = 1\n", "tests/test_cart.py": "y = 1\n"}, "feat: shop")
    both = commit(tmp_path, {"shop/cart.py": "x = 2\n", "tests/test_cart.py": "y = 2\n"}, "fix: both")
    heal = commit(tmp_path, {"shop/cart.py": "x = 3\n"}, "fix: heal\n\nHeal-Attempt: 1")
    action = SimpleNamespace(product="shop", params={"commit": heal})
    ctx = SimpleNamespace(mirror=lambda _product: tmp_path, redact=lambda text: text)

    shown = _history(action, ctx, ["tests/test_cart.py", "shop/cart.py"])

    assert [(sha, subject) for sha, subject, _ in shown] == [
        (both[:12], "fix: both"),
        (first[:12], "feat: shop"),
    ]
    # the heal commit is left out; a commit is shown with its diff of the first failing file it touched
    assert "y = 2" in shown[0][2]
