"""Who may do what through the controller's HTTP API and dashboard (a front end; the library knows none
of it).

``cmctl controller run --tokens FILE`` names the callers: a YAML list of
``{name, role, token | tokenRef, companies?}``. ``tokenRef`` names a secret resolved by
``codemonkeys.secrets`` (``CMCTL_SECRET_<NAME>``, ``<fleet>/secrets/NAME.age``, ``CMCTL_SECRETS_DIR``), so
the file need hold no secret. Roles are ordered: ``viewer`` reads, ``approver`` also approves and rejects
held actions of its ``companies`` (all if none are listed; the constitution's approvers still apply, by
the token's name), ``admin`` also reconciles, suspends and resumes. The old ``CMCTL_API_TOKEN`` stays an
admin token named ``admin``.

A caller proves itself with ``Authorization: Bearer <token>`` (scripts), or with a browser session
(``Sessions``): signing in with a token sets a cookie holding a random session id, never the token, and
every write from a session must carry the session's CSRF token. With a tokens file, reading needs a
viewer too; without one the controller only listens on a loopback address (``check_listen``), where
reading stays open as before.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

COOKIE = "cm_session"
CSRF_HEADER = "x-csrf-token"
SESSION_TTL = 12 * 3600.0


class Role(IntEnum):
    """What a caller may do; a higher role may do everything a lower one may."""

    viewer = 1
    approver = 2
    admin = 3


class TokenEntry(BaseModel):
    """One caller in the tokens file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
    role: Role
    token: str | None = Field(None, min_length=16, repr=False)
    token_ref: str | None = Field(None, alias="tokenRef")
    companies: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _role_by_name(cls, data):
        if isinstance(data, dict) and isinstance(data.get("role"), str) and data["role"] in Role.__members__:
            data = {**data, "role": Role[data["role"]]}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> TokenEntry:
        if (self.token is None) == (self.token_ref is None):
            raise ValueError("give exactly one of token and tokenRef")
        return self


class AccessError(Exception):
    """The tokens file cannot be used (its message names the file and entry, never a token)."""


@dataclass(frozen=True)
class Principal:
    """A signed-in caller: name, role and the companies it may approve for (empty: all)."""

    name: str
    role: Role
    companies: tuple[str, ...] = ()

    def may(self, role: Role) -> bool:
        """Whether this caller has at least ``role``."""
        return self.role >= role

    def covers(self, company: str | None) -> bool:
        """Whether this caller's scope includes a product of ``company``."""
        return not self.companies or company in self.companies

    def public(self) -> dict:
        """What the dashboard may show of the caller."""
        return {"name": self.name, "role": self.role.name, "companies": list(self.companies)}


@dataclass
class Access:
    """The known tokens (token -> principal), and whether reading needs one."""

    principals: list[tuple[str, Principal]] = field(default_factory=list, repr=False)
    read_needs_token: bool = False

    @property
    def writable(self) -> bool:
        """Whether any token is configured (without one, every write is refused)."""
        return bool(self.principals)

    def identify(self, token: str) -> Principal | None:
        """The principal holding ``token`` (constant-time comparisons, all tokens tried), or None."""
        found = None
        for known, who in self.principals:
            if hmac.compare_digest(token.encode(), known.encode()):
                found = who
        return found if token else None

    def secret_values(self) -> list[str]:
        """Every token (for redaction)."""
        return [t for t, _ in self.principals]


def load_access(tokens_file: Path | None, api_token: str | None, resolve) -> Access:
    """The access of a controller: the tokens file (``resolve(name) -> Resolved`` for ``tokenRef``) plus
    ``api_token`` as admin. ``AccessError`` for a file that is unreadable, invalid, or names a secret
    that does not resolve; nothing is half-loaded."""
    principals: list[tuple[str, Principal]] = []
    if tokens_file is not None:
        try:
            raw = yaml.safe_load(Path(tokens_file).read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise AccessError(f"{tokens_file}: cannot read the tokens file: {type(exc).__name__}") from None
        if not isinstance(raw, list) or not raw:
            raise AccessError(f"{tokens_file}: expected a non-empty list of {{name, role, token | tokenRef}}")
        problems, seen = [], set()
        for i, item in enumerate(raw):
            named = item.get("name") if isinstance(item, dict) else None
            where = f"{tokens_file}: entry {i + 1}" + (f" ({named})" if isinstance(named, str) else "")
            try:
                entry = TokenEntry.model_validate(item)
            except ValidationError as exc:
                errs = "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors()
                )
                problems.append(f"{where}: {errs}")
                continue
            if entry.name in seen:
                problems.append(f"{where}: duplicate name")
            seen.add(entry.name)
            token = entry.token
            if entry.token_ref is not None:
                resolved = resolve(entry.token_ref)
                if not resolved.ok:
                    problems.append(f"{where}: {resolved.error}")
                    continue
                token = resolved.value
            principals.append((token, Principal(entry.name, entry.role, tuple(entry.companies))))
        if problems:
            raise AccessError("\n".join(problems))
        tokens = [t for t, _ in principals]
        if len(set(tokens)) != len(tokens):
            raise AccessError(f"{tokens_file}: two entries share a token")
    if api_token:
        principals.append((api_token, Principal("admin", Role.admin)))
    return Access(principals, read_needs_token=tokens_file is not None)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (of ``--listen``) is a loopback address or ``localhost``."""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(host: str, tokens_file: Path | None) -> str | None:
    """Why the controller must not listen on ``host`` (None if it may): anything but loopback needs
    a tokens file, since reading is open without one."""
    if tokens_file is None and not is_loopback(host):
        return (
            f"refusing to listen on {host}: without --tokens FILE anyone could read the fleet; "
            "listen on 127.0.0.1 or give a tokens file"
        )
    return None


class Sessions:
    """Browser sessions in memory: random session id -> (principal, CSRF token, expiry). Gone when the
    controller restarts; each expires after ``SESSION_TTL`` seconds."""

    def __init__(self, clock) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._open: dict[str, tuple[Principal, str, float]] = {}

    def open(self, who: Principal) -> tuple[str, str]:
        """A new session for ``who``: (session id, CSRF token)."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self._open[sid] = (who, csrf, self._clock() + SESSION_TTL)
        return sid, csrf

    def get(self, sid: str | None) -> tuple[Principal, str] | None:
        """The session's (principal, CSRF token), None if unknown or expired."""
        with self._lock:
            found = self._open.get(sid or "")
            if found is None:
                return None
            if found[2] < self._clock():
                del self._open[sid]
                return None
            return found[0], found[1]

    def close(self, sid: str | None) -> None:
        """Forget session ``sid``."""
        with self._lock:
            self._open.pop(sid or "", None)


class Guard:
    """The HTTP side of access: who is calling (bearer token or session cookie), and whether they may."""

    def __init__(self, access: Access, sessions: Sessions) -> None:
        self.access = access
        self.sessions = sessions

    def bearer(self, request) -> str | None:
        """The bearer token of the request, if it has an ``Authorization: Bearer`` header."""
        header = request.headers.get("authorization", "")
        return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None

    def who(self, request, query_token: str | None = None) -> tuple[Principal | None, bool]:
        """(the caller, whether it came by a session cookie); a wrong bearer token is a 401."""
        from fastapi import HTTPException

        token = self.bearer(request) or query_token
        if token is not None:
            found = self.access.identify(token)
            if found is None:
                raise HTTPException(401, "missing or wrong token")
            return found, False
        session = self.sessions.get(request.cookies.get(COOKIE))
        return (session[0], True) if session else (None, False)

    def read(self, request) -> Principal | None:
        """401 if reading needs a token (a tokens file is configured) and the caller has none."""
        from fastapi import HTTPException

        found, _ = self.who(request)
        if found is None and self.access.read_needs_token:
            raise HTTPException(401, "sign in: reading needs a viewer token")
        return found

    def write(
        self,
        request,
        role: Role,
        company: str | None = None,
        query_token: str | None = None,
        csrf: str | None = None,
    ) -> Principal:
        """The caller, if it may act as ``role`` on a product of ``company``: 401 without a (right) token
        or session, 403 for a session write without its CSRF token (the ``X-CSRF-Token`` header, or
        ``csrf``: a form's hidden field), a role too low or a company outside the caller's scope."""
        from fastapi import HTTPException

        if not self.access.writable:
            raise HTTPException(
                401, "write endpoints are disabled: start the controller with an API token or --tokens"
            )
        found, by_session = self.who(request, query_token)
        if found is None:
            raise HTTPException(401, "sign in with a token first")
        if by_session:
            expected = self.sessions.get(request.cookies.get(COOKIE))[1]
            given = csrf if csrf is not None else request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(given.encode(), expected.encode()):
                raise HTTPException(403, "missing or wrong CSRF token")
        if not found.may(role):
            raise HTTPException(403, f"{found.name} is a {found.role.name}: this needs {role.name}")
        if not found.covers(company):
            raise HTTPException(403, f"{found.name} may not act for company {company or '(none)'}")
        return found
