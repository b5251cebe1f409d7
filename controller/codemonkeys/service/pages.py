"""The dashboard's pages, rendered on the server from Jinja2 templates (``templates/*.html``, autoescaped)
fed by the view functions the JSON API uses (service/views.py): the fleet grid (``/``, its filters GET
query parameters), a product (``/products/NAME``), approvals, changes, swarm, runs, a run
(``/runs/ID``), an action of a run (``/runs/ID/actions/ACTION``: its log with numbered lines, each a
permalink ``#L<n>``, searched with ``?q=``; the raw log at ``.../log.txt``, text/plain) and the audit log
(filtered and paged by GET parameters); the drill-down pages' data come from service/drill.py. Every page
works without JavaScript; ``static/app.js`` only keeps it live. Every product, run, action and audit
record a page names links to its own page, and the command-line hints of the library's messages
(``cmctl approve ID``, ``cmctl logs ID``) become links to the page that does the same here.

Writes are HTML forms: sign-in (``/ui/signin``, a token, never shown back), sign-out, approve / reject
(``/ui/decide``), drop a change (``/ui/drop``), reconcile / suspend / resume (``/ui/product``). Each but
sign-in carries the session's CSRF token in a hidden field and is authorized exactly like its JSON
endpoint (service/auth.py); it answers with a 303 redirect back to the page it came from (a local path
only) and a one-time notice kept for the session, or with an error page and the JSON endpoint's status
(401, 403, 404, 409) when refused, having changed nothing.

A request with the header ``X-Fragment: main`` gets only the page's main region (the template's ``main``
block): what ``app.js`` swaps in when a Server-Sent Event says something changed.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from starlette.concurrency import run_in_threadpool

from codemonkeys.service import drill, views
from codemonkeys.service.auth import COOKIE, Guard, Role
from codemonkeys.service.controller import Controller
from codemonkeys.service.dashboard import (
    Approval,
    company_of,
    decide,
    pause,
    request_reconcile,
    sign_in,
)
from codemonkeys.service.dashboard_changes import OPEN, drop_change

TEMPLATES = Path(__file__).parent / "templates"
FRAGMENT = "x-fragment"
HELD_HEADER = "X-Held-Count"  # a fragment's count of held actions (the navigation's, kept live by app.js)
LOGIN_COOKIE = "cm_login"  # the sign-in form's double-submit value (login CSRF)
PREVIEW_CSP = (  # a product's docs site: sandboxed (an opaque origin), its own scripts and styles allowed
    "sandbox allow-scripts allow-popups; default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'"
)
HEADERS = {  # the security headers (CSP, framing, referrer, nosniff) come with every answer: limits.py
    "Cache-Control": "no-store",
    "Vary": "X-Fragment, Cookie",
}


def when(iso: str | None) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM:SS`` (UTC as stored), ``-`` for none."""
    if not iso:
        return "-"
    return iso.replace("T", " ").split(".")[0].split("+")[0]


def seconds(s: float | None) -> str:
    """A duration for people: ``12.3 s``, ``4.5 min``, ``-``."""
    if s is None:
        return "-"
    return f"{s:.1f} s" if s < 60 else f"{s / 60:.1f} min"


def human(state: object) -> str:
    """A state for people (``in_sync`` -> ``in sync``)."""
    return str(state if state is not None else "none").replace("_", " ")


def environment() -> Environment:
    """The templates' environment: autoescaping on everywhere (a missing optional key renders empty)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True)
    env.filters.update(
        when=when,
        seconds=seconds,
        human=human,
        labels=views.labels_text,
        web=drill.weblinks,
        counts=drill.counts,
        counts_text=drill.counts_text,
        short=drill.short,
        progress=drill.progress,
        data_text=drill.data_text,
        wbr=drill.wbr,
    )
    env.globals["action_href"] = drill.action_href
    env.globals["m"] = env.get_template("macros.html").module  # badges, forms: also in a fragment
    return env


def local(path: str | None) -> str:
    """``path`` if it is a path of this site, else ``/``: a redirect or a link never leaves. A path of
    this site starts with one ``/`` (not ``//``: another host) and holds printable ASCII only: no control
    characters, whitespace or backslashes, which browsers strip or read as ``/`` (a tab or a backslash
    after the first ``/`` leads to another host)."""
    if not path or not path.startswith("/") or path.startswith("//"):
        return "/"
    if any(not ("!" <= c <= "~") or c == "\\" for c in path):
        return "/"
    return path


@dataclass(frozen=True)
class Notice:
    """The outcome of a form, for people: ``text``; when it tells of something still to happen (a
    reconcile queued), the ``product`` and the live event that ends it (``until``: app.js clears the
    notice when that event arrives for that product)."""

    text: str
    product: str = ""
    until: str = ""


class Notices:
    """One-time notices per session (the outcome of a form), shown on the next full page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_session: dict[str, Notice] = {}

    def put(self, sid: str, notice: Notice | str) -> None:
        """Keep ``notice`` for session ``sid``'s next page (replacing an unshown one)."""
        with self._lock:
            self._by_session[sid] = notice if isinstance(notice, Notice) else Notice(notice)

    def pop(self, sid: str | None) -> Notice | None:
        """The notice kept for ``sid``, once (None if there is none)."""
        with self._lock:
            return self._by_session.pop(sid or "", None)


class Pages:
    """Renders the pages of one controller (``add_pages`` mounts them)."""

    def __init__(self, ctl: Controller, guard: Guard) -> None:
        self.ctl, self.guard = ctl, guard
        self.env = environment()
        self.notices = Notices()

    def render(self, request: Request, template_name: str, status: int = 200, **data) -> HTMLResponse:
        """Template ``template_name`` with the caller's session (user, CSRF token), or only its ``main`` block
        for a fragment request."""
        sid = request.cookies.get(COOKIE)
        found = self.guard.sessions.get(sid)
        fragment = request.headers.get(FRAGMENT) == "main"
        # login CSRF: the sign-in form carries the value of a SameSite=Strict cookie, which a form posted
        # from another site does not send (so no one can sign a browser in with their own token)
        nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        notice = None if fragment or found is None else self.notices.pop(sid)
        if notice and notice.until == "reconcile.finished" and not queued(self.ctl, notice.product):
            notice = Notice(f"{notice.text}, and done")  # it ended before this page could hear of it
        context = {
            "user": found[0].public() if found else None,
            "csrf": found[1] if found else None,
            "login_nonce": nonce,
            "writable": self.guard.access.writable,
            "here": here,
            "section": template_name.removesuffix(".html"),
            "notice": notice,
            "held_count": self.held_count(request),
            **data,
        }
        # a page for a reader keeps itself live (app.js opens /events); the sign-in page does not
        context.setdefault("live", context["held_count"] is not None and template_name != "error.html")
        template = self.env.get_template(template_name)
        if fragment:
            html = "".join(template.blocks["main"](template.new_context(context)))
        else:
            html = template.render(context)
        response = HTMLResponse(html, status_code=status, headers=HEADERS)
        if context["held_count"] is not None:  # app.js updates the navigation's count from a fragment
            response.headers[HELD_HEADER] = str(context["held_count"])
        if found is None and request.cookies.get(LOGIN_COOKIE) != nonce:
            secure = request.url.scheme == "https"
            response.set_cookie(
                LOGIN_COOKIE, nonce, httponly=True, samesite="strict", secure=secure, path="/"
            )
        return response

    def held_count(self, request: Request) -> int | None:
        """The count of held actions on the Approvals link (the stored statuses, no observation); None
        for a caller who may not read."""
        try:
            self.guard.read(request)
        except HTTPException:
            return None
        return views.held_count(self.ctl)

    def page(self, request: Request, template_name: str, build: Callable[[], dict]) -> HTMLResponse:
        """A page for a reader: the sign-in page (401) when reading needs a token, an error page when
        the view refuses (its status), else template ``template_name`` over ``build()``."""
        try:
            self.guard.read(request)
        except HTTPException as exc:
            return self.render(request, "error.html", exc.status_code, title="Sign in", message=exc.detail)
        try:
            data = build()
        except HTTPException as exc:
            return self.render(request, "error.html", exc.status_code, title="Not shown", message=exc.detail)
        return self.render(request, template_name, **data)

    async def form(self, request: Request) -> dict[str, list[str]]:
        """The fields of an ``application/x-www-form-urlencoded`` body (its size is bounded before it is
        read: service/limits.py, 413 when too large)."""
        body = await request.body()
        return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=1000)

    async def write(
        self,
        request: Request,
        act: Callable[[dict[str, list[str]], str], str | Notice],
        refused: Callable[[HTTPException, dict[str, list[str]]], Response | None] | None = None,
    ) -> Response:
        """A form's write: ``act(fields, csrf) -> notice`` (text or a ``Notice``; it authorizes with the
        form's CSRF token and raises ``HTTPException`` when refused); a 303 back to the form's page, or
        the refusal's page: ``refused(exc, fields)`` (the form's page again, with the error and what was
        typed) or else the error page."""
        fields = await self.form(request)
        back = local(first(fields, "back"))
        try:  # in a worker thread, like the JSON endpoints: an approval plans, the event loop goes on
            text = await run_in_threadpool(act, fields, first(fields, "csrf"))
        except HTTPException as exc:
            again = await run_in_threadpool(refused, exc, fields) if refused else None
            if again is not None:
                return again
            return self.render(
                request, "error.html", exc.status_code, title="Refused", message=exc.detail, back=back
            )
        sid = request.cookies.get(COOKIE)
        if sid and self.guard.sessions.get(sid):
            self.notices.put(sid, text)
        return RedirectResponse(back, status_code=303)


def first(fields: dict[str, list[str]], name: str, default: str = "") -> str:
    """A form field's first value."""
    return (fields.get(name) or [default])[0]


def add_pages(app: FastAPI, ctl: Controller, guard: Guard) -> None:
    """Mount the pages and their forms on ``app``."""
    pages = Pages(ctl, guard)
    _read_pages(app, ctl, pages)
    _docs_pages(app, ctl, pages)
    _session_forms(app, guard, pages)
    _write_forms(app, ctl, guard, pages)


def _docs_pages(app: FastAPI, ctl: Controller, pages: Pages) -> None:
    @app.get("/docs/{name}", include_in_schema=False)
    def docs_root(name: str) -> Response:
        return RedirectResponse(f"/docs/{name}/", status_code=308)

    @app.get("/docs/{name}/{path:path}", include_in_schema=False)
    def docs_preview(request: Request, name: str, path: str = "") -> Response:
        """The product's newest docs site (what ``docs.build`` made), for whoever may read the pages. The
        site is the product's content: it is sandboxed (an opaque origin: its scripts run, but can read
        nothing of the dashboard's, nor send its cookies)."""
        try:
            pages.guard.read(request)
            views.known(ctl, name)
        except HTTPException as exc:
            return PlainTextResponse(f"{exc.detail}\n", exc.status_code, headers=HEADERS)
        found, folder = ctl.session.docs_page(name, path)
        if folder:
            return RedirectResponse(f"/docs/{name}/{path}/", status_code=308)
        if found is None:
            message = f"no page {path or 'index.html'} in the docs of {name}\n"
            return PlainTextResponse(message, 404, headers=HEADERS)
        return FileResponse(
            found, headers={"Content-Security-Policy": PREVIEW_CSP, "Cache-Control": "no-cache"}
        )


def _read_pages(app: FastAPI, ctl: Controller, pages: Pages) -> None:
    @app.get("/", include_in_schema=False)
    def grid(request: Request, state: str = "", company: str = "", label: str = "", text: str = ""):
        def build() -> dict:
            want = views.grid_filter(state, company, label, text)
            doc = views.fleet(ctl)
            return {"grid": views.grid(doc["products"], want), "last_run": doc["last_run"]}

        return pages.page(request, "grid.html", build)

    @app.get("/products/{name}", include_in_schema=False)
    def product(request: Request, name: str):
        def build() -> dict:
            views.known(ctl, name)
            rows = views.fleet(ctl, [name])["products"]
            return {
                "name": name,
                "doc": views.explain(ctl, name),
                "row": rows[0] if rows else {},
                "queued": queued(ctl, name),
                "docs": ctl.session.docs_links(name),
                "heal": views.heal(ctl, name),
                "attempts": views.attempts(ctl, name),
                "runs": ctl.session.runs(limit=10),
                "audit": list(reversed(ctl.session.audit(product=name, limit=30))),
            }

        return pages.page(request, "product.html", build)

    @app.get("/approvals", include_in_schema=False)
    def approvals(request: Request, product: str = ""):
        return pages.page(
            request, "approvals.html", lambda: approvals_page(ctl, pages.guard, request, product)
        )

    @app.get("/changes", include_in_schema=False)
    def changes(request: Request):
        def build() -> dict:
            grouped: dict[str, list[dict]] = {}
            for row in views.changes(ctl):
                grouped.setdefault(row["change"], []).append(row)
            return {"changes": grouped, "open": OPEN}

        return pages.page(request, "changes.html", build)

    @app.get("/swarm", include_in_schema=False)
    def swarm(request: Request):
        return pages.page(request, "swarm.html", lambda: {"tables": swarm_tables(views.swarm(ctl))})

    @app.get("/signin", include_in_schema=False)
    def signin_page(request: Request, back: str = "/"):
        """The sign-in form on a page of its own (the header's is folded away on a phone)."""
        return pages.render(request, "signin.html", back=local(back), here=local(back), live=False)

    _run_pages(app, ctl, pages)

    @app.get("/audit", include_in_schema=False)
    def audit(
        request: Request,
        product: str = "",
        actor: str = "",
        kind: str = "",
        run: str = "",
        page: str = "",
        per: str = "",
        since: str = Query("", alias="from"),
        until: str = Query("", alias="to"),
    ):
        def build() -> dict:
            want = drill.audit_filter(product, actor, kind, run, since, until, page, per)
            return {"check": views.verify(ctl), **drill.audit_page(ctl, want)}

        return pages.page(request, "audit.html", build)


def _run_pages(app: FastAPI, ctl: Controller, pages: Pages) -> None:
    @app.get("/runs", include_in_schema=False)
    def runs(request: Request):
        return pages.page(request, "runs.html", lambda: {"runs": ctl.session.runs(limit=100)})

    @app.get("/runs/{run_id}", include_in_schema=False)
    def run(request: Request, run_id: str):
        return pages.page(request, "run.html", lambda: drill.run_page(ctl, drill.run_id_of(run_id)))

    @app.get("/runs/{run_id}/actions/{action_id:path}/log.txt", include_in_schema=False)
    def raw_log(request: Request, run_id: str, action_id: str) -> Response:
        """The action's whole log as journaled (redacted), as text/plain, for whoever may read the pages."""
        try:
            pages.guard.read(request)
            text = drill.raw_log(ctl, drill.run_id_of(run_id), action_id)
        except HTTPException as exc:
            return PlainTextResponse(f"{exc.detail}\n", exc.status_code, headers=HEADERS)
        return PlainTextResponse(text, headers={**HEADERS, "Content-Disposition": "inline"})

    @app.get("/runs/{run_id}/actions/{action_id:path}", include_in_schema=False)
    def action(request: Request, run_id: str, action_id: str, q: str = "") -> Response:
        if run_id == "latest":  # the newest run that journaled the action (a log hint's link)
            try:
                pages.guard.read(request)
                number = drill.latest_run_of(ctl, action_id)
            except HTTPException as exc:
                return pages.render(
                    request, "error.html", exc.status_code, title="Not shown", message=exc.detail
                )
            return RedirectResponse(drill.action_href(number, action_id), status_code=303)
        return pages.page(
            request, "action.html", lambda: drill.action_page(ctl, drill.run_id_of(run_id), action_id, q)
        )


def queued(ctl: Controller, name: str) -> bool:
    """Whether a reconcile of ``name`` is queued or running now (the controller's queue)."""
    try:
        return name in ctl.queue.dependencies_busy([name])
    except Exception:  # a queue in the database that cannot be read now: say nothing rather than fail
        return False


def approvals_page(ctl: Controller, guard: Guard, request: Request, product: str = "") -> dict:
    """The approvals page's data: the held actions (of ``product`` if given), the newest run that
    journaled each, and the ids of those the caller may decide (``views.may_decide``: only they get
    Approve / Reject)."""
    products = [views.known(ctl, product)] if product else None
    held = views.approvals(ctl, products)
    who, _ = guard.who(request)
    decides = {a["id"] for a in held if guard.access.writable and views.may_decide(who, a)}
    journaled = {a["id"]: rec.run_id for a in held if (rec := ctl.store.action_record(a["id"])) is not None}
    return {
        "held": held,
        "journaled": journaled,  # action -> the newest run that journaled it (blocked: held)
        "decides": decides,
        "product": product,
        "speaks_for_anyone": bool(who and views.speaks_for_anyone(who)),
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f} %"


def _signature_rows(s: dict) -> list[list]:
    def fixed_by(g: dict) -> str:
        fixes = [f"template {t['id']}" for t in g["fixed_by"]["templates"]]
        return ", ".join(fixes + [f"heal {h['product']}" for h in g["fixed_by"]["heals"]])

    return [
        [g["summary"], g["kind"], g["builds"], ", ".join(g["products"]), when(g["last_seen"]), fixed_by(g)]
        for g in s["signatures"]
    ]


def _template_rows(s: dict) -> list[list]:
    return [
        [
            t["id"],
            t["description"],
            f"{t['origin']['kind']} {t['origin'].get('product') or ''}",
            t["successes"],
            t["failures"],
        ]
        for t in s["templates"]
    ]


def _prediction_rows(s: dict) -> list[list]:
    return [
        [
            p,
            r["kind"],
            seconds(r["predicted_s"]),
            r["runs"],
            r["backtested"],
            _pct(r["mdape"]),
            _pct(r["jenkins_mdape"]),
        ]
        for p, rows in s["predictions"].items()
        for r in rows
    ]


def swarm_tables(s: dict) -> list[tuple[str, list[str], list[list]]]:
    """The swarm view as tables for people: (caption, head, rows)."""
    return [
        (
            "Top failure signatures",
            ["Signature", "Kind", "Builds", "Products", "Last seen", "Fixed by"],
            _signature_rows(s),
        ),
        (
            "Fix templates and their record",
            ["Id", "Description", "Origin", "Successes", "Failures"],
            _template_rows(s),
        ),
        (
            "Predictions vs actuals",
            [
                "Product",
                "Kind",
                "Predicted",
                "Runs",
                "Backtested",
                "Error (ours)",
                "Error (Jenkins' mean of 3)",
            ],
            _prediction_rows(s),
        ),
        (
            "Dependency conflicts",
            ["Product", "Tool", "Package", "Involved", "At"],
            [
                [c["product"], c["tool"], c["package"], ", ".join(c["involved"]), when(c["at"])]
                for c in s["conflicts"]
            ],
        ),
        (
            "Flaky builds",
            ["Product", "Signature", "Flaked", "Last seen"],
            [[f["product"], f["summary"], f["flaked"], when(f["last_seen"])] for f in s["flaky"]],
        ),
        (
            "Getting slower",
            ["Product", "Kind", "From", "To", "p"],
            [
                [x["product"], x["kind"], seconds(x["from_s"]), seconds(x["to_s"]), x["p"]]
                for x in s["slowdowns"]
            ],
        ),
    ]


def _session_forms(app: FastAPI, guard: Guard, pages: Pages) -> None:
    @app.post("/ui/signin", include_in_schema=False)
    async def signin(request: Request) -> Response:
        fields = await pages.form(request)
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not nonce or not hmac.compare_digest(nonce.encode(), first(fields, "login").encode()):
            return pages.render(
                request,
                "error.html",
                403,
                title="Sign in",
                message="sign in from this site's page",
                here=local(first(fields, "back")),
            )
        who = guard.access.identify(first(fields, "token"))
        if who is None:
            return pages.render(
                request,
                "error.html",
                401,
                title="Sign in",
                message="wrong token",
                here=local(first(fields, "back")),
            )
        response = RedirectResponse(local(first(fields, "back")), status_code=303)
        sign_in(guard, who, request, response)
        return response

    @app.post("/ui/signout", include_in_schema=False)
    async def signout(request: Request) -> Response:
        def act(_fields, csrf: str) -> str:
            found = guard.sessions.get(request.cookies.get(COOKIE))
            if found is None or not hmac.compare_digest(csrf.encode(), found[1].encode()):
                raise HTTPException(403, "missing or wrong CSRF token")
            guard.sessions.close(request.cookies.get(COOKIE))
            return "signed out"

        response = await pages.write(request, act)
        if response.status_code == 303:
            response.delete_cookie(COOKIE, path="/")
        return response


def _write_forms(app: FastAPI, ctl: Controller, guard: Guard, pages: Pages) -> None:
    @app.post("/ui/decide", include_in_schema=False)
    async def decide_form(request: Request) -> Response:
        def act(fields, csrf: str) -> str:
            action, verdict = first(fields, "action"), first(fields, "verdict")
            if verdict not in ("approve", "reject"):
                raise HTTPException(400, "verdict must be approve or reject")
            who = guard.write(request, Role.approver, company_of(ctl, action), csrf=csrf)
            body = Approval(
                approver=first(fields, "approver")[:80] or None, comment=first(fields, "comment")[:2000]
            )
            doc = decide(ctl, who, action, body, approve=verdict == "approve")
            said = "approved" if verdict == "approve" else "rejected"
            return f"{action}: {said} by {doc['by']}: now {doc['verdict']}"

        def refused(exc: HTTPException, fields) -> Response | None:
            back = local(first(fields, "back"))
            if urlsplit(back).path != "/approvals":
                return None
            product = (parse_qs(urlsplit(back).query).get("product") or [""])[0]
            typed = {"action": first(fields, "action"), "message": exc.detail}
            typed |= {"comment": first(fields, "comment")[:2000], "approver": first(fields, "approver")[:80]}
            try:
                data = approvals_page(ctl, guard, request, product)
            except HTTPException:
                return None
            return pages.render(request, "approvals.html", exc.status_code, here=back, refused=typed, **data)

        return await pages.write(request, act, refused)

    @app.post("/ui/drop", include_in_schema=False)
    async def drop_form(request: Request) -> Response:
        def act(fields, csrf: str) -> str:
            change = first(fields, "change")

            def authorize(company):
                return guard.write(request, Role.admin, company, csrf=csrf)

            doc = drop_change(ctl, authorize, change, fields.get("products", []))
            return f"change {change} dropped by {doc['by']} for {', '.join(doc['dropped'])}"

        return await pages.write(request, act)

    @app.post("/ui/product", include_in_schema=False)
    async def product_form(request: Request) -> Response:
        def act(fields, csrf: str) -> str:
            name, do = views.known(ctl, first(fields, "product")), first(fields, "do")
            if do not in ("reconcile", "suspend", "resume"):
                raise HTTPException(400, "do must be reconcile, suspend or resume")
            who = guard.write(request, Role.admin, ctl.desired.products[name].metadata.company, csrf=csrf)
            if do == "reconcile":
                request_reconcile(ctl, who, name)
                return Notice(f"{name}: reconcile queued by {who.name}", name, "reconcile.finished")
            pause(ctl, who, name, paused=do == "suspend")
            return f"{name}: {'suspended' if do == 'suspend' else 'resumed'} by {who.name}"

        return await pages.write(request, act)
