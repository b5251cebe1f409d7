"""The one explicit context the library runs in: environment, secrets, clock, resources, cache home.

Front ends (the CLI, the controller service, tests) build a ``Context`` at the edge, usually with
``Context.from_environ()`` - the only place the library reads ``os.environ`` - and pass it down. Nothing
below reads ambient globals: observers get credentials through ``secrets``, actuators get the
environment for build tools through ``tool_env``, playbooks and templates are found through
``resources``, and the planner's and the gate's "now" comes from ``clock`` (journal timestamps are the
store's own wall clock). A test hands in its own environment, clock and paths.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import codemonkeys
from codemonkeys.secrets import SecretError, SecretProvider

if TYPE_CHECKING:  # the models load pydantic: not for the CLI's fast paths (shell completion)
    from codemonkeys.kinds.models import SecretRef

PROJECT_DIR_ENV = "CMCTL_PROJECT_DIR"  # a directory holding resources/, schemas/, fleet-repo-example/, ...
HOME_ENV = "CMCTL_HOME"  # where fleets followed by URL are cloned (default ~/.cache/codemonkeys)
UNSANDBOXED_ENV = "CMCTL_UNSANDBOXED"  # "1": run product code without bubblewrap, as before (sandbox.py)


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


PACKAGED_DATA = "_data"  # codemonkeys/_data/ of an installed wheel: the build maps the folders in (setup.py)


@dataclass(frozen=True)
class Resources:
    """Locates what ships with Code Monkeys: ``resources/`` (playbooks, Jenkinsfiles), ``schemas/``, the
    example fleet and the default constitution, all under one root: ``CMCTL_PROJECT_DIR`` when set, else
    the installed package's ``_data/`` (a wheel), else the source checkout the package runs from."""

    root: Path

    def path(self, *parts: str) -> Path:
        """A path under the root, e.g. ``path("resources", "ansible")``."""
        return self.root.joinpath(*parts)

    @property
    def ansible(self) -> Path:
        """The publishing and deploy playbooks."""
        return self.path("resources", "ansible")

    @property
    def jenkins(self) -> Path:
        """Jenkins job, folder and Jenkinsfile templates."""
        return self.path("resources", "jenkins")

    @property
    def schemas(self) -> Path:
        """The JSON Schemas of the fleet's documents."""
        return self.path("schemas")

    @property
    def example_fleet(self) -> Path:
        """The example fleet ``cmctl demo init`` starts from."""
        return self.path("fleet-repo-example")

    @property
    def constitution(self) -> Path:
        """The default constitution Code Monkeys ships."""
        return self.path("constitution", "default.yaml")

    @property
    def packaged(self) -> bool:
        """Whether these are the installed package's own copies (not a checkout's or an override's)."""
        return self.root.name == PACKAGED_DATA and self.root.parent.name == "codemonkeys"

    @classmethod
    def default(cls, override: str | None = None) -> Resources:
        """The project directory named by ``override`` (``CMCTL_PROJECT_DIR``), else the shipped files
        of the package this module belongs to (``locate``)."""
        return cls(Path(override)) if override else cls(cls.locate(Path(codemonkeys.__file__).parent))

    @staticmethod
    def locate(package: Path) -> Path:
        """Where the shipped folders are for the package at ``package``: its ``_data/`` when installed
        from a wheel or an sdist, else the checkout two levels up (``controller/codemonkeys``; an editable
        install). Neither: the package's ``_data/``, so a missing file is reported where it belongs."""
        package = package.resolve()
        candidates = (package / PACKAGED_DATA, package.parents[1])
        for root in candidates:
            if (root / "resources").is_dir() and (root / "schemas").is_dir():
                return root
        return candidates[0]


@dataclass(frozen=True, repr=False)
class Secrets:
    """Resolves secrets named in the fleet to their values: environment variable names (the ``*Env``
    fields) and ``{secretRef: NAME}`` (through the fleet's ``SecretProvider``, see ``at``).

    Values never leave through logs, plans, audit records or exceptions: everything that prints or
    stores text runs it through a ``Redactor`` built from ``values`` of the names in use."""

    env: Mapping[str, str]
    fleet_root: Path | None = None  # where <fleet>/secrets/NAME.age are found
    extra: frozenset[str] = frozenset()  # values the front end holds besides these (API tokens)

    def __repr__(self) -> str:
        return f"Secrets({len(self.env)} variables)"  # never the values

    def at(self, fleet_root: Path | None) -> Secrets:
        """These secrets for the fleet at ``fleet_root`` (its age-encrypted files)."""
        return Secrets(self.env, fleet_root, self.extra)

    @cached_property
    def refs(self) -> SecretProvider:
        """The provider of ``{secretRef: NAME}`` for this fleet (one per ``Secrets``: decrypts once)."""
        return SecretProvider.for_fleet(self.env, self.fleet_root)

    def lookup(self, name: str | SecretRef | None) -> str | None:
        """An environment variable by name, or a ``{secretRef: NAME}`` resolved; None if it is not set
        or cannot be resolved (``refs.resolve`` says why)."""
        from codemonkeys.kinds.models import SecretRef

        if isinstance(name, SecretRef):
            return self.refs.resolve(name.secret_ref).value
        return self.get(name)

    def credential(self, env_name: str | None, value: str | SecretRef | None, what: str) -> str | None:
        """A credential the fleet gives one way or the other: the environment variable ``env_name`` (a
        ``*Env`` field; unset -> None, as before), else ``value``: plain, or ``{secretRef: NAME}``
        resolved, ``SecretError`` naming the secret and ``what`` needs it when it cannot be."""
        from codemonkeys.kinds.models import SecretRef

        if env_name:
            return self.get(env_name)
        if isinstance(value, SecretRef):
            try:
                return self.refs.require(value.secret_ref)
            except SecretError as exc:
                raise SecretError(f"{what}: {exc}") from None
        return value or None

    def get(self, name: str | None) -> str | None:
        """The value of the secret named ``name``, None if it is unset or empty."""
        return (self.env.get(name) or None) if name else None

    def values(self, names: Iterable[str | None]) -> list[str]:
        """The values of every set secret among ``names`` (for redaction)."""
        return [v for n in names if (v := self.get(n))]

    def provider(self, fleet_root: Path | None) -> SecretProvider:
        """Secrets referenced by name (``{secretRef: NAME}``): the environment, the fleet's age files,
        the secrets directory (see ``codemonkeys.secrets``)."""
        return SecretProvider.for_fleet(self.env, fleet_root)


@dataclass(frozen=True)
class Context:
    """Environment, secrets, clock, resources and cache home, passed explicitly from the edges."""

    env: Mapping[str, str] = field(default_factory=dict, repr=False)  # holds secrets: never printed
    resources: Resources = field(default_factory=Resources.default)
    clock: Callable[[], datetime] = utcnow  # "now" for planning and the gate (windows, freezes, budgets)
    home_dir: Path | None = None  # default: $CMCTL_HOME, else ~/.cache/codemonkeys (resolved on use)
    unsandboxed: bool = False  # --unsandboxed / CMCTL_UNSANDBOXED=1: product code runs without bubblewrap
    held_secrets: frozenset[str] = field(default=frozenset(), repr=False)  # the front end's (API tokens)
    held_files: frozenset[Path] = frozenset()  # files holding them (a tokens file): never in a sandbox

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Context:
        """The context of this process: the one place the library reads ``os.environ``."""
        env = MappingProxyType(dict(os.environ if environ is None else environ))
        home = Path(env[HOME_ENV]) if env.get(HOME_ENV) else None
        unsandboxed = env.get(UNSANDBOXED_ENV, "").strip().lower() in ("1", "true", "yes")
        resources = Resources.default(env.get(PROJECT_DIR_ENV))
        return cls(env=env, resources=resources, home_dir=home, unsandboxed=unsandboxed)

    def holding(self, values: Iterable[str | None], files: Iterable[Path | None] = ()) -> Context:
        """This context, also holding ``values``: secrets a front end has besides the environment's and the
        fleet's (the tokens of ``--tokens FILE``), so that every ``Redactor`` masks them too; ``files``
        hold them (never mounted into product code's sandbox)."""
        return replace(
            self,
            held_secrets=self.held_secrets | {v for v in values if v},
            held_files=self.held_files | {Path(f).resolve() for f in files if f},
        )

    def without_sandbox(self) -> Context:
        """This context, running product code without bubblewrap (``--unsandboxed``)."""
        return replace(self, unsandboxed=True)

    @property
    def home(self) -> Path:
        """Where fleets followed by URL are cloned (resolved only when one is: no HOME needed else)."""
        return self.home_dir or Path.home() / ".cache" / "codemonkeys"

    @property
    def secrets(self) -> Secrets:
        """Secret resolution over this context's environment (and the values the front end holds)."""
        return Secrets(self.env, extra=self.held_secrets)

    def now(self) -> datetime:
        """The current time by this context's clock."""
        return self.clock()

    def tool_env(self) -> dict[str, str]:
        """The environment for build tools: this environment with our interpreter's bin dir first on
        PATH (so ``python`` is this Python), no venv prompt, no bytecode files in worktrees."""
        env = dict(self.env)
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env.pop("VIRTUAL_ENV_PROMPT", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env
