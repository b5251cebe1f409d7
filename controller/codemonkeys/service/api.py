"""The controller's HTTP API (FastAPI), bound to 127.0.0.1 by default.

Access by role (service/auth.py): read endpoints (``/api/...``, ``/events``) are open without a tokens
file (the controller then listens on loopback only) and need a viewer with one; reconcile needs an admin
(``Authorization: Bearer <token>`` or a dashboard session with its CSRF header). The git webhook is
authenticated by its HMAC-SHA256 signature, the Jenkins notification endpoint by an admin token (as a
bearer header or ``?token=``). ``/healthz``, ``/readyz`` and ``/metrics`` stay open. The OpenAPI schema
is at /openapi.json; no interactive docs are served (Swagger UI and ReDoc would load from a CDN).

Every request's body is bounded before any route reads it, and every answer carries the security
headers (service/limits.py).
"""

from __future__ import annotations

import asyncio
import time

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from codemonkeys.service.auth import Access, Guard, Principal, Role, Sessions
from codemonkeys.service.controller import Controller
from codemonkeys.service.dashboard import add_dashboard, request_reconcile
from codemonkeys.service.limits import BodyLimits, Guarded
from codemonkeys.service.pages import add_pages
from codemonkeys.service.search import add_search
from codemonkeys.service.webhooks import (
    EventKind,
    WebhookError,
    parse_forge_event,
    parse_jenkins_notification,
    products_for,
    same_repo,
    verify_forge,
)

READ_PREFIXES = ("/api/", "/events")


def product_doc(ctl: Controller, name: str) -> dict:
    """A product's status document with the controller's own view (backoff failures, last reconcile)."""
    if name not in ctl.desired.products:
        raise HTTPException(404, f"no product {name!r}")
    state = ctl.products.get(name)
    doc = ctl.session.product_status(name)
    return {**doc, "failures": ctl.queue.failures(name), "last_reconcile": state.__dict__ if state else None}


def create_app(ctl: Controller, access: Access | None = None, limits: BodyLimits | None = None) -> FastAPI:
    """The controller's HTTP API: health, metrics, products, runs, audit, reconcile, webhooks, dashboard.
    ``access`` names the callers (default: the controller's API token as the one admin); ``limits`` bound
    request bodies (default: ``BodyLimits()``)."""
    app = FastAPI(
        title="Code Monkeys controller", version="1", description=__doc__, docs_url=None, redoc_url=None
    )
    if access is None:
        access = Access(
            [(ctl.config.api_token, Principal("admin", Role.admin))] if ctl.config.api_token else []
        )
    guard = Guard(access, Sessions(time.monotonic))

    @app.middleware("http")
    async def readers_only(request: Request, call_next):
        if request.method in ("GET", "HEAD") and request.url.path.startswith(READ_PREFIXES):
            try:
                guard.read(request)
            except HTTPException as exc:
                return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return await call_next(request)

    app.add_middleware(Guarded, limits=limits or BodyLimits())  # outermost: before any route or check
    _read_routes(app, ctl)
    _write_routes(app, ctl, guard)
    _hook_routes(app, ctl, guard)
    add_dashboard(app, ctl, guard)
    add_pages(app, ctl, guard)
    add_search(app, ctl)
    return app


def _read_routes(app: FastAPI, ctl: Controller) -> None:
    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    @app.get("/readyz")
    def readyz(response: Response) -> dict:
        if not ctl.ready.is_set() or ctl.stop.is_set():
            response.status_code = 503
            return {"ready": False}
        return {"ready": True, "revision": ctl.desired.revision}

    @app.get("/metrics")
    def metrics() -> Response:
        ctl.metrics.queue_depth.set(ctl.queue.depth())
        return Response(ctl.metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/api/products")
    def products() -> list[dict]:
        return [product_doc(ctl, name) for name in sorted(ctl.desired.products)]

    @app.get("/api/products/{name}")
    def product(name: str) -> dict:
        return product_doc(ctl, name)

    @app.get("/api/runs")
    def runs(limit: int = Query(20, ge=1, le=500)) -> list[dict]:
        return ctl.session.runs(limit=limit)

    @app.get("/api/audit")
    def audit(product: str | None = None, limit: int = Query(100, ge=1, le=5000)) -> list[dict]:
        return ctl.session.audit(product=product, limit=limit)


def _write_routes(app: FastAPI, ctl: Controller, guard: Guard) -> None:
    @app.post("/api/products/{name}/reconcile", status_code=202)
    def reconcile(name: str, request: Request) -> dict:
        product = ctl.desired.products.get(name)
        who = guard.write(request, Role.admin, product.metadata.company if product else None)
        if product is None:
            raise HTTPException(404, f"no product {name!r}")
        return request_reconcile(ctl, who, name, source="api")


def _hook_routes(app: FastAPI, ctl: Controller, guard: Guard) -> None:
    @app.post("/hooks/git", status_code=202)
    async def git_hook(request: Request) -> dict:
        body = await request.body()
        try:
            forge = verify_forge(ctl.config.webhook_secret or "", body, request.headers)
            event = parse_forge_event(body, request.headers)
        except WebhookError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        if event is None:  # a ping, an issue comment: verified, and nothing to do
            return {"queued": [], "fleet": False, "forge": forge}
        if event.kind is EventKind.PULL_REQUEST:
            names = products_for(ctl.desired, event)
            reason = f"{forge} {event.extra.get('event', 'pull request')}"
            await asyncio.to_thread(lambda: [ctl.event(name, reason) for name in names])
            remote = ctl.config.remote
            fleet = remote is not None and any(same_repo(remote.url, r) for r in event.repos)
            planned = fleet and ctl.plan_pull(event.extra)  # the plan comment, in the background
            return {
                "queued": names,
                "fleet": fleet,
                "forge": forge,
                **({"plan": "queued"} if planned else {}),
            }
        remote = ctl.config.remote
        fleet = remote is not None and any(same_repo(remote.url, r) for r in event.repos)
        if fleet and event.branch == remote.branch:
            ctl.fleet_pushed.set()  # fetched and reloaded by the timer loop within half a second
        names = products_for(ctl.desired, event)
        reason = f"git push {event.commit or ''}".strip()
        await asyncio.to_thread(lambda: [ctl.event(name, reason) for name in names])  # off the event loop
        return {"queued": names, "fleet": fleet}

    @app.post("/hooks/jenkins", status_code=202)
    async def jenkins_hook(request: Request, token: str | None = None) -> dict:
        guard.write(request, Role.admin, query_token=token)
        try:
            event = parse_jenkins_notification(await request.body())
        except WebhookError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        names = products_for(ctl.desired, event) if event.phase in ("COMPLETED", "FINALIZED") else []
        reason = f"jenkins {event.job} {event.phase}"
        await asyncio.to_thread(lambda: [ctl.event(name, reason) for name in names])
        return {"queued": names}
