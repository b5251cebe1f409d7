"""The fleet dashboard, served by the controller at ``/``: pages rendered on the server from Jinja2
templates (service/pages.py, ``service/templates/``) and the JSON API behind them (this module: the CLI,
scripts and tests use it), both fed by the same view functions (service/views.py). Live updates come by
Server-Sent Events (``/events``, service/events.py): a small plain script (``static/app.js``, no
framework, no build step, no CDN) re-fetches the open page's main region as a server-rendered fragment.

Views: the fleet grid (products x facets, filters, summary counts, needs attention first), a product
(desired vs observed, explain, the next actions with verdicts and predicted durations, the last journaled
attempts with their logs, heal patches, run history, audit), approvals (every held action, approve /
reject with a comment), changes (cross-repo change proposals per product: state, diff, the rule that
denied or held them; an admin drops one: service/dashboard_changes.py), swarm (signatures, templates,
predictions, conflicts, flaky builds, slowdowns), runs, and the audit log with its hash chain's
verification.

Access (service/auth.py): reading is open on loopback without a tokens file, else it needs a viewer.
Approving and rejecting need an approver of the product's company (the constitution's approvers are
checked by the caller's name, as ``cmctl approve --as``); reconcile, suspend and resume need an admin.
A browser signs in with its token (the page's form, or ``POST /ui/login``): an HttpOnly,
SameSite=Strict cookie (Secure over https) holds a random session id, never the token; every write from
a session must carry the session's CSRF token (a form's hidden field, or ``X-CSRF-Token`` from
``GET /ui/session``). Tokens never appear in URLs, pages or logs.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from codemonkeys.service import views
from codemonkeys.service.auth import COOKIE, Guard, Principal, Role
from codemonkeys.service.controller import Controller
from codemonkeys.service.dashboard_changes import add_change_routes
from codemonkeys.service.events import stream

STATIC = Path(__file__).parent / "static"
ASSETS = {"app.js": "text/javascript", "app.css": "text/css"}


class Login(BaseModel):
    """The sign-in form: a token."""

    token: str = Field(min_length=1, max_length=512)


class Approval(BaseModel):
    """An approval or rejection from the dashboard. Only the legacy API token, which names nobody, may
    declare who approves (like ``cmctl approve --as``); a named token approves as itself."""

    approver: str | None = Field(None, min_length=1, max_length=80)
    comment: str = Field("", max_length=2000)


def add_dashboard(app: FastAPI, ctl: Controller, guard: Guard) -> None:
    """Mount the dashboard's assets, sign-in, events and JSON endpoints on ``app`` (its pages:
    ``pages.add_pages``)."""
    _session_routes(app, ctl, guard)
    _data_routes(app, ctl)
    _approval_routes(app, ctl, guard)
    _admin_routes(app, ctl, guard)
    add_change_routes(app, ctl, guard)


def _session_routes(app: FastAPI, ctl: Controller, guard: Guard) -> None:
    @app.post("/ui/login")
    def login(body: Login, request: Request, response: Response) -> dict:
        who = guard.access.identify(body.token)
        if who is None:
            raise HTTPException(401, "wrong token")
        csrf = sign_in(guard, who, request, response)
        return {"signed_in": True, "csrf": csrf, "user": who.public()}

    @app.get("/ui/session")
    def session(request: Request) -> dict:
        found = guard.sessions.get(request.cookies.get(COOKIE))
        return {
            "signed_in": found is not None,
            "csrf": found[1] if found else None,
            "user": found[0].public() if found else None,
            "writable": guard.access.writable,
            "read_needs_token": guard.access.read_needs_token,
        }

    @app.post("/ui/logout")
    def logout(request: Request, response: Response) -> dict:
        guard.sessions.close(request.cookies.get(COOKIE))
        response.delete_cookie(COOKIE, path="/")
        return {"signed_in": False}

    @app.get("/ui/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(404, "no such asset")
        return FileResponse(STATIC / name, media_type=ASSETS[name])

    @app.get("/events")
    def events(request: Request) -> StreamingResponse:
        """Server-Sent Events: ``reconcile.started``, ``reconcile.finished``, ``approval.*``."""
        guard.read(request)
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(
            stream(ctl.events, ctl.stop), media_type="text/event-stream", headers=headers
        )


def sign_in(guard: Guard, who: Principal, request: Request, response: Response) -> str:
    """Open a session for ``who`` and set its cookie on ``response``; returns the session's CSRF token."""
    sid, csrf = guard.sessions.open(who)
    secure = request.url.scheme == "https"
    response.set_cookie(COOKIE, sid, httponly=True, samesite="strict", secure=secure, path="/")
    return csrf


def _data_routes(app: FastAPI, ctl: Controller) -> None:
    @app.get("/api/fleet")
    def fleet(select: list[str] | None = Query(None)) -> dict:
        return views.fleet(ctl, select)

    @app.get("/api/products/{name}/explain")
    def explain(name: str) -> dict:
        return views.explain(ctl, name)

    @app.get("/api/products/{name}/heal")
    def heal(name: str) -> list[dict]:
        return views.heal(ctl, name)

    @app.get("/api/products/{name}/attempts")
    def attempts(name: str) -> list[dict]:
        """The last journaled attempt of each of the product's actions, newest first, with the tail of
        its (redacted) log and its kept files (a browser run's screenshots)."""
        return views.attempts(ctl, name)

    @app.get("/api/artifact")
    def artifact(action: str, run: int, name: str) -> FileResponse:
        """A file an action kept (a browser run's screenshot, video or trace), found through its journal
        entry only (never a path from the request), served if it is unchanged since (its SHA-256)."""
        path, media = views.artifact(ctl, action, run, name)
        return FileResponse(path, media_type=media, headers={"Cache-Control": "no-store"})

    @app.get("/api/audit/verify")
    def verify() -> dict:
        return views.verify(ctl)

    @app.get("/api/swarm")
    def swarm() -> dict:
        """What the fleet learned: top signatures, fix templates, conflicts, flaky builds, slowdowns, and
        predictions against actuals per product."""
        return views.swarm(ctl)


def _approval_routes(app: FastAPI, ctl: Controller, guard: Guard) -> None:
    @app.get("/api/approvals")
    def approvals() -> list[dict]:
        """Every held action of the fleet now (observes the fleet), with its rule, message, params and
        who may approve it, and the last approval or rejection on record."""
        return views.approvals(ctl)

    @app.post("/api/actions/{action_id:path}/approve")
    def approve(action_id: str, body: Approval, request: Request) -> dict:
        who = guard.write(request, Role.approver, company_of(ctl, action_id))
        return decide(ctl, who, action_id, body, approve=True)

    @app.post("/api/actions/{action_id:path}/reject")
    def reject(action_id: str, body: Approval, request: Request) -> dict:
        who = guard.write(request, Role.approver, company_of(ctl, action_id))
        return decide(ctl, who, action_id, body, approve=False)


def company_of(ctl: Controller, action_id: str) -> str | None:
    """The company of an action's product (404 for an unknown product)."""
    product = views.known(ctl, action_id.split("/", 1)[0])
    return ctl.desired.products[product].metadata.company


def decide(ctl: Controller, who: Principal, action_id: str, body: Approval, approve: bool) -> dict:
    """Approve or reject ``action_id`` as ``who`` (already authorized), bound to the current revision and
    fingerprint by the library; an approval queues the product. Publishes ``approval.*``."""
    product = action_id.split("/", 1)[0]
    name = body.approver if (views.speaks_for_anyone(who) and body.approver) else who.name
    if approve:
        decision = views.call(ctl.session.approve, action_id, name, body.comment)
        ctl.queue.add(product, f"approved by {name}")
    else:
        decision = views.call(ctl.session.reject, action_id, name, body.comment)
    event = "approval.given" if approve else "approval.rejected"
    ctl.events.publish(event, product=product, action=action_id, by=name)
    return {"action": action_id, "verdict": str(decision.verdict), "message": decision.message, "by": name}


def _admin_routes(app: FastAPI, ctl: Controller, guard: Guard) -> None:
    def product_of(name: str, request: Request) -> Principal:
        views.known(ctl, name)
        return guard.write(request, Role.admin, ctl.desired.products[name].metadata.company)

    @app.post("/api/products/{name}/suspend")
    def suspend(name: str, request: Request) -> dict:
        """Stop every controller process sharing the state database from acting on ``name`` until it is
        resumed (``cmctl controller suspend`` does the same; ``spec.suspend`` in the fleet repo is the
        reviewed way). Audited."""
        return pause(ctl, product_of(name, request), name, paused=True)

    @app.post("/api/products/{name}/resume")
    def resume(name: str, request: Request) -> dict:
        """Reconcile ``name`` again (and now). Audited."""
        return pause(ctl, product_of(name, request), name, paused=False)


def pause(ctl: Controller, who: Principal, name: str, paused: bool) -> dict:
    """Suspend (``paused``) or resume ``name`` as ``who`` (an admin already authorized) for every
    controller process sharing the state database (``FleetSession.suspend``: kept in the store,
    audited); published; a resume queues the product."""
    if paused:
        ctl.session.suspend(name, who.name)
        ctl.events.publish("product.suspended", product=name)
    else:
        ctl.session.resume(name, who.name)
        ctl.queue.add(name, "resumed")
        ctl.events.publish("product.resumed", product=name)
    return {"product": name, "paused": paused}


def request_reconcile(ctl: Controller, who: Principal, name: str, source: str = "dashboard") -> dict:
    """Queue a reconcile of ``name`` now, asked by ``who`` (authorized already): audited
    (``product.reconcile_requested``, the requester as its actor) and published."""
    ctl.store.audit("product.reconcile_requested", who.name, {"source": source}, product=name)
    ctl.event(name, f"{source} request by {who.name}")  # a burst of requests merges into one reconcile
    ctl.events.publish("reconcile.queued", product=name, by=who.name)
    return {"queued": name}
