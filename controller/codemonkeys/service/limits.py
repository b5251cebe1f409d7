"""What every answer of the controller's HTTP service goes through, whatever the route: a bounded request
body and the security headers. One ASGI middleware (``Guarded``), mounted outermost by service/api.py.

Bodies: a request's body is read here, before any route parses it or checks an HMAC over it, and only up
to its limit (``BodyLimits``: webhooks ``/hooks/...`` 1 MiB, forms ``/ui/...`` and form-encoded bodies
64 KiB, anything else (JSON) 256 KiB by default; ``cmctl controller run --max-body``). A declared
``Content-Length`` over the limit is refused before a byte of the body is read; a body without one
(chunked) is counted as it streams and refused as soon as it passes the limit. A refusal is a 413 with a
JSON ``detail`` saying the limit, and closes the connection (the rest of the body is never read), so the
controller's memory does not grow with what a client sends. A body within its limit is handed on whole.

Headers (``SECURITY_HEADERS``), added to every answer that does not set its own: ``nosniff``, no framing
(``X-Frame-Options`` and CSP ``frame-ancestors``), no referrer, and a Content-Security-Policy fitting the
dashboard (its own scripts, styles and images only, forms posting to itself, no plugins, no ``<base>``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, replace
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KIB, MIB = 1024, 1024 * 1024

SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|K|M|KB|MB)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": KIB, "kb": KIB, "kib": KIB, "m": MIB, "mb": MIB, "mib": MIB}


@dataclass(frozen=True)
class BodyLimits:
    """The largest request body, in bytes, per kind of route."""

    webhook: int = 1 * MIB  # /hooks/git, /hooks/jenkins
    form: int = 64 * KIB  # the dashboard's forms (/ui/...) and any form-encoded body
    json: int = 256 * KIB  # the JSON API and anything else

    def limit(self, path: str, content_type: str) -> tuple[int, str]:
        """(the limit, what it is named in a refusal) for a request to ``path`` with ``content_type``."""
        if path.startswith("/hooks/"):
            return self.webhook, "webhook"
        if path.startswith("/ui/") or content_type.split(";", 1)[0].strip().lower() in FORM_TYPES:
            return self.form, "form"
        return self.json, "JSON"

    @classmethod
    def parse(cls, text: str | None) -> BodyLimits:
        """Limits from ``webhook=2MiB,form=64KiB,json=512KiB`` (any of them; sizes in B, KiB or MiB);
        the defaults for the others. ``ValueError`` saying what is wrong."""
        limits = cls()
        for item in (text or "").replace(" ", ",").split(","):
            if not item:
                continue
            kind, sep, size = item.partition("=")
            if not sep or kind not in ("webhook", "form", "json"):
                raise ValueError(f"{item!r}: expected webhook=SIZE, form=SIZE or json=SIZE")
            m = _SIZE.match(size)
            if m is None or int(m.group(1)) < 1:
                raise ValueError(f"{item!r}: a size is a positive number of B, KiB or MiB (64KiB)")
            limits = replace(limits, **{kind: int(m.group(1)) * _UNITS[(m.group(2) or "").lower()]})
        return limits


def size_text(n: int) -> str:
    """``n`` bytes for people: ``1 MiB``, ``64 KiB``, ``300 B``."""
    for unit, size in (("MiB", MIB), ("KiB", KIB)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} B"


class Guarded:
    """ASGI middleware: bounded request bodies and security headers on every HTTP answer (see the module
    docstring). ``app.add_middleware(Guarded, limits=...)``."""

    def __init__(self, app: ASGIApp, limits: BodyLimits | None = None) -> None:
        self.app = app
        self.limits = limits or BodyLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_headers(send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        limit, what = self.limits.limit(scope.get("path", ""), headers.get("content-type", ""))
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _refuse(send, 400, "Content-Length is not a number")
                return
            if int(declared) > limit:
                await _too_large(send, what, limit)
                return
        body = bytearray()
        first: Message | None = None
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: the app sees that
                first = message
                break
            body += message.get("body", b"")
            if len(body) > limit:
                await _too_large(send, what, limit)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), first, receive), send)


def _replay(body: bytes, pending: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that gives the app the body read so far in one message, then what comes next."""
    queue: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    if pending is not None:
        queue.append(pending)

    async def again() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return again


def _with_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {k.lower() for k, _ in message.get("headers", ())}
            extra = [
                (name.lower().encode(), value.encode())
                for name, value in SECURITY_HEADERS.items()
                if name.lower().encode() not in present
            ]
            message["headers"] = [*message.get("headers", ()), *extra]
        await send(message)

    return sending


async def _too_large(send: Send, what: str, limit: int) -> None:
    await _refuse(send, 413, f"request body too large: a {what} body may hold at most {size_text(limit)}")


async def _refuse(send: Send, status: int, detail: str) -> None:
    """Answer ``status`` with ``{"detail": ...}`` and close the connection (no more of the body is read)."""
    payload = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload, "more_body": False})
