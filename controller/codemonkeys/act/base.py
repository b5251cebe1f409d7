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
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from codemonkeys.context import Context, Secrets
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.repos import Mirror, mirror_path
from codemonkeys.store.db import Store
from codemonkeys.vocab.plan import Action

LOG_LIMIT = 200_000  # characters of a command's output kept in the journal (the tail)


class Outcome(StrEnum):
    """How an actuator ended: it made its effect, found it already in place, or failed."""

    SUCCEEDED = "succeeded"
    NOOP = "noop"
    FAILED = "failed"


@dataclass
class ActionResult:
    """An actuator's result: outcome, message, outputs for the journal, log, retry hint and audit proofs."""

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
    def for_fleet(cls, desired: DesiredState, secrets: Secrets) -> Redactor:
        """A redactor for every secret the fleet names (registry credentials, Jenkins user and token)."""
        names: list[str] = []
        for reg in desired.fleet.spec.registries.values():
            if reg.credentials:
                names += reg.credentials.env_names()
        jenkins = desired.fleet.spec.ci.jenkins
        if jenkins:
            names += [n for n in (jenkins.user_env, jenkins.token_env) if n]
        return cls(secrets.values(names))

    def __call__(self, text: str) -> str:
        """``text`` with every secret replaced by ``***``."""
        return self._pattern.sub("***", text) if self._pattern and text else text

    def data(self, value: Any) -> Any:
        """``value`` (nested dicts, lists, strings) with every secret replaced."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        return value


@dataclass
class ActContext:
    """What an actuator may use: the desired state, the store, the redactor and the process context."""

    desired: DesiredState
    store: Store
    redact: Redactor
    context: Context

    def mirror(self, product: str) -> Path:
        """The bare mirror of ``product``'s repository."""
        return mirror_path(self.desired.state_dir, self.desired.repo_location(product))

    @property
    def work_dir(self) -> Path:
        """Where worktrees and scratch files go (under the fleet's state dir)."""
        path = self.desired.state_dir / "work"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def tool_env(self) -> dict[str, str]:
        """The environment for build tools (see ``Context.tool_env``)."""
        return self.context.tool_env()

    @contextmanager
    def checkout(self, product: str, rev: str) -> Iterator[ProductCheckout]:
        """A clean worktree of ``rev`` of ``product``'s repository, removed afterwards."""
        source_path = self.desired.products[product].spec.source.path
        with Mirror(self.mirror(product)) as repo, repo.worktree(rev, self.work_dir) as tree:
            yield ProductCheckout(tree.path, tree.path / source_path if source_path else tree.path)


@dataclass(frozen=True)
class ProductCheckout:
    """A worktree of a product's repository: its root, and the product's own directory in it."""

    root: Path
    product_dir: Path


class Actuator(Protocol):
    """``(action, ctx) -> ActionResult``: one side effect, idempotent, failures as values."""

    def __call__(self, action: Action, ctx: ActContext) -> ActionResult: ...


@dataclass
class CommandResult:
    """A finished command: its exit code (None: killed at the timeout), output tail and duration."""

    returncode: int | None  # None: timed out
    output: str
    duration: float


def run_command(args: Sequence[str], cwd: Path, timeout: float, env: Mapping[str, str]) -> CommandResult:
    """Run an argument list (never a shell string); kill its whole process group on timeout."""
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            list(args),
            cwd=str(cwd),
            env=dict(env),
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
