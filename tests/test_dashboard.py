"""The dashboard of a real controller (`cmctl controller run --tokens FILE`) over the demo fleet
(`cmctl demo init`), made to hold a release and fail a build by two small commits:

* the fleet repo: acme-text's release.cut is held for the group ``release-managers`` (ann, an approver
  of acme); acme-cli and acme-web are suspended (``spec.suspend``: observed, never acted on), which
  spares the controller's startup acme-cli's real build and acme-web's deploys (~2 min here);
* globex-widgets: a commit adds a test that fails, so its build is red.

First over HTTP (httpx): the server-rendered pages and the JSON API behind them with their roles (viewer,
approver scoped to a company, admin; bearer tokens, or a session cookie with its CSRF token as a form
field or a header), autoescaping, no token in any page or log, no command-line hint where a link
belongs, an admin dropping a change by its form. The drill-down pages: a run lists its journaled
actions, each linking to its page; the red build's page numbers its log's lines (each a link to
itself), ``?q=`` keeps the matching lines, its raw log is the stored log as text/plain; the audit log
filtered by product, actor and kind and paged (previous / next keep the filters); an unknown run is a 404.
Then Debian's Chromium (Playwright): the grid shows every demo product and facet with its state, the
filters (GET query parameters) narrow it, the product page shows the failing build's log, a log line's
permalink (``#L3``) targets its line, a viewer gets no Approve button, an approver's approval from the
approvals page is applied by the controller, and another open page learns of it by Server-Sent Events
and swaps in the new grid without a reload, keeping focus and what was typed. At a phone's 390 x 844
no page scrolls sideways (nothing wider than the screen but inside its own scrolling box), the header is
one line, the grid shows name, state and version first, the sign-in page opens no live stream, and an
admin's "reconcile queued" notice goes when the reconcile ends.

``CM_DASHBOARD_SHOTS=docs/screenshots`` keeps the screenshots (the README's pictures)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
import yaml

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.demo import Workspace
from codemonkeys.engine.changes import Replace
from codemonkeys.repos import run as git
from conftest import workspace_copy
from need import need_module, need_program
from test_e2e_controller import TOKEN, free_port, wait_for
from test_e2e_engine import commit

pytestmark = pytest.mark.slow

VIEWER, ANN, GUS = "viewer-token-0123456789", "ann-token-0123456789ab", "gus-token-0123456789ab"
ADA = "ada-token-from-a-secret-0123"  # resolved through tokenRef (CMCTL_SECRET_ADA_TOKEN)
SECRETS = (TOKEN, VIEWER, ANN, GUS, ADA)
HELD = "acme-text/release.cut"
RULE = "acme-text-releases-need-a-release-manager"
RED = "globex-widgets"
RED_TEST = "# fail 1"  # node --test's count of failing tests, in the build's log
SETTLED = {  # the grid's state of each demo product once the startup reconciles are done
    "acme-cli": "suspended",
    "acme-report": "drifting",
    "acme-text": "held",  # its release.cut waits for ann's approval
    "acme-web": "suspended",
    "globex-hash": "in_sync",
    RED: "stuck",  # red, no heal: a person must act
}


TIMEOUT = 120.0  # a page that observes (a product, approvals: the fleet) on a loaded machine
get, post, stream = (partial(f, timeout=TIMEOUT) for f in (httpx.get, httpx.post, httpx.stream))


class Controller:
    def __init__(self, proc, url: str, log: Path, ws: Workspace):
        self.proc, self.url, self.log, self.ws = proc, url, log, ws

    def fleet(self) -> dict[str, dict]:
        doc = get(f"{self.url}/api/fleet", headers=bearer(VIEWER)).json()
        return {p["name"]: p for p in doc["products"]}

    def states(self) -> dict[str, str]:
        """Each product's state as the grid page shows it."""
        page = get(f"{self.url}/", headers=bearer(VIEWER)).text
        return dict(re.findall(r'<tr data-product="([^"]+)" data-state="([^"]+)">', page))

    def settled(self) -> bool:
        """Every product reconciled since the start, nothing queued, and the grid as SETTLED says."""
        queued = re.search(r"^codemonkeys_queue_depth (\S+)$", get(f"{self.url}/metrics").text, re.M)
        done = all(p["last_reconcile"] for p in self.fleet().values())
        return done and queued is not None and float(queued[1]) == 0 and self.states() == SETTLED

    def reconciles(self, product: str) -> int:
        """How many reconciles of ``product`` the controller logged."""
        return self.log.read_text().count(f'"event": "reconcile", "product": "{product}"')


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def write_tokens(root: Path) -> Path:
    entries = [
        {"name": "vic", "role": "viewer", "token": VIEWER},
        {"name": "ann", "role": "approver", "token": ANN, "companies": ["acme"]},
        {"name": "gus", "role": "approver", "token": GUS, "companies": ["globex"]},
        {"name": "ada", "role": "admin", "tokenRef": "ada-token"},
    ]
    path = root / "tokens.yaml"
    path.write_text(yaml.safe_dump(entries))
    return path


def hold_a_release_and_break_a_build(ws: Workspace) -> None:
    """The two small commits of the module docstring (the demo fleet as users would change it)."""
    fleet = ws.fleet
    constitution = fleet / "constitution.yaml"
    text = constitution.read_text().replace(
        "maintainers: [owner]", "maintainers: [owner]\n    release-managers: [ann]"
    )
    text += (
        f"\n    - id: {RULE}\n"
        "      match: {actions: [release.cut], products: [acme-text]}\n"
        "      hold: {approvals: 1, approvers: [release-managers]}\n"
    )
    changes = {"constitution.yaml": text}
    for rel, name in (
        ("products/acme/acme-web.yaml", "acme-web"),
        ("products/acme/acme-report.yaml", "acme-cli"),
    ):
        doc = (fleet / rel).read_text()
        head = f"  name: {name}\n"
        at = doc.index("spec:\n", doc.index(head)) + len("spec:\n")
        changes[rel] = doc[:at] + "  suspend: true\n" + doc[at:]
    commit(fleet, changes, "hold acme-text's releases for a release manager; suspend acme-cli and acme-web")
    failing = "import test from 'node:test';\nimport assert from 'node:assert';\n"
    failing += "test('broken', () => assert.equal(1, 2));\n"
    commit(ws.repos / RED, {"test/broken.test.js": failing}, "feat: a widget whose test fails")


@pytest.fixture(scope="module")
def controller(demo_template: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Controller]:
    root = tmp_path_factory.mktemp("dashboard")
    with workspace_copy(demo_template, root / "ws") as ws:
        hold_a_release_and_break_a_build(ws)
        log = root / "controller.log"
        url = f"http://127.0.0.1:{free_port()}"
        env = {**os.environ, "CMCTL_API_TOKEN": TOKEN, "CMCTL_SECRET_ADA_TOKEN": ADA, "NO_COLOR": "1"}
        argv = [sys.executable, "-m", "codemonkeys", "controller", "run", "--fleet", str(ws.fleet)]
        argv += ["--listen", url.removeprefix("http://"), "--interval", "10m", "--log-json"]
        argv += ["--tokens", str(write_tokens(root))]
        proc = subprocess.Popen(argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
        ctl = Controller(proc, url, log, ws)
        try:  # the startup reconciles: globex-hash released, acme-text held, globex-widgets red
            wait_for(lambda: get(f"{url}/readyz").status_code == 200, 30, proc, log)
            wait_for(ctl.settled, 240, proc, log)
            yield ctl
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


ORDER = [RED, "acme-text", "acme-report", "acme-cli", "acme-web", "globex-hash"]  # needs attention first
FACETS = ("build", "docs", "release", "infra", "deploy", "announce")


def grid_rows(url: str, **params: str) -> list[str]:
    page = get(url + "/", params=params, headers=bearer(VIEWER))
    assert page.status_code == 200, page.text
    return re.findall(r'<tr data-product="([^"]+)"', page.text)


def login_nonce(client: httpx.Client) -> str:
    """The sign-in form's login-CSRF value (its cookie now set on ``client``), as a browser gets both."""
    page = client.get("/")
    found = re.search(r'name="login" value="([^"]+)"', page.text)
    assert found is not None and client.cookies.get("cm_login") == found[1], page.text[:300]
    return found[1]


def signed_in(url: str, token: str) -> tuple[httpx.Client, str]:
    """A browser-like client signed in through the page's form, and its session's CSRF token."""
    client = httpx.Client(base_url=url, timeout=TIMEOUT)
    r = client.post(
        "/ui/signin", data={"token": token, "back": "/approvals?x=1", "login": login_nonce(client)}
    )
    assert r.status_code == 303 and r.headers["location"] == "/approvals?x=1", r.text
    cookie = r.headers["set-cookie"].lower()
    assert token.lower() not in cookie and "httponly" in cookie and "samesite=strict" in cookie
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/runs").text)
    assert csrf is not None
    return client, csrf[1]


def test_pages_forms_and_the_api_behind_them(controller: Controller, tmp_path: Path):
    url = controller.url
    # a held release.cut with an allowed publish after it: the controller does not spin on it
    assert controller.reconciles("acme-text") <= 3

    # every page is rendered here, from this server's assets only, and shows no token
    signin = get(url + "/")
    assert signin.status_code == 401 and 'action="/ui/signin"' in signin.text
    red_run = controller.fleet()[RED]["last_failure"]["run"]
    for path in (
        "/",
        "/products/acme-text",
        f"/products/{RED}",
        "/approvals",
        "/changes",
        "/swarm",
        "/runs",
        f"/runs/{red_run}",
        f"/runs/{red_run}/actions/{RED}/build.run",
        "/audit",
        "/signin",
    ):
        page = get(url + path, headers=bearer(VIEWER))
        assert page.status_code == 200, (path, page.text[-2000:])
        # no CDN: nothing loaded or linked from elsewhere (a build log shown may name URLs: npm's notices)
        assert not re.search(r'(?:src|href|action)="(?:https?:)?//', page.text), path
        assert page.headers["x-frame-options"] == "DENY"
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert not any(t in page.text for t in SECRETS), path
        assert "cmctl approve" not in page.text and "cmctl logs" not in page.text, path
    assert get(url + "/products/nobody", headers=bearer(VIEWER)).status_code == 404
    assert get(url + "/ui/app.js").status_code == 200
    assert get(url + "/ui/../api.py").status_code == 404
    fragment = get(url + "/approvals", headers={**bearer(VIEWER), "X-Fragment": "main"}).text
    assert (
        fragment.lstrip().startswith('<h1 id="a-title">') and "<header>" not in fragment and HELD in fragment
    )

    # the grid's filters are GET parameters
    assert grid_rows(url) == ORDER
    assert grid_rows(url, company="globex") == [RED, "globex-hash"]
    assert grid_rows(url, label="tier=app") == ["acme-cli", "acme-web"]
    assert grid_rows(url, state="drifting", company="acme") == ["acme-report"]
    assert grid_rows(url, state="held") == ["acme-text"]
    assert grid_rows(url, text="RUST") == ["globex-hash"]
    assert grid_rows(url, text="<nobody>") == []

    # the JSON API behind the pages, with its roles (unchanged)
    assert get(url + "/api/fleet").status_code == 401
    assert get(url + "/api/fleet", headers=bearer("nope")).status_code == 401
    with stream("GET", url + "/events") as r:
        assert r.status_code == 401
    rows = controller.fleet()
    assert rows[RED]["facets"] == {"build": "failed", "docs": "blocked", "release": "blocked"}
    assert rows["globex-hash"]["version"] == "0.1.1" and rows["acme-web"]["labels"] == {"tier": "app"}
    selected = get(url + "/api/fleet", params={"select": "company=globex"}, headers=bearer(VIEWER))
    assert [p["name"] for p in selected.json()["products"]] == ["globex-hash", RED]
    held = get(url + "/api/approvals", headers=bearer(VIEWER)).json()
    assert [(a["id"], a["rule"], a["approvers"], a["company"]) for a in held] == [
        (HELD, RULE, ["ann"], "acme")
    ]
    attempts = get(f"{url}/api/products/{RED}/attempts", headers=bearer(VIEWER)).json()
    build = next(a for a in attempts if a["action"] == f"{RED}/build.run")
    assert build["status"] == "failed" and RED_TEST in build["log"] and "not ok" in build["log"]
    approve, reject = f"{url}/api/actions/{HELD}/approve", f"{url}/api/actions/{HELD}/reject"
    assert post(approve, json={}).status_code == 401
    assert post(approve, json={}, headers=bearer(VIEWER)).status_code == 403
    scoped = post(approve, json={}, headers=bearer(GUS))
    assert scoped.status_code == 403 and "acme" in scoped.text  # an approver of another company
    refused = post(reject, json={"approver": "eve", "comment": "x"}, headers=bearer(TOKEN))
    assert refused.status_code == 409 and "'eve' may not" in refused.text  # the constitution's approvers
    reconcile = f"{url}/api/products/globex-hash/reconcile"
    assert post(reconcile, headers=bearer(ANN)).status_code == 403
    assert post(reconcile, headers=bearer(ADA)).status_code == 202

    # forms: a session cookie and the session's CSRF token as a hidden field; a refusal changes nothing
    vic, vic_csrf = signed_in(url, VIEWER)
    ann, ann_csrf = signed_in(url, ANN)
    gus, gus_csrf = signed_in(url, GUS)
    with httpx.Client(base_url=url, timeout=TIMEOUT) as stranger:
        assert (
            stranger.post("/ui/signin", data={"token": "wrong", "login": login_nonce(stranger)}).status_code
            == 401
        )
    # login CSRF: a sign-in posted from another site carries no login cookie (SameSite=Strict): refused
    forged = httpx.post(url + "/ui/signin", data={"token": ANN, "login": "guessed"}, timeout=TIMEOUT)
    assert forged.status_code == 403 and "cm_session" not in forged.headers.get("set-cookie", "")
    form = {
        "action": HELD,
        "verdict": "reject",
        "comment": "<script>alert(1)</script> not yet",
        "back": "/approvals",
    }
    assert vic.post("/ui/decide", data={**form, "csrf": vic_csrf}).status_code == 403  # a viewer
    denied = gus.post("/ui/decide", data={**form, "csrf": gus_csrf})
    assert denied.status_code == 403 and "may not act for company acme" in denied.text
    assert ann.post("/ui/decide", data=form).status_code == 403  # no CSRF field
    assert (
        ann.post("/ui/decide", data=form, headers={"X-CSRF-Token": ann_csrf}).status_code == 403
    )  # a form's own
    assert ann.post("/ui/decide", data={**form, "csrf": vic_csrf}).status_code == 403  # another session's
    assert not [r for r in controller_audit(url, "acme-text") if r["event"].startswith("approval.")]
    done = ann.post("/ui/decide", data={**form, "csrf": ann_csrf, "back": "https://evil.example/x"})
    assert done.status_code == 303 and done.headers["location"] == "/"  # a redirect never leaves the site
    page = ann.get("/approvals").text
    assert f"{HELD}: rejected by ann: now hold" in page  # the notice, once
    assert "&lt;script&gt;alert(1)&lt;/script&gt; not yet" in page and "<script>alert" not in page  # escaped
    assert 'id="notice"' not in ann.get("/approvals").text
    said = [r for r in controller_audit(url, "acme-text") if r["event"] == "approval.rejected"]
    assert (
        [r["actor"] for r in said] == ["ann"]
        and said[0]["data"]["fingerprint"]
        and said[0]["data"]["revision"]
    )
    again = {**form, "csrf": ann_csrf, "comment": "after the docs review"}  # the approvals page's last word
    assert ann.post("/ui/decide", data=again).headers["location"] == "/approvals"

    # an admin: suspend and resume a product, drop a change (each form CSRF-checked)
    fs = FleetSession.open(controller.ws.fleet, Context(env={}, home_dir=tmp_path / "home"))
    change = fs.propose_change(
        ["globex-hash"], Replace("Small, fast", "Small and fast", ("README.md",))
    ).change
    ada, ada_csrf = signed_in(url, ADA)
    drop = {"change": change, "products": "globex-hash", "back": "/changes"}
    assert ann.post("/ui/drop", data={**drop, "csrf": ann_csrf}).status_code == 403  # an approver
    assert ada.post("/ui/drop", data=drop).status_code == 403
    changes = ada.get("/changes").text
    assert f'data-drop="{change}"' in changes and "+Small and fast" in changes
    assert ada.post("/ui/drop", data={**drop, "csrf": ada_csrf}).status_code == 303
    assert f"change {change} dropped by ada for globex-hash" in ada.get("/changes").text
    update = {
        "package": "acme-core",
        "version": "2.0.0",
        "level": "major",
        "dependency": "core",
        "manifests": [],
    }
    fs.store.save_change_proposal(
        "update-acme-core-2.0.0",
        "globex-hash",
        kind="update",
        message="fix(deps): take acme-core 2.0.0",
        base_commit="0" * 40,
        branch="change/update-acme-core-2.0.0/globex-hash",
        status="proposed",
        takes=update,
    )  # as the change facet records a dependency update
    page = ada.get("/changes").text
    assert "Dependency update: core released acme-core 2.0.0 (major)" in page
    paused = {"product": "globex-hash", "do": "suspend", "back": "/products/globex-hash", "csrf": ada_csrf}
    assert vic.post("/ui/product", data={**paused, "csrf": vic_csrf}).status_code == 403
    assert ada.post("/ui/product", data=paused).headers["location"] == "/products/globex-hash"
    assert controller.fleet()["globex-hash"]["paused"] is True
    suspended = ada.get("/products/globex-hash").text
    assert "Resume" in suspended and "globex-hash: suspended by ada</p>" in suspended  # the notice, once
    assert ada.post("/ui/product", data={**paused, "do": "resume"}).status_code == 303
    assert controller.fleet()["globex-hash"]["paused"] is False
    assert "globex-hash: resumed by ada</p>" in ada.get("/runs").text
    events = [r["event"] for r in controller_audit(url, "globex-hash")]
    assert "controller.suspended" in events and "controller.resumed" in events
    out = ada.post("/ui/signout", data={"csrf": ada_csrf, "back": "/"})
    assert out.status_code == 303 and ada.get("/").status_code == 401  # the session is gone
    for client in (vic, ann, gus, ada):
        client.close()


def controller_audit(url: str, product: str) -> list[dict]:
    return get(f"{url}/api/audit", params={"product": product}, headers=bearer(VIEWER)).json()


def page_of(url: str, path: str, **params: str) -> str:
    got = get(url + path, params=params, headers=bearer(VIEWER))
    assert got.status_code == 200, (path, params, got.text[-2000:])
    assert not any(t in got.text for t in SECRETS), path
    assert "cmctl approve" not in got.text and "cmctl logs" not in got.text, path  # links, not commands
    return got.text


def audit_rows(html: str) -> list[tuple[str, str, str, str]]:
    """(seq, event, actor, product) of each record on an audit page."""
    return re.findall(
        r'<tr data-seq="(\d+)"><td>\d+</td><td class="at">[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>'
        r"\s*<td>(?:<a [^>]*>)?([^<]*)",
        html,
    )


def audit_settled(controller: Controller) -> list[dict]:
    """The whole audit log once nothing is queued and it stopped growing (the reconciles the other
    tests' writes queued are done), newest last."""

    def count() -> int:
        return len(get(controller.url + "/api/audit", params={"limit": 5000}, headers=bearer(VIEWER)).json())

    def still() -> bool:
        queued = re.search(r"^codemonkeys_queue_depth (\S+)$", get(f"{controller.url}/metrics").text, re.M)
        before = count()
        time.sleep(1.0)
        return queued is not None and float(queued[1]) == 0 and count() == before

    wait_for(still, 120, controller.proc, controller.log)
    return get(controller.url + "/api/audit", params={"limit": 5000}, headers=bearer(VIEWER)).json()


def test_runs_actions_and_the_audit_log(controller: Controller, tmp_path: Path):
    url = controller.url
    fs = FleetSession.open(controller.ws.fleet, Context(env={}, home_dir=tmp_path / "home"))
    action = f"{RED}/build.run"
    run = controller.fleet()[RED]["last_failure"]["run"]
    stored = fs.logs(action, run)  # the red build's journal entry, as cmctl logs reads it

    # the runs: their counts in words, each linking to its page; the run page lists its actions
    runs = page_of(url, "/runs")
    listed = re.findall(r'<tr data-run="(\d+)"><td><a href="/runs/(\d+)">#\d+</a>', runs)
    assert listed and all(a == b for a, b in listed) and str(run) in dict(listed)
    assert "&#34;" not in runs and '{"' not in runs  # no raw JSON
    page = page_of(url, f"/runs/{run}")
    journaled = fs.store.actions(run_id=run)
    shown = re.findall(
        r'<tr data-action="([^"]+)" data-status="([^"]+)">\s*<th scope="row" class="brk"><a href="([^"]+)">',
        page,
    )
    assert shown == [(a.action_id, a.status, f"/runs/{run}/actions/{a.action_id}") for a in journaled]
    said = re.search(r'<p id="run-counts">(.*?)</p>', page, re.S)[1]
    for status, n in (fs.store.run(run).summary or {}).items():
        assert f">{n} {status.replace('_', ' ')}<" in said, said
    assert get(url + "/runs/999999", headers=bearer(VIEWER)).status_code == 404
    assert get(f"{url}/runs/{run}/actions/{RED}/nothing", headers=bearer(VIEWER)).status_code == 404
    assert get(f"{url}/runs/{run}").status_code == 401  # reading needs a viewer, as every page

    # the action page: the log's lines numbered, each number a link to its own line; ?q= keeps the
    # lines that contain it; the raw log is the stored one, as text/plain
    lines = stored["log"].split("\n")[:-1] if stored["log"].endswith("\n") else stored["log"].split("\n")
    html = page_of(url, f"/runs/{run}/actions/{action}")
    numbered = re.findall(r'<span class="line" id="L(\d+)"><a class="ln" href="#L(\d+)">(\d+)</a>', html)
    assert len(lines) > 5 and numbered == [(str(n),) * 3 for n in range(1, len(lines) + 1)]
    assert RED_TEST in html and 'id="raw-log"' in html
    found = page_of(url, f"/runs/{run}/actions/{action}", q="NOT OK")
    hits = [n for n, line in enumerate(lines, 1) if "not ok" in line.lower()]
    assert hits and [int(n) for n in re.findall(r'<span class="line" id="L(\d+)">', found)] == hits
    assert f"{len(hits)} of {len(lines)} line(s) contain" in found and "<mark>not ok</mark>" in found
    raw = get(f"{url}/runs/{run}/actions/{action}/log.txt", headers=bearer(VIEWER))
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/plain")
    assert raw.text == stored["log"] and get(f"{url}/runs/{run}/actions/{action}/log.txt").status_code == 401

    # the audit log: newest first, a page at a time (50, or ?per=), filtered by product, actor and kind
    everything = audit_settled(controller)
    total = len(everything)
    assert total > 20, total  # three pages of 10 at least
    first, second = page_of(url, "/audit", per="10"), page_of(url, "/audit", per="10", page="2")
    one, two = [int(r[0]) for r in audit_rows(first)], [int(r[0]) for r in audit_rows(second)]
    assert one == [r["seq"] for r in reversed(everything)][:10] and min(one) > max(two) and len(two) == 10
    assert f"records 1 to 10 of {total}" in first and f"page 1 of {-(-total // 10)}, 10 a page" in first
    assert f"records 11 to 20 of {total}" in second and f"records 1 to {min(total, 50)} of" in page_of(
        url, "/audit"
    )
    for params, keeps in (
        ({"product": RED}, lambda r: r["product"] == RED),
        ({"actor": "ann"}, lambda r: r["actor"] == "ann"),
        ({"kind": "approval"}, lambda r: r["event"].startswith("approval.")),
        (
            {"kind": "action.started", "product": RED},
            lambda r: r["event"] == "action.started" and r["product"] == RED,
        ),
    ):
        want = [r for r in everything if keeps(r)]
        html = page_of(url, "/audit", **params)
        assert [int(r[0]) for r in audit_rows(html)] == [r["seq"] for r in reversed(want)][:50], params
        assert (f"of {len(want)} matching" if want else "no record matches") in html, params
    red = page_of(url, "/audit", product=RED)
    assert f'href="/runs/{run}/actions/{action}"' in red and f'<a href="/products/{RED}">' in red
    # the pages' links keep the filters
    kept = page_of(url, "/audit", **{"from": "2000-01-01", "per": "10"})
    assert 'href="/audit?from=2000-01-01&amp;per=10&amp;page=2" rel="next"' in kept
    again = page_of(url, "/audit", **{"from": "2000-01-01", "per": "10", "page": "2"})
    assert 'href="/audit?from=2000-01-01&amp;per=10" rel="prev"' in again
    assert audit_rows(again) == audit_rows(second)
    assert get(url + "/audit", params={"to": "someday"}, headers=bearer(VIEWER)).status_code == 400

    # links where a product, run or action is named: the grid, the product page, approvals
    grid = page_of(url, "/")
    last = fs.fleet([RED])[0]["last_run"]
    assert f'<a href="/runs/{last["run"]}/actions/{last["action"]}">' in grid
    product = page_of(url, f"/products/{RED}")
    assert f'href="/runs/{run}/actions/{action}"' in product and f'href="/audit?product={RED}"' in product
    assert 'class="hint-link">its log</a>' in product  # the last failure's (cmctl logs ...) hint


def test_the_dashboard_in_chromium(controller: Controller, tmp_path: Path):
    shots = Path(os.environ.get("CM_DASHBOARD_SHOTS") or tmp_path)  # docs/screenshots: the README's
    shots.mkdir(parents=True, exist_ok=True)
    sync_api = need_module("playwright.sync_api", "pip install -e '.[announce]'")
    need_program("chromium", "apt-get install chromium")
    from codemonkeys.announce.macro import CHROMIUM, CHROMIUM_ARGS

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 760})
            context.set_default_timeout(TIMEOUT * 1000)  # pages that observe, on a loaded machine
            page = context.new_page()
            _sign_in(page, controller.url, VIEWER, "vic (viewer)")
            _grid_and_filters(page, controller.url, shots)
            _failing_build_log(page, shots)
            _swarm_runs_and_audit(page)
            red_run = controller.fleet()[RED]["last_failure"]["run"]
            _permalinks_and_search(page, controller.url, red_run, shots)
            watcher = context.new_page()  # another tab on the grid, kept open to receive live events
            watcher.goto(controller.url + "/")
            expect(watcher.locator("#grid tbody tr")).to_have_count(6)
            expect(watcher.locator("#live-text")).to_have_text("live")
            watcher.evaluate("window.notReloaded = true")
            watcher.fill("#f-text", "typed, not sent")  # focus and what was typed survive a swap
            _approve_on_the_approvals_page(page, controller.url, shots)
            # the controller applies the approved release; the open grid hears of it without a reload
            row = watcher.locator("#grid tr[data-product='acme-text']")
            expect(row).to_have_attribute("data-state", "in_sync", timeout=90_000)
            expect(row.locator("td[data-facet=release]")).to_have_text("in sync")
            assert watcher.evaluate("window.notReloaded") is True
            assert watcher.evaluate("document.activeElement.id") == "f-text"
            assert watcher.input_value("#f-text") == "typed, not sent"
            assert watcher.locator("#live-text").inner_text().startswith("live: ")  # an event's words
            _on_a_phone(browser, controller.url, red_run, shots)
        finally:
            browser.close()
    assert "v0.2.0" in git(["tag", "--list"], controller.ws.repos / "acme-text").split()
    given = [r for r in controller_audit(controller.url, "acme-text") if r["event"] == "approval.given"]
    assert [(r["actor"], r["action_id"], r["data"]["comment"]) for r in given] == [("ann", HELD, "ship it")]
    text = controller.log.read_text()
    assert all(t not in text for t in SECRETS)


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=30_000)
    return playwright_expect(locator)


def _rows(page) -> list[str]:
    rows = page.locator("#grid tbody tr[data-product]")
    return [rows.nth(i).get_attribute("data-product") for i in range(rows.count())]


def _sign_in(page, url: str, token: str, who: str) -> None:
    page.goto(url + "/runs")
    if page.locator("#signout").is_visible():
        page.click("#signout button")
    expect(page.locator("#signin")).to_be_visible()
    page.fill("#token", token)
    page.click("#signin button")
    expect(page.locator("#user")).to_have_text(who)
    assert page.url.endswith("/runs")  # back where the form was


def _grid_and_filters(page, url: str, shots: Path) -> None:
    page.click("nav a[data-view=grid]")
    expect(page.locator("#grid tbody tr")).to_have_count(6)
    assert _rows(page) == ORDER
    summary = page.locator("#summary").inner_text()
    assert summary == "6 products: 1 stuck, 1 held, 1 drifting, 2 suspended, 1 in sync (showing 6)"
    facets = {
        name: {
            f: page.locator(f"#grid tr[data-product='{name}'] td[data-facet={f}]").inner_text()
            for f in FACETS
        }
        for name in _rows(page)
    }
    none = {f: "-" for f in FACETS}
    assert facets == {
        RED: {**none, "build": "failed", "docs": "blocked", "release": "blocked"},
        "acme-report": {**none, "build": "in sync", "docs": "in sync", "release": "drift"},
        "acme-text": {**none, "build": "in sync", "docs": "in sync", "release": "held"},
        "acme-cli": {**none, "build": "drift", "docs": "drift", "release": "drift"},
        "acme-web": {**none, "build": "drift", "docs": "drift", "release": "drift", "deploy": "drift"},
        "globex-hash": {**none, "build": "in sync", "docs": "in sync", "release": "in sync"},
    }, facets
    page.screenshot(path=str(shots / "dashboard-grid.png"), full_page=True)
    page.select_option("#f-company", "globex")  # a choice filters at once (app.js submits the form)
    expect(page.locator("#grid tbody tr")).to_have_count(2)
    assert _rows(page) == [RED, "globex-hash"] and "company=globex" in page.url
    page.select_option("#f-company", "")
    expect(page.locator("#grid tbody tr")).to_have_count(6)
    page.fill("#f-label", "tier=app")
    page.click("#f-apply")  # the form's GET, as without JavaScript
    expect(page.locator("#grid tbody tr")).to_have_count(2)
    assert _rows(page) == ["acme-cli", "acme-web"]
    page.fill("#f-label", "")
    page.fill("#f-text", "TEXT")
    page.press("#f-text", "Enter")
    expect(page.locator("#grid tbody tr")).to_have_count(1)
    assert _rows(page) == ["acme-text"]
    page.goto(url + "/")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the page itself never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("#grid th.wide").first.is_hidden()  # secondary columns give way
    page.set_viewport_size({"width": 1200, "height": 760})


def _failing_build_log(page, shots: Path) -> None:
    page.click(f"#grid a[href='/products/{RED}']")
    expect(page.locator("#p-facets tr[data-facet=build]")).to_contain_text("failed")
    attempt = page.locator(f"#p-attempts details[data-attempt='{RED}/build.run']")
    expect(attempt.locator("pre.log")).to_be_visible()  # open: it failed
    expect(attempt.locator("pre.log")).to_contain_text(RED_TEST)
    assert "red build" in page.locator("#p-obstacles").inner_text()
    page.screenshot(path=str(shots / "dashboard-product.png"), full_page=True)
    # a live update keeps a log the reader closed closed, but opens one whose action turned failed
    build = page.locator(f"#p-attempts details[data-attempt='{RED}/build.run']")
    build.locator("summary").click()
    expect(build.locator("pre.log")).to_be_hidden()
    swaps = "Number(document.body.dataset.swaps || 0)"
    before = page.evaluate(swaps)
    page.evaluate("refresh()")  # what app.js does on an event about this product
    page.wait_for_function(f"{swaps} > {before}")
    expect(build.locator("pre.log")).to_be_hidden()
    build.evaluate("(d) => { d.open = false; d.dataset.status = 'running'; }")  # as before it failed
    before = page.evaluate(swaps)
    page.evaluate("refresh()")
    page.wait_for_function(f"{swaps} > {before}")
    expect(build.locator("pre.log")).to_be_visible()


def _swarm_runs_and_audit(page) -> None:
    page.click("nav a[data-view=swarm]")
    expect(page.locator("#s-body")).to_contain_text("Top failure signatures")
    expect(page.locator("#s-body section").first).to_contain_text("AssertionError")
    page.click("nav a[data-view=runs]")
    expect(page.locator("#r-runs tbody tr").first).to_contain_text("#")
    page.locator("#r-runs tbody tr a").first.click()  # a run's own page
    expect(page.locator("#run-title")).to_contain_text("Run #")
    expect(page.locator("#run-actions tbody tr").first).to_be_visible()
    page.click("nav a[data-view=audit]")
    expect(page.locator("#au-chain")).to_contain_text("hash chain verified")
    expect(page.locator("#au-page")).to_contain_text("page 1 of ")
    page.select_option("#au-product", RED)  # a choice filters at once (app.js submits the form)
    expect(page.locator("#au-page")).to_contain_text("matching")
    assert f"product={RED}" in page.url
    expect(page.locator("#au-records")).to_contain_text(f"{RED}/build.run")
    products = page.locator("#au-records tbody td:nth-child(5)").all_inner_texts()
    assert products and set(products) == {RED}


def _permalinks_and_search(page, url: str, run: int, shots: Path) -> None:
    """A log line's permalink (#L3) targets and highlights its line; a line's number links to itself;
    the search keeps the lines that contain the text."""
    action = f"{url}/runs/{run}/actions/{RED}/build.run"
    page.goto(action + "#L3")
    target = page.locator("#log .line:target")
    expect(target).to_have_attribute("id", "L3")
    assert target.evaluate("(e) => getComputedStyle(e).backgroundColor") == "rgb(255, 243, 176)"
    box = target.evaluate(
        "(e) => [e.getBoundingClientRect().top, e.getBoundingClientRect().bottom, innerHeight]"
    )
    assert box[0] >= -2 and box[1] <= box[2] + 2, box  # scrolled into view
    page.evaluate("window.scrollTo(0, 0)")  # the page's top, its line 3 still marked
    page.screenshot(path=str(shots / "dashboard-action.png"))
    page.locator("#L5 a.ln").click()
    expect(page.locator("#log .line:target")).to_have_attribute("id", "L5")
    assert page.url.endswith("#L5")
    page.fill("#q", "not ok")
    page.press("#q", "Enter")  # a GET form: works without JavaScript
    expect(page.locator("#log-count")).to_contain_text("contain")
    assert "q=not+ok" in page.url
    shown = page.locator("#log .line .lt").all_inner_texts()
    assert shown and all("not ok" in line.lower() for line in shown)
    expect(page.locator("#log mark").first).to_have_text("not ok")
    page.locator("#log .line a.ln").first.click()  # a found line's number: the line in the whole log
    expect(page.locator("#log .line:target")).to_be_visible()
    assert "q=" not in page.url


PHONE = {"width": 390, "height": 844}
# every element's right edge within the phone's width, but for what scrolls or is clipped inside its own
# container (a wide table, a log, the header's navigation)
TOO_WIDE = """(width) => {
  const inside = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (/(auto|scroll|hidden|clip)/.test(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if ((r.width || r.height) && r.right > width + 0.5 && !inside(el)) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + el.className;
      wide.push(name + " " + Math.round(r.right));
    }
  }
  return { scroll: document.documentElement.scrollWidth, wide };
}"""


def _fits(page, where: str) -> None:
    found = page.evaluate(TOO_WIDE, PHONE["width"])
    assert found["scroll"] <= PHONE["width"] and found["wide"] == [], (where, found)
    header = page.locator("header").bounding_box()
    assert header is not None and header["height"] <= 60, (where, header)  # one line, not a fifth


def _on_a_phone(browser, url: str, run: int, shots: Path) -> None:
    """At 390 x 844 no page scrolls sideways, the header is one line, the grid shows name, state and
    version first; the sign-in page opens no live stream. An admin's "reconcile queued" notice goes
    when that reconcile ends."""
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(TIMEOUT * 1000)
    try:
        page = context.new_page()
        page.goto(url + "/")  # reading needs a token: the sign-in page
        expect(page.locator("h1")).to_have_text("Sign in")
        assert page.locator("#live").count() == 0  # no stream opened, no "reconnecting…"
        expect(page.locator("#signin-here")).to_be_visible()  # the header's form gives way to the page's
        _fits(page, "sign-in (401)")
        page.click("#signin-link")
        expect(page.locator("#signin-page")).to_be_visible()
        assert page.locator("#live").count() == 0
        _fits(page, "/signin")
        page.fill("#token-page", ADA)
        page.click("#signin-page button")
        expect(page.locator("#signout button")).to_be_visible()
        assert page.url == url + "/"
        expect(page.locator("#grid tbody tr")).to_have_count(6)
        _fits(page, "/")
        heads = page.locator("#grid thead th")
        visible = [heads.nth(i).inner_text() for i in range(heads.count()) if heads.nth(i).is_visible()]
        assert visible[:3] == ["Product", "State", "Version"], visible
        page.screenshot(path=str(shots / "dashboard-phone.png"), full_page=True)
        for path in (
            f"/products/{RED}",
            "/approvals",
            "/changes",
            "/swarm",
            "/runs",
            f"/runs/{run}",
            f"/runs/{run}/actions/{RED}/build.run",
            f"/runs/{run}/actions/{RED}/build.run?q=not+ok",
            "/audit",
        ):
            page.goto(url + path)
            expect(page.locator("main h1")).to_be_visible()
            _fits(page, path)

        # an admin's reconcile: its notice says so, and goes when the reconcile ends (a live event)
        page.goto(url + "/products/globex-hash")
        page.click("#p-admin button[value=reconcile]")
        expect(page.locator("#notice")).to_contain_text("globex-hash: reconcile queued by ada")
        gone = "() => !document.getElementById('notice') || notice.textContent.endsWith(', and done')"
        page.wait_for_function(gone, timeout=90_000)
    finally:
        context.close()


def _approve_on_the_approvals_page(page, url: str, shots: Path) -> None:
    page.click("nav a[data-view=approvals]")
    held = page.locator(f"article[data-action='{HELD}']")
    expect(held).to_contain_text(RULE)
    expect(held.locator(".hint")).to_contain_text("vic may not decide this")  # a viewer: no buttons
    expect(held.locator("button")).to_have_count(0)
    _sign_in(page, url, ANN, "ann (approver)")
    page.goto(url + "/approvals")
    held = page.locator(f"article[data-action='{HELD}']")
    expect(held).to_contain_text("approvers: ann")
    page.screenshot(path=str(shots / "dashboard-approvals.png"), full_page=True)
    unnamed = page.evaluate(
        """[...document.querySelectorAll('input, select, button, a')]
             .filter((e) => e.offsetParent !== null)
             .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                            && !e.textContent.trim() && !e.querySelector('img[alt]'))
             .map((e) => e.outerHTML)"""
    )
    assert unnamed == []  # every visible control has an accessible name
    held.locator("input.comment").fill("forged")
    held.locator("input[name=csrf]").evaluate("(e) => { e.value = 'forged' }")
    held.locator("button[value=approve]").click()  # without the session's CSRF token: refused
    expect(page.locator("#error")).to_have_text("missing or wrong CSRF token")
    page.goto(url + "/approvals")
    held = page.locator(f"article[data-action='{HELD}']")
    held.locator("input.comment").fill("ship it")
    held.locator("button[value=approve]").click()
    expect(page.locator("#notice")).to_have_text(f"{HELD}: approved by ann: now allow")
