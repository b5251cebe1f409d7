"""Actuator contract (stage 5: apply): one side effect each, idempotent, failures as values.

An actuator is a callable ``(action, ctx) -> ActionResult``. It first checks whether its effect is
already in place and returns ``NOOP`` if so; only then does it act. Expected failures (a red test run,
a broken docs build, a registry refusing an upload) are ``FAILED`` results; ``transient`` marks those
worth retrying. Exceptions are bugs.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, quote_plus, unquote, urlsplit

from pydantic import BaseModel

from codemonkeys.context import Context, Secrets
from codemonkeys.facets import FACETS, Registry
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.kinds.models import secret_refs
from codemonkeys.repos import Mirror, mirror_path
from codemonkeys.sandbox import product_command
from codemonkeys.store.db import Store
from codemonkeys.vocab.plan import Action

LOG_LIMIT = 200_000  # characters of a command's output kept in the journal (the tail)

log = logging.getLogger(__name__)


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


PROCESS_SECRETS = ("CMCTL_API_TOKEN", "CMCTL_WEBHOOK_SECRET")  # the front ends' defaults (--token-env, ...)
NOT_SECRET = frozenset(  # CMCTL_ variables that name places and switches, not secrets
    {
        "CMCTL_FLEET",
        "CMCTL_HOME",
        "CMCTL_PROJECT_DIR",
        "CMCTL_SECRETS_DIR",
        "CMCTL_AGE_IDENTITY",
        "CMCTL_UNSANDBOXED",
        "CMCTL_BWRAP",
    }
)
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|CREDENTIAL", re.I)
MIN_SECRET = 4  # shorter values are not masked (they would mask ordinary words)


def encodings(secret: str) -> set[str]:
    """The forms a secret is printed in: raw, base64 and base64url (with and without padding, and the
    characters that only it determines when it is encoded inside a longer text: ``user:secret``, a
    whole environment), URL-encoded, hex (lower and upper case) and JSON-escaped."""
    raw = secret.encode()
    forms = {secret, raw.hex(), raw.hex().upper(), quote(secret, safe=""), quote_plus(secret)}
    forms.add(json.dumps(secret)[1:-1])
    b64 = base64.b64encode(raw).decode()
    b64s = [b64, b64.rstrip("=")]
    for shift in (0, 1, 2):  # the secret at each offset in a base64 group: the characters it alone decides
        shifted = base64.b64encode(b"\0" * shift + raw).decode().rstrip("=")
        inner = shifted[-(-8 * shift // 6) : 8 * (shift + len(raw)) // 6]
        if len(inner) >= 8:
            b64s.append(inner)
    forms |= {*b64s, *(f.replace("+", "-").replace("/", "_") for f in b64s)}
    return {f for f in forms if len(f) >= MIN_SECRET}


def _trie(words: Sequence[str]) -> str:
    """One regular expression matching any of ``words``, longest first, as a trie (a secret's first
    characters are compared once, not once per secret and encoding)."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        out = []
        while len(node) == 1 and "" not in node:  # a chain: one literal, no group (no recursion per char)
            ((ch, node),) = node.items()
            out.append(re.escape(ch))
        if not node or list(node) == [""]:
            return "".join(out)
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "".join(out) + (f"(?:{group})?" if "" in node else group)

    return emit(root)


class Redactor:
    """Replaces every secret the process holds with ``***``, in every form it may be printed in
    (``encodings``). Built in one place, ``for_fleet``; everything that journals, logs, audits, serves or
    notifies text from actions runs it through one."""

    def __init__(self, secrets: Iterable[str] = ()):
        secrets = list(secrets)
        # a secret of several lines (a PEM key, a kubeconfig) is also each of its lines: output streamed line
        # by line, or printing part of it, never shows one of them
        parts = [line.strip() for s in secrets if s and "\n" in s.strip() for line in s.splitlines()]
        forms = {f for s in [*secrets, *parts] if s and len(s) >= MIN_SECRET for f in encodings(s)}
        self._pattern = re.compile(_trie(sorted(forms))) if forms else None

    @classmethod
    def for_fleet(cls, desired: DesiredState, secrets: Secrets, registry: Registry = FACETS) -> Redactor:
        """A redactor for every secret this process holds: the environment variables the fleet names
        (every ``*Env`` field: registry, state-database, Git, company, Jenkins, Terraform, announce
        credentials), every ``{secretRef: NAME}`` the fleet and its products use and every secret the
        provider can resolve at all (``CMCTL_SECRET_*``, the fleet's age files, ``CMCTL_SECRETS_DIR``),
        the front end's (``CMCTL_API_TOKEN``, ``CMCTL_WEBHOOK_SECRET``, the tokens of ``--tokens``:
        ``Secrets.extra``), a password in the state database's URL, and every ``CMCTL_*`` or
        ``*TOKEN`` / ``*SECRET`` / ``*PASSWORD`` variable of the environment; and what each facet of
        ``registry`` says its actuators read (``FacetPlugin.secret_env``: Terraform's variables)."""
        names: list[str] = []
        for reg in desired.fleet.spec.registries.values():
            if reg.credentials:
                names += reg.credentials.env_names()
        for company in desired.fleet.spec.companies:  # a company's own credentials (secretRefs: below)
            if company.credentials is not None:
                names += company.credentials.env_names()
        state = desired.fleet.spec.state.credentials  # the state database's user and password
        if state:
            names += state.env_names()
        git = desired.fleet.spec.git.credentials  # HTTPS Git hosting
        if git:
            names += git.env_names()
        jenkins = desired.fleet.spec.ci.jenkins
        if jenkins:
            names += [n for n in (jenkins.user_env, jenkins.token_env) if n]
        refs = secret_refs(desired.fleet)
        names += env_fields(desired.fleet)
        for product in desired.products.values():
            names += [n for facet in registry.facets for n in facet.secret_env(product)]
            refs |= secret_refs(product)
            names += env_fields(product)
        names += desired.fleet.spec.announce.env_names()  # webhook keys, SMTP logins, macro secrets
        names += [*PROCESS_SECRETS, *_secret_looking(secrets.env)]
        provider = secrets.provider(desired.root)
        values = secrets.values(names) + provider.values(sorted(refs | set(provider.names())))
        url = desired.fleet.spec.state.url
        if url and "@" in url:
            with suppress(ValueError):
                values.append(unquote(urlsplit(url).password or ""))
        return cls([*values, *secrets.extra])

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


def env_fields(value: Any) -> list[str]:
    """The environment variable names of every ``*Env`` field inside a model, at any depth."""
    if isinstance(value, BaseModel):
        found = []
        for name in type(value).model_fields:
            field_value = getattr(value, name)
            if name.endswith("_env") and isinstance(field_value, str):
                found.append(field_value)
            else:
                found += env_fields(field_value)
        return found
    if isinstance(value, dict):
        return [n for v in value.values() for n in env_fields(v)]
    if isinstance(value, list | tuple):
        return [n for v in value for n in env_fields(v)]
    return []


def _secret_looking(env: Mapping[str, str]) -> list[str]:
    """Variables of the process that hold a secret by their name: ``CMCTL_*`` but for the places and
    switches, and ``*TOKEN``, ``*SECRET``, ``*PASSWORD``, ... (values of 8 characters or more: a flag's
    ``true`` is not a secret)."""
    return [
        k
        for k, v in env.items()
        if ((k.startswith("CMCTL_") and k not in NOT_SECRET) or SECRET_NAME.search(k)) and len(v) >= 8
    ]


@dataclass
class ActContext:
    """What an actuator may use: the desired state, the store, the redactor and the process context."""

    desired: DesiredState
    store: Store
    redact: Redactor
    context: Context
    live: Callable[[Action, str], None] | None = None  # streams output into the journal while it runs
    run_id: int = 0  # the journal's run (a forge status links to the action's page in it)

    def output(self, action: Action, header: str = "") -> Callable[[str], None] | None:
        """A sink for ``action``'s output as it comes (redacted), for ``run_command(on_output=...)``;
        ``header`` (the command line, as the final log starts) goes first."""
        live = self.live
        if live is None:
            return None
        if header:
            live(action, self.redact(header))

        def sink(text: str) -> None:
            try:
                live(action, self.redact(text))
            except Exception as exc:  # the live stream is best effort: never the reason an action fails
                log.debug("live output of %s dropped: %s", action.id, exc)

        return sink

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
        """The environment for the controller's own tools: Ansible, Terraform (see ``Context.tool_env``);
        never for product code (``run_product``)."""
        return self.context.tool_env()

    def run_product(
        self,
        product: str,
        args: Sequence[str],
        cwd: Path,
        timeout: float,
        on_output: Callable[[str], None] | None = None,
        writable: Sequence[Path] = (),
    ) -> CommandResult:
        """Run ``product``'s code (its build command, mkdocs over its docs, its packaging) in the sandbox
        (``codemonkeys.sandbox``) with ``cwd`` and ``writable`` writable. ``CommandResult.refused`` says why
        it did not run (no bubblewrap and no ``--unsandboxed``, a declared secret unresolvable)."""
        prepared = product_command(self.context, self.desired, product, args, [cwd, *writable])
        if prepared.refused:
            return CommandResult(None, "", 0.0, refused=prepared.refused)
        return run_command(prepared.args, cwd, timeout, prepared.env, on_output)

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

    returncode: int | None  # None: timed out (or refused)
    output: str
    duration: float
    refused: str | None = None  # product code that was not started, and why (see ``ActContext.run_product``)


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
