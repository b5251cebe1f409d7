"""The dashboard served by a real controller (`cmctl controller run --tokens FILE`) on a small fleet of four
products of two companies (tests/dashboard_fleet.py: shop's release is held for release-managers, broken's
build fails): the JSON endpoints and their roles (viewer, approver scoped to a company, admin; bearer
tokens, or a session cookie plus its CSRF header), then Debian's Chromium (Playwright): the grid shows
every product and facet with its state, filters narrow it, the product page shows the failing build's
log, a viewer's approval is refused, an approver's approval from the approvals page is applied by the
controller, and another open page learns of it by Server-Sent Events, without a reload; an admin drops
a cross-repo change from the changes page.

``CM_DASHBOARD_SHOTS=docs/screenshots`` keeps the screenshots (the README's pictures)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.engine.changes import Replace
from codemonkeys.repos import run as git
from dashboard_fleet import BROKEN, BROKEN_ERROR, HELD, write_dashboard_fleet
from need import need_module, need_program
from test_e2e_controller import TOKEN, free_port, wait_for

VIEWER, ANN, GUS = "viewer-token-0123456789", "ann-token-0123456789ab", "gus-token-0123456789ab"
ADA = "ada-token-from-a-secret-0123"  # resolved through tokenRef (CMCTL_SECRET_ADA_TOKEN)


class Controller:
    def __init__(self, proc, url: str, log: Path, root: Path):
        self.proc, self.url, self.log, self.root = proc, url, log, root

    def fleet(self) -> dict[str, dict]:
        doc = httpx.get(f"{self.url}/api/fleet", headers=bearer(VIEWER)).json()
        return {p["name"]: p for p in doc["products"]}

    def tags(self, product: str) -> list[str]:
        return git(["tag", "--list"], self.root / f"{product}-src").split()


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


@pytest.fixture(scope="module")
def controller(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Controller]:
    root = tmp_path_factory.mktemp("dashboard")
    fleet = write_dashboard_fleet(root, dashboard=True)
    log = root / "controller.log"
    url = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "CMCTL_API_TOKEN": TOKEN, "CMCTL_SECRET_ADA_TOKEN": ADA, "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "codemonkeys", "controller", "run", "--fleet", str(fleet)]
    argv += ["--listen", url.removeprefix("http://"), "--interval", "10m", "--log-json"]
    argv += ["--tokens", str(write_tokens(root))]
    proc = subprocess.Popen(argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    ctl = Controller(proc, url, log, root)
    try:  # the startup reconciles: ledger and hash released, shop held, broken's build red
        wait_for(lambda: httpx.get(f"{url}/readyz").status_code == 200, 30, proc, log)
        settled = {"ledger": True, "hash": True, "shop": False, BROKEN: False}
        wait_for(lambda: {n: p["in_sync"] for n, p in ctl.fleet().items()} == settled, 120, proc, log)
        yield ctl
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def test_the_api_behind_the_dashboard_and_its_roles(controller: Controller):
    url = controller.url
    page = httpx.get(url + "/")
    assert page.status_code == 200 and "/ui/app.js" in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # no CDN: every asset is served here
    assert page.headers["x-frame-options"] == "DENY"
    assert httpx.get(url + "/ui/app.js").status_code == 200
    assert httpx.get(url + "/ui/../api.py").status_code == 404

    # with a tokens file, reading needs a viewer (health stays open)
    assert httpx.get(url + "/api/fleet").status_code == 401
    assert httpx.get(url + "/api/fleet", headers=bearer("nope")).status_code == 401
    with httpx.stream("GET", url + "/events") as r:
        assert r.status_code == 401
    assert httpx.get(url + "/healthz").status_code == 200
    rows = controller.fleet()
    assert rows["shop"]["company"] == "acme" and rows["shop"]["labels"] == {"tier": "web"}
    assert rows[BROKEN]["facets"] == {"build": "failed"} and rows["hash"]["version"] == "1.1.0"
    selected = httpx.get(url + "/api/fleet", params={"select": "label=tier=core"}, headers=bearer(VIEWER))
    assert [p["name"] for p in selected.json()["products"]] == ["hash", "ledger"]
    assert httpx.get(url + "/api/fleet", params={"select": "x=y"}, headers=bearer(VIEWER)).status_code == 400

    held = httpx.get(url + "/api/approvals", headers=bearer(VIEWER)).json()
    assert [(a["id"], a["rule"], a["approvers"], a["company"]) for a in held] == [
        (HELD, "shop-releases-need-approval", ["ann"], "acme")
    ]
    assert httpx.get(url + "/api/audit/verify", headers=bearer(VIEWER)).json()["ok"] is True
    attempts = httpx.get(f"{url}/api/products/{BROKEN}/attempts", headers=bearer(VIEWER)).json()
    assert attempts[0]["action"] == f"{BROKEN}/build.run" and attempts[0]["status"] == "failed"
    assert BROKEN_ERROR in attempts[0]["log"]

    approve, reject = f"{url}/api/actions/{HELD}/approve", f"{url}/api/actions/{HELD}/reject"
    body = {"comment": "not yet"}
    assert httpx.post(approve, json=body).status_code == 401  # no token, no session
    assert httpx.post(approve, json=body, headers=bearer("wrong")).status_code == 401
    assert httpx.post(approve, json=body, headers=bearer(VIEWER)).status_code == 403  # a viewer
    scoped = httpx.post(approve, json=body, headers=bearer(GUS))
    assert scoped.status_code == 403 and "acme" in scoped.text  # an approver of another company
    refused = httpx.post(reject, json={"approver": "eve", "comment": "x"}, headers=bearer(TOKEN))
    assert refused.status_code == 409 and "'eve' may not" in refused.text  # constitution's approvers
    rejected = httpx.post(reject, json=body, headers=bearer(ANN))
    assert rejected.status_code == 200 and rejected.json()["by"] == "ann"  # stays held, audited
    [still] = httpx.get(url + "/api/approvals", headers=bearer(VIEWER)).json()
    assert (still["last"]["event"], still["last"]["actor"]) == ("approval.rejected", "ann")
    # reconcile, suspend, resume: admins only (the old API token is one)
    reconcile = f"{url}/api/products/ledger/reconcile"
    assert httpx.post(reconcile, headers=bearer(ANN)).status_code == 403
    assert httpx.post(reconcile, headers=bearer(ADA)).status_code == 202
    assert httpx.post(reconcile, headers=bearer(TOKEN)).status_code == 202
    assert httpx.post(f"{url}/api/products/ledger/suspend", headers=bearer(VIEWER)).status_code == 403
    assert httpx.post(f"{url}/api/products/ledger/suspend", headers=bearer(ADA)).json()["paused"] is True
    assert controller.fleet()["ledger"]["paused"] is True
    assert httpx.post(f"{url}/api/products/ledger/resume", headers=bearer(ADA)).json()["paused"] is False

    assert httpx.post(url + "/ui/login", json={"token": "wrong"}).status_code == 401
    with httpx.Client(base_url=url) as browser:
        login = browser.post("/ui/login", json={"token": ANN})
        assert login.status_code == 200 and ANN not in login.headers["set-cookie"]
        assert login.json()["user"] == {"name": "ann", "role": "approver", "companies": ["acme"]}
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert browser.get("/api/fleet").status_code == 200  # the session reads
        csrf = browser.get("/ui/session").json()["csrf"]
        assert browser.post(approve, json=body).status_code == 403  # a session without the CSRF header
        assert browser.post(approve, json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
        not_held = browser.post(
            "/api/actions/ledger/release.cut/approve", json=body, headers={"X-CSRF-Token": csrf}
        )
        assert not_held.status_code == 409, not_held.text  # released already: not in the plan
        assert browser.post("/ui/logout", json={}).json() == {"signed_in": False}
        browser.cookies.set("cm_session", login.cookies["cm_session"])  # a stolen, closed session id
        assert browser.get("/ui/session").json()["signed_in"] is False
        assert browser.post(approve, json=body, headers={"X-CSRF-Token": csrf}).status_code == 401
    doc = httpx.get(f"{url}/api/products/shop/explain", headers=bearer(VIEWER)).json()
    assert doc["next"][0]["verdict"] == "hold"
    audit = httpx.get(f"{url}/api/audit", params={"product": "shop"}, headers=bearer(VIEWER)).json()
    [said] = [r for r in audit if r["event"] == "approval.rejected"]
    assert said["actor"] == "ann" and said["data"]["comment"] == "not yet" and said["data"]["fingerprint"]
    text = controller.log.read_text()
    assert all(t not in text for t in (TOKEN, VIEWER, ANN, GUS, ADA))


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
            page = context.new_page()
            _sign_in(page, controller.url, VIEWER, "vic (viewer)")
            _grid_and_filters(page, shots)
            _failing_build_log(page, shots)
            _swarm_runs_and_audit(page)
            watcher = context.new_page()  # another tab on the grid, kept open to receive live events
            watcher.goto(controller.url + "/")
            expect(watcher.locator("#grid tbody tr")).to_have_count(4)
            expect(watcher.locator("#live-text")).to_contain_text("live")
            watcher.evaluate("window.notReloaded = true")
            _approve_on_the_approvals_page(page, controller.url, shots)
            # the controller applies the approved release; the open grid hears of it without a reload
            shop = watcher.locator("#grid tr[data-product='shop']")
            expect(shop).to_have_attribute("data-state", "in_sync", timeout=60_000)
            expect(shop.locator("td[data-facet=release]")).to_have_text("in sync")
            assert watcher.evaluate("window.notReloaded") is True
            assert "shop" in watcher.locator("#live-text").inner_text()
            _drop_a_change_as_an_admin(page, controller, tmp_path)
        finally:
            browser.close()
    assert "v1.1.0" in controller.tags("shop")
    audit = httpx.get(f"{controller.url}/api/audit", params={"product": "shop"}, headers=bearer(VIEWER))
    given = [r for r in audit.json() if r["event"] == "approval.given"]
    assert [(r["actor"], r["action_id"], r["data"]["comment"]) for r in given] == [("ann", HELD, "ship it")]
    assert given[0]["data"]["revision"] and given[0]["data"]["fingerprint"]


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _rows(page) -> list[str]:
    rows = page.locator("#grid tbody tr")
    return [rows.nth(i).get_attribute("data-product") for i in range(rows.count())]


def _sign_in(page, url: str, token: str, who: str) -> None:
    page.goto(url + "/")
    if page.locator("#signed-in").is_visible():
        page.click("#logout")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#token", token)
    page.click("#login button")
    expect(page.locator("#user")).to_have_text(who)


def _grid_and_filters(page, shots: Path) -> None:
    expect(page.locator("#grid tbody tr")).to_have_count(4)
    assert _rows(page) == [BROKEN, "shop", "hash", "ledger"]  # needs attention first
    summary = page.locator("#summary").inner_text()
    assert "4 products: 1 failed, 1 drifting, 2 in sync" in summary
    facets = {
        name: {
            f: page.locator(f"#grid tr[data-product='{name}'] td[data-facet={f}]").inner_text()
            for f in ("build", "docs", "release", "infra", "deploy", "announce")
        }
        for name in _rows(page)
    }
    undeclared = {f: "-" for f in ("docs", "infra", "deploy", "announce")}
    assert facets == {
        BROKEN: {**undeclared, "build": "failed", "release": "-"},
        "shop": {**undeclared, "build": "-", "release": "drift"},
        "hash": {**undeclared, "build": "-", "release": "in sync"},
        "ledger": {**undeclared, "build": "-", "release": "in sync"},
    }
    page.screenshot(path=str(shots / "dashboard-grid.png"), full_page=True)
    page.select_option("#f-company", "globex")
    assert _rows(page) == [BROKEN, "hash"]
    page.select_option("#f-company", "")
    page.fill("#f-label", "tier=core")
    assert _rows(page) == ["hash", "ledger"]
    page.fill("#f-label", "")
    page.select_option("#f-status", "drifting")
    assert _rows(page) == ["shop"]
    page.select_option("#f-status", "")
    page.fill("#f-text", "LED")
    assert _rows(page) == ["ledger"]
    page.fill("#f-text", "")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the page itself never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("#grid th.wide").first.is_hidden()  # secondary columns give way
    page.set_viewport_size({"width": 1200, "height": 760})


def _failing_build_log(page, shots: Path) -> None:
    page.click(f"#grid a[href='#/product/{BROKEN}']")
    expect(page.locator("#p-facets tr[data-facet=build]")).to_contain_text("failed", timeout=30_000)
    attempt = page.locator(f"#p-attempts details[data-attempt='{BROKEN}/build.run']")
    expect(attempt.locator("pre.log")).to_contain_text(BROKEN_ERROR)  # open: it failed
    assert "red build" in page.locator("#p-obstacles").inner_text()
    page.screenshot(path=str(shots / "dashboard-product.png"), full_page=True)


def _swarm_runs_and_audit(page) -> None:
    page.click("nav a[data-view=swarm]")
    expect(page.locator("#s-body")).to_contain_text("Top failure signatures")
    expect(page.locator("#s-body section").first).to_contain_text("expected ';' before '}' token")
    page.click("nav a[data-view=runs]")
    expect(page.locator("#r-runs tbody tr").first).to_contain_text("#")
    page.click("nav a[data-view=audit]")
    expect(page.locator("#au-chain")).to_contain_text("hash chain verified")
    expect(page.locator("#au-records")).to_contain_text(f"{BROKEN}/build.run")


def _approve_on_the_approvals_page(page, url: str, shots: Path) -> None:
    page.click("nav a[data-view=approvals]")
    held = page.locator(f"article[data-action='{HELD}']")
    expect(held).to_contain_text("shop-releases-need-approval", timeout=60_000)
    held.locator("input.comment").fill("please")
    held.locator("button[data-approve]").click()  # a viewer: refused
    expect(page.locator("#a-result")).to_contain_text(f"{HELD}: refused: vic is a viewer")
    _sign_in(page, url, ANN, "ann (approver)")
    page.goto(url + "/#/approvals")
    held = page.locator(f"article[data-action='{HELD}']")
    expect(held).to_contain_text("approvers: ann", timeout=60_000)
    page.screenshot(path=str(shots / "dashboard-approvals.png"), full_page=True)
    unnamed = page.evaluate(
        """[...document.querySelectorAll('input, select, button, a')]
             .filter((e) => e.offsetParent !== null)
             .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                            && !e.textContent.trim() && !e.querySelector('img[alt]'))
             .map((e) => e.outerHTML)"""
    )
    assert unnamed == []  # every visible control has an accessible name
    held.locator("input.comment").fill("ship it")
    held.locator("button[data-approve]").click()
    expect(page.locator("#a-result")).to_have_text(f"{HELD}: approved by ann: now allow")


def _drop_a_change_as_an_admin(page, controller: Controller, tmp_path: Path) -> None:
    fs = FleetSession.open(controller.root / "fleet", Context(env={}, home_dir=tmp_path / "home"))
    change = fs.propose_change(["ledger"], Replace("more", "less", ("more.txt",)), author="ann").change
    _sign_in(page, controller.url, ADA, "ada (admin)")
    page.goto(controller.url + "/#/changes")
    card = page.locator(f"article[data-change='{change}']")
    expect(card.locator("tr[data-product=ledger]")).to_have_attribute("data-state", "proposed")
    expect(card.locator("details[data-diff=ledger] pre")).to_contain_text("+less")
    card.locator("button[data-drop]").click()
    expect(page.locator("#c-result")).to_have_text(f"change {change} dropped by ada for ledger")
    expect(card.locator("tr[data-product=ledger]")).to_have_attribute("data-state", "dropped")
    assert card.locator("button[data-drop]").count() == 0  # nothing open is left to drop
