"""The fleet dashboard, served by the controller at ``/``: a page of vanilla JavaScript (no framework, no
build step, no CDN: every asset is a file of this package) over JSON endpoints that call only
``api.FleetSession``, kept current by Server-Sent Events (``/events``, service/events.py).

Views (hash routes of one page): the fleet grid (products x facets, filters, summary counts, needs
attention first), a product (desired vs observed, explain, the next actions with verdicts and predicted
durations, the last journaled attempts with their logs, heal patches, run history, audit), approvals
(every held action, approve / reject with a comment), changes (cross-repo change proposals per product:
state, diff, the rule that denied or held them; an admin drops one: service/dashboard_changes.py),
swarm (signatures, templates, predictions, conflicts, flaky builds, slowdowns), runs, and the audit log
with its hash chain's verification.

Access (service/auth.py): reading is open on loopback without a tokens file, else it needs a viewer.
Approving and rejecting need an approver of the product's company (the constitution's approvers are
checked by the caller's name, as ``cmctl approve --as``); reconcile, suspend and resume need an admin.
A browser signs in with its token (``POST /ui/login``): an HttpOnly, SameSite=Strict cookie (Secure over
https) holds a random session id, never the token; every write from a session must carry the session's
CSRF token in ``X-CSRF-Token`` (read from ``GET /ui/session``, same-origin only). Tokens never appear in
URLs, pages or logs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from codemonkeys.api import ApiError, SelectorError
from codemonkeys.service.auth import COOKIE, Guard, Role
from codemonkeys.service.controller import Controller
from codemonkeys.service.dashboard_changes import add_change_routes
from codemonkeys.service.events import stream
from codemonkeys.vocab.plan import Verdict

STATIC = Path(__file__).parent / "static"
ASSETS = {"app.js": "text/javascript", "app.css": "text/css"}
LOG_TAIL = 20_000  # characters of a journaled log shown on a product page
KEPT_MEDIA = {".png": "image/png", ".jpg": "image/jpeg", ".webm": "video/webm", ".zip": "application/zip"}


class Login(BaseModel):
    """The sign-in form: a token."""

    token: str = Field(min_length=1, max_length=512)


class Approval(BaseModel):
    """An approval or rejection from the dashboard. Only the legacy API token, which names nobody, may
    declare who approves (like ``cmctl approve --as``); a named token approves as itself."""

    approver: str | None = Field(None, min_length=1, max_length=80)
    comment: str = Field("", max_length=2000)


def add_dashboard(app: FastAPI, ctl: Controller, guard: Guard) -> None:
    """Mount the dashboard page, its assets, its sign-in, its events and its JSON endpoints on ``app``."""
    _page_routes(app, ctl, guard)
    _data_routes(app, ctl)
    _swarm_routes(app, ctl)
    _approval_routes(app, ctl, guard)
    _admin_routes(app, ctl, guard)
    add_change_routes(app, ctl, guard)


def _page_routes(app: FastAPI, ctl: Controller, guard: Guard) -> None:
    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=_no_frames())

    @app.post("/ui/login")
    def login(body: Login, request: Request, response: Response) -> dict:
        who = guard.access.identify(body.token)
        if who is None:
            raise HTTPException(401, "wrong token")
        sid, csrf = guard.sessions.open(who)
        secure = request.url.scheme == "https"
        response.set_cookie(COOKIE, sid, httponly=True, samesite="strict", secure=secure, path="/")
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
            row["paused"] = row["name"] in ctl.paused
        runs = ctl.session.runs(limit=1)
        return {"products": rows, "last_run": runs[0] if runs else None}

    @app.get("/api/products/{name}/explain")
    def explain(name: str) -> dict:
        doc = _call(ctl.session.explain, name)
        predicted = {p["kind"]: p["predicted_s"] for p in _call(ctl.session.predictions, name)}
        for action in doc["next"]:
            action["predicted_s"] = predicted.get(action["id"].split("/")[1])
        doc["paused"] = name in ctl.paused
        return doc

    @app.get("/api/products/{name}/heal")
    def heal(name: str) -> list[dict]:
        return _call(ctl.session.heal_attempts, name)

    @app.get("/api/products/{name}/attempts")
    def attempts(name: str) -> list[dict]:
        """The last journaled attempt of each of the product's actions, newest first, with the tail of
        its (redacted) log and its kept files (a browser run's screenshots)."""
        if name not in ctl.desired.products:
            raise HTTPException(404, f"no product {name!r}")
        last: dict[str, object] = {}
        for rec in ctl.store.actions(product=name):
            last[rec.action_id] = rec
        out = []
        for rec in sorted(last.values(), key=lambda r: r.id, reverse=True):
            log = rec.log or ""
            out.append(
                {
                    "action": rec.action_id,
                    "run": rec.run_id,
                    "status": rec.status,
                    "message": rec.message,
                    "attempts": rec.attempts,
                    "finished_at": rec.finished_at.isoformat() if rec.finished_at else None,
                    "log": log[-LOG_TAIL:],
                    "truncated": len(log) > LOG_TAIL,
                    "artifacts": sorted((rec.outputs or {}).get("artifacts", {})),
                }
            )
        return out

    @app.get("/api/artifact")
    def artifact(action: str, run: int, name: str) -> FileResponse:
        """A file an action kept (a browser run's screenshot, video or trace), found through its journal
        entry only (never a path from the request), served if it is unchanged since (its SHA-256)."""
        rec = ctl.store.action_record(action, run)
        entry = ((rec.outputs or {}).get("artifacts", {}) if rec else {}).get(name)
        if entry is None:
            raise HTTPException(404, f"{action} kept no file {name!r} in run {run}")
        path = Path(entry["path"])
        media = KEPT_MEDIA.get(path.suffix.lower())
        if media is None or not path.is_file():
            raise HTTPException(404, f"{name} cannot be shown (gone, or not a picture, video or trace)")
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry.get("sha256"):
            raise HTTPException(409, f"{name} changed since {action} kept it")
        return FileResponse(path, media_type=media, headers={"Cache-Control": "no-store"})

    @app.get("/api/audit/verify")
    def verify() -> dict:
        check = ctl.session.verify_audit()
        return {
            "ok": check.ok,
            "records": check.records,
            "broken_at": check.broken_at,
            "reason": check.reason,
        }


def _swarm_routes(app: FastAPI, ctl: Controller) -> None:
    @app.get("/api/swarm")
    def swarm() -> dict:
        """What the fleet learned: top signatures, fix templates, conflicts, flaky builds, slowdowns, and
        predictions against actuals per product."""
        s = ctl.session
        predictions = {}
        for name in sorted(ctl.desired.products):
            rows = s.predictions(name)
            if rows:
                predictions[name] = rows
        return {
            "signatures": s.signatures(limit=20),
            "templates": s.templates(),
            "conflicts": s.conflicts(),
            "flaky": s.flaky(),
            "slowdowns": s.slowdowns(),
            "predictions": predictions,
        }


def _approval_routes(app: FastAPI, ctl: Controller, guard: Guard) -> None:
    @app.get("/api/approvals")
    def approvals() -> list[dict]:
        """Every held action of the fleet now (observes the fleet), with its rule, message, params and
        who may approve it, and the last approval or rejection on record."""
        plan = ctl.session.plan()
        audit = [
            r for r in ctl.session.audit(limit=500) if r["event"] in ("approval.given", "approval.rejected")
        ]
        out = []
        for a in plan.actions:
            if a.decision.verdict is not Verdict.HOLD:
                continue
            said = [r for r in audit if r.get("action_id") == a.id]
            out.append(
                {
                    "id": a.id,
                    "product": a.product,
                    "company": ctl.desired.products[a.product].metadata.company,
                    "kind": str(a.kind),
                    "reason": a.reason,
                    "params": a.params,
                    "rule": a.decision.rule,
                    "message": a.decision.message,
                    "approvers": sorted(ctl.session.approvers(a)),
                    "revision": ctl.desired.revision,
                    "fingerprint": plan.products[a.product].fingerprint,
                    "last": said[-1] if said else None,
                }
            )
        return out

    @app.post("/api/actions/{action_id:path}/approve")
    def approve(action_id: str, body: Approval, request: Request) -> dict:
        return _decide(ctl, guard, request, action_id, body, approve=True)

    @app.post("/api/actions/{action_id:path}/reject")
    def reject(action_id: str, body: Approval, request: Request) -> dict:
        return _decide(ctl, guard, request, action_id, body, approve=False)


def _decide(ctl: Controller, guard: Guard, request: Request, action_id: str, body: Approval, approve: bool):
    product = action_id.split("/", 1)[0]
    if product not in ctl.desired.products:
        raise HTTPException(404, f"no product {product!r}")
    who = guard.write(request, Role.approver, ctl.desired.products[product].metadata.company)
    legacy = who.name == "admin" and who.role is Role.admin and not who.companies
    name = body.approver if (legacy and body.approver) else who.name
    if approve:
        decision = _call(ctl.session.approve, action_id, name, body.comment)
        ctl.queue.add(product, f"approved by {name}")
    else:
        decision = _call(ctl.session.reject, action_id, name, body.comment)
    event = "approval.given" if approve else "approval.rejected"
    ctl.events.publish(event, product=product, action=action_id, by=name)
    return {"action": action_id, "verdict": str(decision.verdict), "message": decision.message, "by": name}


def _admin_routes(app: FastAPI, ctl: Controller, guard: Guard) -> None:
    def product_of(name: str, request: Request) -> str:
        if name not in ctl.desired.products:
            raise HTTPException(404, f"no product {name!r}")
        guard.write(request, Role.admin, ctl.desired.products[name].metadata.company)
        return name

    @app.post("/api/products/{name}/suspend")
    def suspend(name: str, request: Request) -> dict:
        """Stop reconciling ``name`` in this controller (until resumed or restarted; ``spec.suspend`` in
        the fleet repo is the lasting way). Audited."""
        product_of(name, request)
        ctl.paused.add(name)
        ctl.store.audit("controller.suspended", _caller(guard, request), {}, product=name)
        ctl.events.publish("product.suspended", product=name)
        return {"product": name, "paused": True}

    @app.post("/api/products/{name}/resume")
    def resume(name: str, request: Request) -> dict:
        """Reconcile ``name`` again (and now). Audited."""
        product_of(name, request)
        ctl.paused.discard(name)
        ctl.store.audit("controller.resumed", _caller(guard, request), {}, product=name)
        ctl.queue.add(name, "resumed")
        ctl.events.publish("product.resumed", product=name)
        return {"product": name, "paused": False}


def _caller(guard: Guard, request: Request) -> str:
    found, _ = guard.who(request)
    return found.name if found else "?"


def _call(fn, *args):
    """Call the library; its ``ApiError`` becomes a 404 (no such product) or a 409 (not possible now)."""
    try:
        return fn(*args)
    except ApiError as exc:
        raise HTTPException(
            404 if str(exc).startswith(("no product", "unknown product")) else 409, str(exc)
        ) from None
