"""The git command line, called with argument lists (never shell strings). Used by observers and actuators."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

# Deterministic, non-interactive git: no pager, no prompts, no user/system config surprises for hooks.
_BASE_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}
IDENTITY = {
    "GIT_AUTHOR_NAME": "Code Monkeys",
    "GIT_AUTHOR_EMAIL": "bot@codemonkeys.dev",
    "GIT_COMMITTER_NAME": "Code Monkeys",
    "GIT_COMMITTER_EMAIL": "bot@codemonkeys.dev",
}


class GitError(Exception):
    """A git command failed; carries the command and git's own message."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str):
        self.args_ = list(args)
        self.returncode = returncode
        self.stderr = stderr.strip()
        super().__init__(f"git {' '.join(args)} failed ({returncode}): {self.stderr}")


def git(
    args: Sequence[str],
    cwd: Path | str,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: str | None = None,
) -> str:
    """Run ``git ARGS`` in ``cwd`` and return stdout (stripped of the final newline)."""
    full_env = {**os.environ, **_BASE_ENV, **(env or {})}
    proc = subprocess.run(
        ["git", *args], cwd=str(cwd), env=full_env, capture_output=True, text=True, input=input
    )
    if check and proc.returncode != 0:
        raise GitError(args, proc.returncode, proc.stderr)
    return proc.stdout.rstrip("\n")
