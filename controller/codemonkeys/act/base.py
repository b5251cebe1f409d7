"""Actuator contract (stage 5: apply): one side effect each, idempotent, failures as values.

An actuator is a callable ``(action, ctx) -> ActionResult``. It first checks whether its effect is
already in place and returns ``NOOP`` if so; only then does it act. Expected failures (a red test run,
a broken docs build, a registry refusing an upload) are ``FAILED`` results; ``transient`` marks those
worth retrying. Exceptions are bugs.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from filelock import FileLock

from codemonkeys.gitutil import git
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.observe.git import mirror_path
from codemonkeys.store.db import Store
from codemonkeys.vocab.plan import Action

LOG_LIMIT = 200_000  # characters of a command's output kept in the journal (the tail)


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    NOOP = "noop"
    FAILED = "failed"


@dataclass
class ActionResult:
    outcome: Outcome
    message: str
    outputs: dict[str, Any] = field(default_factory=dict)
    log: str = ""
    transient: bool = False
    evidence: dict[str, str] = field(default_factory=dict)  # audit duty -> proof (see kinds.models.AuditDuty)


class Redactor:
    """Replaces every known secret value with ``***`` (secrets come from env vars named in the fleet)."""

    def __init__(self, secrets: Sequence[str] = ()):
        values = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(v) for v in values)) if values else None

    @classmethod
    def for_fleet(cls, desired: DesiredState) -> Redactor:
        names: list[str] = []
        for reg in desired.fleet.spec.registries.values():
            if reg.credentials:
                names += reg.credentials.env_names()
        jenkins = desired.fleet.spec.ci.jenkins
        if jenkins:
            names += [n for n in (jenkins.user_env, jenkins.token_env) if n]
        return cls([os.environ.get(n, "") for n in names])

    def __call__(self, text: str) -> str:
        return self._pattern.sub("***", text) if self._pattern and text else text

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        return value


@dataclass
class ActContext:
    desired: DesiredState
    store: Store
    redact: Redactor

    def mirror(self, product: str) -> Path:
        return mirror_path(self.desired.state_dir, self.desired.repo_location(product))

    @property
    def work_dir(self) -> Path:
        path = self.desired.state_dir / "work"
        path.mkdir(parents=True, exist_ok=True)
        return path


class Actuator(Protocol):
    def __call__(self, action: Action, ctx: ActContext) -> ActionResult: ...


@contextmanager
def worktree(mirror: Path, commit: str, work_dir: Path) -> Iterator[Path]:
    """A clean, detached git worktree of ``commit``; removed afterwards (a crash leaves it for prune)."""
    path = Path(tempfile.mkdtemp(prefix="wt-", dir=work_dir))
    path.rmdir()
    git(["worktree", "add", "--quiet", "--detach", str(path), commit], mirror)
    try:
        yield path
    finally:
        git(["worktree", "remove", "--force", str(path)], mirror, check=False)
        git(["worktree", "prune"], mirror, check=False)


@contextmanager
def repo_lock(ctx: ActContext, product: str) -> Iterator[Path]:
    """Serialize commits to one repository (products of a monorepo share its branch); yields the mirror."""
    mirror = ctx.mirror(product)
    mirror.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(mirror.parent / f"{mirror.name}.commit.lock")):
        yield mirror


def moved_since(mirror: Path, planned: str, head: str, path: str | None) -> bool:
    """Whether the branch moved from ``planned`` to ``head`` in a way that concerns the product: any move
    for a whole-repo product; only commits under ``path`` for a monorepo product."""
    if head == planned:
        return False
    if not path:
        return True
    return bool(git(["log", "--format=%H", f"{planned}..{head}", "--", path], mirror))


def tool_env() -> dict[str, str]:
    """The environment for build tools: our interpreter's bin dir first, so `python` is this Python."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("VIRTUAL_ENV_PROMPT", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@dataclass
class CommandResult:
    returncode: int | None  # None: timed out
    output: str
    duration: float


def run_command(
    args: Sequence[str], cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> CommandResult:
    """Run an argument list (never a shell string); kill its whole process group on timeout."""
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            list(args),
            cwd=str(cwd),
            env=env or tool_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        return CommandResult(127, f"cannot start {args[0]!r}: {exc.strerror}", 0.0)
    try:
        out, _ = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        out += f"\n[codemonkeys] killed after the {timeout:.0f}s timeout\n"
        code = None
    return CommandResult(code, out[-LOG_LIMIT:], time.monotonic() - start)
