"""Secrets by name: one provider interface over the places a secret may live.

A fleet never holds a secret's value: kinds name it (``{secretRef: NAME}``) and the provider resolves it
at run time, in this order:

1. the environment variable ``CMCTL_SECRET_<NAME>`` (upper case, ``-`` and ``.`` as ``_``);
2. ``<fleet>/secrets/NAME.age``, committed to the fleet repo, decrypted (age, through the ``pyrage``
   binding) with the identity file named by ``CMCTL_AGE_IDENTITY``;
3. the file ``NAME`` in the directory named by ``CMCTL_SECRETS_DIR``.

A name found nowhere, an age file that cannot be decrypted, or a place that cannot be read (the identity
file, the fleet's ``secrets/``, the secrets directory: its path is named) resolves to an error naming
the secret (never a value); only what needs that secret is blocked. Values are for the actuator that
needs them and for the ``Redactor``; ``where`` and ``names`` (``cmctl secrets ls``) never read a value
out (an unreadable directory holds no names).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

ENV_PREFIX = "CMCTL_SECRET_"
IDENTITY_ENV = "CMCTL_AGE_IDENTITY"
DIR_ENV = "CMCTL_SECRETS_DIR"
AGE_DIR = "secrets"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class SecretError(Exception):
    """A secret the fleet references cannot be had; the message names it, never a value."""


def env_name(name: str) -> str:
    """The environment variable of secret ``name``: ``db-password`` -> ``CMCTL_SECRET_DB_PASSWORD``."""
    return ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", name.upper())


@dataclass(frozen=True, repr=False)
class Resolved:
    """A secret resolved by name: where it comes from and its value, or why it cannot be had."""

    name: str
    source: str = ""  # e.g. "env CMCTL_SECRET_X", "age secrets/x.age", "file /run/secrets/x"
    value: str | None = field(default=None, repr=False)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the secret has a value."""
        return self.value is not None

    def __repr__(self) -> str:
        return f"Resolved({self.name!r}, {self.source!r}, error={self.error!r})"  # never the value


class SecretSource(Protocol):
    """One place secrets live. ``lookup`` returns None when the name is not there."""

    def lookup(self, name: str) -> Resolved | None:
        """The secret if this source has it (a value, or an error naming it), None if not."""
        ...

    def names(self) -> set[str]:
        """The names this source holds (never a value)."""
        ...


@dataclass(frozen=True)
class EnvSource:
    """``CMCTL_SECRET_<NAME>`` environment variables."""

    env: Mapping[str, str] = field(repr=False)

    def lookup(self, name: str) -> Resolved | None:
        """The variable's value, if set and not empty."""
        var = env_name(name)
        value = self.env.get(var)
        return Resolved(name, f"env {var}", value) if value else None

    def names(self) -> set[str]:
        """Names as the variables spell them (lower case, ``_`` as ``-``)."""
        return {
            k[len(ENV_PREFIX) :].lower().replace("_", "-")
            for k, v in self.env.items()
            if k.startswith(ENV_PREFIX) and v
        }


@dataclass(frozen=True)
class AgeSource:
    """``<fleet>/secrets/NAME.age`` decrypted with the identity file ``identity`` (age X25519 keys)."""

    directory: Path | None
    identity: Path | None

    def lookup(self, name: str) -> Resolved | None:
        """The decrypted file, an error naming the secret (and the path) when it cannot be read or
        decrypted, None if absent."""
        if self.directory is None:
            return None
        path = self.directory / f"{name}.age"
        try:
            if not path.is_file():
                return None
        except OSError as exc:  # the fleet's secrets/ cannot be searched
            where = f"age {AGE_DIR}/{path.name}"
            return Resolved(name, where, error=f"secret {name}: cannot read {exc.filename}: {exc.strerror}")
        where = f"age {AGE_DIR}/{path.name}"
        if self.identity is None:
            return Resolved(name, where, error=f"secret {name}: {AGE_DIR}/{path.name} needs {IDENTITY_ENV}")
        try:
            import pyrage  # the [deploy] extra
        except ImportError:
            return Resolved(name, where, error=f"secret {name}: decrypting needs pyrage (the [deploy] extra)")
        try:
            keys = [
                line.strip()
                for line in self.identity.read_text().splitlines()
                if line.strip() and not line.startswith("#")
            ]
            identities = [pyrage.x25519.Identity.from_str(k) for k in keys]
            plain = pyrage.decrypt(path.read_bytes(), identities)
        except OSError as exc:
            return Resolved(name, where, error=f"secret {name}: cannot read {exc.filename}: {exc.strerror}")
        except Exception as exc:  # pyrage's DecryptError / IdentityError: messages hold no secret
            return Resolved(
                name,
                where,
                error=f"secret {name}: {AGE_DIR}/{path.name} cannot be decrypted "
                f"with {self.identity}: {type(exc).__name__}: {exc}",
            )
        return Resolved(name, where, _text(plain))

    def names(self) -> set[str]:
        """Names of the age files (none if the directory cannot be read)."""
        try:
            if self.directory is None or not self.directory.is_dir():
                return set()
            return {p.name[:-4] for p in self.directory.glob("*.age") if NAME.match(p.name[:-4])}
        except OSError:
            return set()


@dataclass(frozen=True)
class DirSource:
    """Files in a directory (``CMCTL_SECRETS_DIR``), one secret per file named like the secret."""

    directory: Path | None

    def lookup(self, name: str) -> Resolved | None:
        """The file's content (one trailing newline dropped), None if there is no such file; an error
        naming the secret and the path when the directory or the file cannot be read (the last place a
        secret is looked for: a directory set but missing or unreadable is why it was not found)."""
        if self.directory is None or not NAME.match(name):
            return None
        path = self.directory / name
        try:
            if not self.directory.is_dir():
                why = "is not a directory" if self.directory.exists() else "does not exist"
                return Resolved(
                    name, f"dir {self.directory}", error=f"secret {name}: {DIR_ENV} {self.directory} {why}"
                )
            if not path.is_file():
                return None
            return Resolved(name, f"file {path}", _text(path.read_bytes()))
        except OSError as exc:
            where = exc.filename or path
            return Resolved(name, f"file {path}", error=f"secret {name}: cannot read {where}: {exc.strerror}")

    def names(self) -> set[str]:
        """Names of the files (none if the directory cannot be read)."""
        try:
            if self.directory is None or not self.directory.is_dir():
                return set()
            return {p.name for p in self.directory.iterdir() if p.is_file() and NAME.match(p.name)}
        except OSError:
            return set()


def _text(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return text[:-1] if text.endswith("\n") else text


class SecretProvider:
    """Resolves secret names through its sources in order (see the module docstring); decrypts each
    name at most once per provider."""

    def __init__(self, sources: Iterable[SecretSource]):
        self.sources = tuple(sources)
        self._cache: dict[str, Resolved] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_fleet(cls, env: Mapping[str, str], fleet_root: Path | None) -> SecretProvider:
        """The standard order: environment, the fleet's age files, the secrets directory."""
        identity = Path(env[IDENTITY_ENV]) if env.get(IDENTITY_ENV) else None
        directory = Path(env[DIR_ENV]) if env.get(DIR_ENV) else None
        age_dir = fleet_root / AGE_DIR if fleet_root is not None else None
        return cls([EnvSource(env), AgeSource(age_dir, identity), DirSource(directory)])

    def __repr__(self) -> str:
        return f"SecretProvider({len(self.sources)} sources)"

    def resolve(self, name: str) -> Resolved:
        """The secret ``name`` from the first source that has it, or an error naming it."""
        with self._lock:
            if name not in self._cache:
                self._cache[name] = self._resolve(name)
            return self._cache[name]

    def _resolve(self, name: str) -> Resolved:
        for source in self.sources:
            found = source.lookup(name)
            if found is not None:
                return found
        return Resolved(
            name,
            error=f"secret {name} is not set ({env_name(name)}, {AGE_DIR}/{name}.age, {DIR_ENV})",
        )

    def names(self) -> list[str]:
        """Every name some source holds (no value is read)."""
        return sorted(set().union(*(s.names() for s in self.sources)))

    def values(self, names: Iterable[str]) -> list[str]:
        """The values of the resolvable secrets among ``names`` (for redaction)."""
        return [r.value for n in names if (r := self.resolve(n)).value]

    def require(self, name: str) -> str:
        """The value of secret ``name``; ``SecretError`` naming it when it cannot be resolved."""
        r = self.resolve(name)
        if r.value is None:
            raise SecretError(r.error or f"secret {name} is not set")
        return r.value


def masker(values: Iterable[str]) -> Callable[[str], str]:
    """A function replacing each of ``values`` (of 4 characters or more, as the actuators' ``Redactor``)
    with ``***``: for layers below the actuators (an observer's output, a probe's health body)."""
    found = sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True)
    if not found:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(v) for v in found))
    return lambda text: pattern.sub("***", text) if text else text
