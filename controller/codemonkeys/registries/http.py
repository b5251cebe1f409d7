"""The HTTP layer under the registry observers (stage 2: observe; the fetch half of fetch + parse).

One ``RegistryHttp`` per run wraps one ``httpx.Client`` shared by every registry observer (it is
thread-safe, so the Observer's pool can share it). Every request passes a per-host rate limit (a token
bucket, default 10 requests a second per host), is retried with exponential backoff only on connect
errors, timeouts, HTTP 5xx and 429 (at most 3 attempts), and has timeouts. Credentials (basic or token)
come as an ``Auth`` value resolved from environment variables by the dispatcher (``registries.py``).

Every failure is one exception type, ``RegistryError``, whose message names the URL (without any
user-info part) and the HTTP status, and never a credential: messages are built from the method, URL
and status only, and every known secret is then redacted as a safety net.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from codemonkeys.registries.conditional import ConditionalStore

DEFAULT_RATE = 10.0  # requests per second per host
DEFAULT_BURST = 1  # requests a host may take at once before the rate applies
DEFAULT_TIMEOUT = 10.0  # seconds (connect, read, write, pool)
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF = 0.5  # seconds before the second attempt; doubles after that
MAX_BACKOFF = 8.0
USER_AGENT = "codemonkeys-controller (registry observer)"


class RegistryError(Exception):
    """A registry could not be read. ``str(exc)`` names the URL and status, never a credential."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


class TokenScheme(StrEnum):
    """How a lone token goes into ``Authorization``."""

    BEARER = "bearer"  # ``Authorization: Bearer <token>`` (npm, private PyPI indexes, OCI)
    RAW = "raw"  # ``Authorization: <token>`` (Cargo's registry auth sends the token as is)


@dataclass(frozen=True, repr=False)
class Auth:
    """Credentials for one registry. ``repr`` shows which parts are set, never their values.

    A username with a password (or, lacking one, a token) is basic auth; a token alone is a bearer
    (or raw, see ``TokenScheme``) token.
    """

    username: str | None = None
    password: str | None = None
    token: str | None = None

    def __repr__(self) -> str:
        parts = [f"{k}=***" for k in ("username", "password", "token") if getattr(self, k)]
        return f"Auth({', '.join(parts)})"

    @property
    def basic(self) -> tuple[str, str] | None:
        """(username, password or token) for basic auth, None without a username and a secret."""
        secret = self.password or self.token
        return (self.username, secret) if self.username and secret else None

    def authorization(self, scheme: TokenScheme = TokenScheme.BEARER) -> str | None:
        """The ``Authorization`` value: basic if possible, else the token in ``scheme``; None if unset."""
        if self.basic:
            return basic_authorization(*self.basic)
        if self.token:
            return self.token if scheme is TokenScheme.RAW else f"Bearer {self.token}"
        return None

    def secrets(self) -> list[str]:
        """Every secret value to redact: password, token, and the base64 of the basic credentials."""
        values = [v for v in (self.password, self.token) if v]
        if self.basic:
            values.append(basic_authorization(*self.basic).split(" ", 1)[1])
        return values


def basic_authorization(username: str, password: str) -> str:
    """The ``Authorization`` value for basic auth: ``Basic <base64 of user:password>``."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def safe_url(url: str | httpx.URL) -> str:
    """The URL without user-info (``https://user:pass@host`` -> ``https://host``)."""
    parts = urlsplit(str(url))
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def redact(message: str, secrets: Iterable[str]) -> str:
    """Replace every secret (of 4 characters or more, as the actuators' Redactor does) with ``***``."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


class RateLimiter:
    """A token bucket per host (as GCRA: one theoretical arrival time per host), thread-safe.

    ``rate`` requests a second with bursts of up to ``burst`` requests. ``acquire`` blocks (sleeps) until
    the request may go; ``clock`` and ``sleep`` are injectable for tests.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.interval, self.burst = 1.0 / rate, burst
        self._clock, self._sleep = clock, sleep
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()

    def delay(self, host: str) -> float:
        """Reserve the next slot for ``host``; returns how long to wait for it."""
        with self._lock:
            now = self._clock()
            tat = max(self._tat.get(host, now), now)
            self._tat[host] = tat + self.interval
            return max(0.0, tat - now - (self.burst - 1) * self.interval)

    def acquire(self, host: str) -> None:
        """Wait (sleep) until a request to ``host`` may go."""
        wait = self.delay(host)
        if wait > 0:
            self._sleep(wait)


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response):
        super().__init__(response.status_code)
        self.response = response


_TRANSIENT = (httpx.ConnectError, httpx.TimeoutException, _RetryableStatus)


@dataclass
class RegistryHttp:
    """The per-run HTTP client of the registry observers. Use as a context manager, or ``close()``.

    ``transport`` replaces the network (tests pass an ``httpx.MockTransport``); ``sleep`` is used for
    backoff and rate-limit waits.
    """

    rate: float = DEFAULT_RATE
    burst: int = DEFAULT_BURST
    timeout: float = DEFAULT_TIMEOUT
    attempts: int = DEFAULT_ATTEMPTS
    backoff: float = DEFAULT_BACKOFF
    transport: httpx.BaseTransport | None = None
    cache_dir: Path | None = None  # kept documents for conditional requests (registries/conditional.py)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    limiter: RateLimiter = field(init=False)
    _client: httpx.Client | None = field(init=False, default=None)
    _client_lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    not_modified: int = field(init=False, default=0)  # conditional requests answered 304 (this run)
    _kept: ConditionalStore | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.rate, self.burst, clock=self.clock, sleep=self.sleep)
        if self.cache_dir is not None:
            self._kept = ConditionalStore(self.cache_dir)

    @property
    def client(self) -> httpx.Client:
        """The HTTP client, made on first use: its TLS context costs ~0.1 s (the CA bundle), which a run
        observing only local registries never pays."""
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client(
                    transport=self.transport,
                    timeout=httpx.Timeout(self.timeout),
                    follow_redirects=True,  # httpx drops Authorization when a redirect leaves the origin
                    headers={"User-Agent": USER_AGENT},
                )
            return self._client

    def close(self) -> None:
        """Close the underlying HTTP client and its connections (if one was made)."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def __enter__(self) -> RegistryHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        auth: Auth | None = None,
        headers: Mapping[str, str] | None = None,
        token_scheme: TokenScheme = TokenScheme.BEARER,
        expect: Collection[int] = (),
        secrets: Iterable[str] = (),
        conditional: bool = False,
    ) -> httpx.Response:
        """GET ``url``. Returns 2xx responses and those whose status is in ``expect``; raises
        ``RegistryError`` for anything else (after retries for the transient ones).

        ``auth`` sets ``Authorization`` unless ``headers`` already does. ``secrets`` are further values
        to keep out of messages (e.g. a bearer token obtained during the run). ``conditional``: a
        document worth keeping (never a token): with ``cache_dir`` set, asked for with the validators
        of the copy kept last time, which a 304 answer returns.
        """
        hdrs = dict(headers or {})
        store = self._kept if conditional else None
        key = store.key(url, hdrs.get("Accept", "")) if store is not None else ""
        kept = store.get(key) if store is not None else None
        if kept is not None:
            hdrs.update(kept.conditions())
        known = list(secrets) + (auth.secrets() if auth else [])
        if auth and not any(k.lower() == "authorization" for k in hdrs):
            value = auth.authorization(token_scheme)
            if value:
                hdrs["Authorization"] = value
        for k, v in hdrs.items():
            if k.lower() == "authorization":
                known.append(v.split(" ", 1)[-1])
        where = f"GET {safe_url(url)}"
        try:
            host = httpx.URL(url).host
        except (httpx.InvalidURL, TypeError) as exc:
            raise RegistryError(redact(f"{where}: invalid URL ({exc})", known)) from None

        def attempt() -> httpx.Response:
            self.limiter.acquire(host)
            response = self.client.get(url, headers=hdrs)
            if response.status_code == 429 or response.status_code >= 500:
                response.read()
                raise _RetryableStatus(response)
            return response

        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.attempts)),
            wait=wait_exponential(multiplier=self.backoff, min=self.backoff, max=MAX_BACKOFF),
            retry=retry_if_exception_type(_TRANSIENT),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            response = retrying(attempt)
        except _RetryableStatus as exc:
            status = exc.response.status_code
            raise RegistryError(
                redact(f"{where}: HTTP {status} after {self.attempts} attempts", known), status
            ) from None
        except httpx.TimeoutException as exc:
            raise RegistryError(
                redact(f"{where}: timed out after {self.attempts} attempts ({type(exc).__name__})", known)
            ) from None
        except httpx.ConnectError as exc:
            raise RegistryError(
                redact(f"{where}: cannot connect after {self.attempts} attempts ({exc})", known)
            ) from None
        except httpx.HTTPError as exc:
            raise RegistryError(redact(f"{where}: {type(exc).__name__}: {exc}", known)) from None
        status = response.status_code
        if status == 304 and kept is not None and store is not None:
            self.not_modified += 1
            return store.answer(kept, response)
        if store is not None and 200 <= status < 300:
            store.put(key, response)
        if 200 <= status < 300 or status in expect:
            return response
        raise RegistryError(redact(f"{where}: HTTP {status}{_reason(status)}", known), status)


def _reason(status: int) -> str:
    if status == 401:
        return " (unauthorized: credentials missing or wrong)"
    if status == 403:
        return " (forbidden)"
    return ""


def payload_error(response: httpx.Response, exc: Exception) -> RegistryError:
    """A ``RegistryError`` for a response whose body could not be parsed."""
    return RegistryError(
        f"GET {safe_url(response.request.url)}: HTTP {response.status_code}: unexpected payload ({exc})",
        response.status_code,
    )
