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
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from codemonkeys.context import Context, Secrets
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.kinds.models import secret_refs
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
        """A redactor for every secret the fleet names: environment variables (registry credentials,
        Jenkins user and token, Terraform secret variables, announce logins) and every ``{secretRef: NAME}``
        anywhere in the Fleet or a Product (credentials, deploy vars, the state database, Ollama)."""
        names: list[str] = []
        for reg in desired.fleet.spec.registries.values():
            if reg.credentials:
                names += reg.credentials.env_names()
        for company in desired.fleet.spec.companies:  # a company's own credentials (secretRefs: below)
            if company.credentials is not None:
                names += company.credentials.env_names()
        state = desired.fleet.spec.state.credentials
        if state:
            names += state.env_names()
        git = desired.fleet.spec.git.credentials  # HTTPS Git hosting
        if git:
            names += git.env_names()
        jenkins = desired.fleet.spec.ci.jenkins
        if jenkins:
            names += [n for n in (jenkins.user_env, jenkins.token_env) if n]
        refs = secret_refs(desired.fleet)
        for product in desired.products.values():
            if product.spec.infra is not None:
                names += product.spec.infra.terraform.env_names()
            refs |= secret_refs(product)
        names += desired.fleet.spec.announce.env_names()  # webhook keys, SMTP logins, macro secrets
        state = desired.fleet.spec.state.credentials  # the state database's password (PostgreSQL)
        if state is not None and state.password_env:
            names.append(state.password_env)
        return cls(secrets.values(names) + secrets.provider(desired.root).values(sorted(refs)))

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
    live: Callable[[Action, str], None] | None = None  # streams output into the journal while it runs

    def output(self, action: Action, header: str = "") -> Callable[[str], None] | None:
        """A sink for ``action``'s output as it comes (redacted), for ``run_command(on_output=...)``;
        ``header`` (the command line, as the final log starts) goes first."""
        live = self.live
        if live is None:
            return None
        if header:
            live(action, self.redact(header))
        return lambda text: live(action, self.redact(text))

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


_TELLING = (  # strongest first: the last line matching the strongest pattern found wins
    re.compile(r"No module named|command not found|Error\b|error:|ERROR|FAILED|fatal:|failed:|assert"),
    re.compile(r"not found|Aborted|denied|refused|No such file|Traceback|warning", re.I),
)


def telling_line(output: str, limit: int = 200) -> str:
    """The most telling line of a command's output: the last one that names an error (a failing
    assertion, ``No module named pytest``, ``mkdocs: command not found``), else the last non-empty line."""
    lines = [line.strip() for line in output.splitlines() if line.strip() and not line.startswith("$ ")]
    lines = [line for line in lines if not line.startswith("[codemonkeys]")] or lines
    candidates = [line for line in lines if not line.startswith(("=", "-"))]
    telling = next(
        ([x for x in candidates if p.search(x)] for p in _TELLING if any(p.search(x) for x in candidates)), []
    )
    chosen = (telling or lines or [""])[-1]
    return chosen if len(chosen) <= limit else chosen[: limit - 1] + "…"


class _Pump(threading.Thread):
    """Reads a process's output line by line, keeping it and passing each line on as it comes."""

    def __init__(self, stream, on_output: Callable[[str], None] | None):
        super().__init__(daemon=True, name="cm-output")
        self.stream, self.on_output, self.lines = stream, on_output, []

    def run(self) -> None:
        for line in self.stream:
            self.lines.append(line)
            if self.on_output is not None:
                self.on_output(line)


def run_command(
    args: Sequence[str],
    cwd: Path,
    timeout: float,
    env: Mapping[str, str],
    on_output: Callable[[str], None] | None = None,
) -> CommandResult:
    """Run an argument list (never a shell string); kill its whole process group on timeout. Each output
    line goes to ``on_output`` as it comes (``cmctl logs --follow`` streams it from the journal)."""
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
    pump = _Pump(proc.stdout, on_output)
    pump.start()
    try:
        code: int | None = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        code = None
    pump.join()
    out = "".join(pump.lines)
    if code is None:
        out += f"\n[codemonkeys] killed after the {timeout:.0f}s timeout\n"
    return CommandResult(code, out[-LOG_LIMIT:], time.monotonic() - start)
