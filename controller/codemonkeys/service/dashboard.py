"""The fleet dashboard, served by the controller at ``/``: a page of vanilla JavaScript (no framework, no
build step, no CDN: every asset is a file of this package) over JSON endpoints that call only
``api.FleetSession``.

Reading is open like the rest of the read API. Approving a held action needs the controller's API token:
either ``Authorization: Bearer <token>`` (scripts), or a browser session: ``POST /ui/login`` with the
token in the JSON body sets an HttpOnly, SameSite=Strict cookie (Secure over https) holding a random
session id, never the token; every write from a session must also carry the session's CSRF token in the
``X-CSRF-Token`` header (read from ``GET /ui/session``, same-origin only). Tokens never appear in URLs,
pages or logs. The approver's name is declared with the approval (like ``cmctl approve --as``) and
checked against the constitution's approvers; the approval is audited under that name.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from codemonkeys.api import ApiError, SelectorError
from codemonkeys.service.controller import Controller

STATIC = Path(__file__).parent / "static"
ASSETS = {"app.js": "text/javascript", "app.css": "text/css"}
COOKIE = "cm_session"


class Login(BaseModel):
    """The sign-in form: the controller's API token."""

    token: str


class Approval(BaseModel):
    """An approval from the dashboard: who approves, and why."""

    approver: str = Field(min_length=1, max_length=80)
    comment: str = Field("", max_length=2000)


class Sessions:
    """Browser sessions in memory: random session id -> CSRF token (gone when the controller restarts)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._csrf: dict[str, str] = {}

    def open(self) -> tuple[str, str]:
        """A new session: (session id, CSRF token)."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self._csrf[sid] = csrf
        return sid, csrf

    def csrf(self, sid: str | None) -> str | None:
        """The CSRF token of session ``sid`` (None if there is no such session)."""
        with self._lock:
            return self._csrf.get(sid or "")

    def close(self, sid: str | None) -> None:
        """Forget session ``sid``."""
        with self._lock:
            self._csrf.pop(sid or "", None)


def token_ok(ctl: Controller, given: str) -> bool:
    """Whether ``given`` is the controller's API token (constant time; False when none is configured)."""
    expected = ctl.config.api_token
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def authorise_write(ctl: Controller, sessions: Sessions, request: Request) -> None:
    """401 unless the request carries the bearer token, or a session cookie with its CSRF header (403)."""
    header = request.headers.get("authorization", "")
    if header.startswith("Bearer "):
        if token_ok(ctl, header.removeprefix("Bearer ").strip()):
            return
        raise HTTPException(401, "wrong token")
    csrf = sessions.csrf(request.cookies.get(COOKIE))
    if csrf is None:
        raise HTTPException(401, "sign in with the controller's API token first")
    given = request.headers.get("x-csrf-token", "")
    if not hmac.compare_digest(given.encode(), csrf.encode()):
        raise HTTPException(403, "missing or wrong CSRF token")


def add_dashboard(app: FastAPI, ctl: Controller) -> None:
    """Mount the dashboard page, its assets, its sign-in and its JSON endpoints on ``app``."""
    sessions = Sessions()
    _page_routes(app, ctl, sessions)
    _data_routes(app, ctl)
    _approve_route(app, ctl, sessions)


def _page_routes(app: FastAPI, ctl: Controller, sessions: Sessions) -> None:
    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=_no_frames())

    @app.post("/ui/login")
    def login(body: Login, request: Request, response: Response) -> dict:
        if not token_ok(ctl, body.token):
            raise HTTPException(401, "wrong token")
        sid, csrf = sessions.open()
        secure = request.url.scheme == "https"
        response.set_cookie(COOKIE, sid, httponly=True, samesite="strict", secure=secure, path="/")
        return {"signed_in": True, "csrf": csrf}

    @app.get("/ui/session")
    def session(request: Request) -> dict:
        csrf = sessions.csrf(request.cookies.get(COOKIE))
        return {"signed_in": csrf is not None, "csrf": csrf, "writable": bool(ctl.config.api_token)}

    @app.post("/ui/logout")
    def logout(request: Request, response: Response) -> dict:
        sessions.close(request.cookies.get(COOKIE))
        response.delete_cookie(COOKIE, path="/")
        return {"signed_in": False}

    @app.get("/ui/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(404, "no such asset")
        return FileResponse(STATIC / name, media_type=ASSETS[name])


def _no_frames() -> dict[str, str]:
    return {
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
        "Referrer-Policy": "no-referrer",
    }


def _data_routes(app: FastAPI, ctl: Controller) -> None:
    @app.get("/api/fleet")
    def fleet(select: list[str] | None = Query(None)) -> dict:
        try:
            rows = ctl.session.fleet(select)
        except SelectorError as exc:
            raise HTTPException(400, str(exc)) from None
        for row in rows:
            state = ctl.products.get(row["name"])
            row["last_reconcile"] = state.__dict__ if state else None
        runs = ctl.session.runs(limit=1)
        return {"products": rows, "last_run": runs[0] if runs else None}

    @app.get("/api/products/{name}/explain")
    def explain(name: str) -> dict:
        return _call(ctl.session.explain, name)

    @app.get("/api/products/{name}/heal")
    def heal(name: str) -> list[dict]:
        return _call(ctl.session.heal_attempts, name)


def _approve_route(app: FastAPI, ctl: Controller, sessions: Sessions) -> None:
    @app.post("/api/actions/{action_id:path}/approve")
    def approve(action_id: str, body: Approval, request: Request) -> dict:
        authorise_write(ctl, sessions, request)
        decision = _call(ctl.session.approve, action_id, body.approver, body.comment)
        ctl.queue.add(action_id.split("/", 1)[0], f"approved by {body.approver}")
        return {"action": action_id, "verdict": str(decision.verdict), "message": decision.message}


def _call(fn, *args):
    """Call the library; its ``ApiError`` becomes a 404 (no such product) or a 409 (not possible now)."""
    try:
        return fn(*args)
    except ApiError as exc:
        raise HTTPException(
            404 if str(exc).startswith(("no product", "unknown product")) else 409, str(exc)
        ) from None
