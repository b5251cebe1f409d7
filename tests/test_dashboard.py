"""The dashboard served by a real controller (`cmctl controller run`) on a small fleet of three products:
the JSON endpoints and their authorisation (bearer token, or a session cookie plus its CSRF header), then
Debian's Chromium (Playwright): the grid lists every product, filters narrow it, a product page shows its
explanation, and a held release is approved from the page, after which the controller releases it."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from codemonkeys.repos import run as git
from dashboard_fleet import HELD, write_dashboard_fleet
from need import need_module, need_program
from test_e2e_controller import TOKEN, start, wait_for


class Controller:
    def __init__(self, proc, url: str, log: Path, root: Path):
        self.proc, self.url, self.log, self.root = proc, url, log, root

    def fleet(self) -> dict[str, dict]:
        return {p["name"]: p for p in httpx.get(f"{self.url}/api/fleet").json()["products"]}

    def tags(self, product: str) -> list[str]:
        return git(["tag", "--list"], self.root / f"{product}-src").split()


@pytest.fixture(scope="module")
def controller(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Controller]:
    root = tmp_path_factory.mktemp("dashboard")
    fleet = write_dashboard_fleet(root)
    log = root / "controller.log"
    proc, url = start(fleet, log, interval="10m")
    ctl = Controller(proc, url, log, root)
    try:  # the startup reconciles release ledger and hash; shop's release stays held
        wait_for(lambda: all(ctl.fleet()[p]["in_sync"] for p in ("ledger", "hash")), 120, proc, log)
        yield ctl
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def test_the_api_behind_the_dashboard_and_its_authorisation(controller: Controller):
    url = controller.url
    page = httpx.get(url + "/")
    assert (
        page.status_code == 200
        and "/ui/app.js" in page.text
        and "http" not in page.text.replace("http-equiv", "")
    )  # no CDN: every asset is served by the controller
    assert page.headers["x-frame-options"] == "DENY"
    assert httpx.get(url + "/ui/app.js").status_code == 200
    assert httpx.get(url + "/ui/../api.py").status_code == 404

    rows = controller.fleet()
    assert sorted(rows) == ["hash", "ledger", "shop"]
    assert rows["shop"]["company"] == "acme" and rows["shop"]["labels"] == {"tier": "web"}
    assert rows["shop"]["in_sync"] is False and rows["hash"]["version"] == "1.1.0"
    selected = httpx.get(url + "/api/fleet", params={"select": "label=tier=core"}).json()["products"]
    assert [p["name"] for p in selected] == ["hash", "ledger"]
    assert httpx.get(url + "/api/fleet", params={"select": "colour=red"}).status_code == 400

    doc = httpx.get(f"{url}/api/products/shop/explain").json()
    assert [(a["id"], a["verdict"]) for a in doc["next"]] == [(HELD, "hold")]
    assert httpx.get(f"{url}/api/products/nope/explain").status_code == 404
    assert httpx.get(f"{url}/api/products/shop/heal").json() == []

    approve = f"{url}/api/actions/{HELD}/approve"
    body = {"approver": "ann", "comment": "ok"}
    assert httpx.post(approve, json=body).status_code == 401  # no token, no session
    assert httpx.post(approve, json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.post(url + "/ui/login", json={"token": "wrong"}).status_code == 401
    with httpx.Client(base_url=url) as browser:
        login = browser.post("/ui/login", json={"token": TOKEN})
        assert login.status_code == 200 and TOKEN not in login.headers["set-cookie"]
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
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
    assert httpx.get(f"{url}/api/products/shop/explain").json()["next"][0]["verdict"] == "hold"
    assert TOKEN not in controller.log.read_text()


def test_the_dashboard_in_chromium_filters_and_approves(controller: Controller, tmp_path: Path):
    shots = Path(os.environ.get("CM_DASHBOARD_SHOTS") or tmp_path)  # docs/img: the README's pictures
    sync_api = need_module("playwright.sync_api", "pip install -e '.[announce]'")
    need_program("chromium", "apt-get install chromium")
    from codemonkeys.announce.macro import CHROMIUM, CHROMIUM_ARGS

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 700})
            _grid_and_filters(page, controller.url, shots)
            _product_and_approval(page, shots)
        finally:
            browser.close()
    # the approval was audited under the approver's name, and the controller released shop
    wait_for(lambda: "v1.1.0" in controller.tags("shop"), 60, controller.proc, controller.log)
    audit = httpx.get(f"{controller.url}/api/audit", params={"product": "shop"}).json()
    given = [r for r in audit if r["event"] == "approval.given"]
    assert [(r["actor"], r["action_id"], r["data"]["comment"]) for r in given] == [("ann", HELD, "ship it")]


def _rows(page) -> list[str]:
    rows = page.locator("#grid tbody tr")
    return [rows.nth(i).get_attribute("data-product") for i in range(rows.count())]


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _grid_and_filters(page, url: str, shots: Path) -> None:
    page.goto(url + "/")
    expect(page.locator("#grid tbody tr")).to_have_count(3)
    assert _rows(page) == ["shop", "hash", "ledger"]  # needs attention first
    assert "3 products: 1 drifting, 2 in sync" in page.locator("#summary").inner_text()
    page.screenshot(path=str(shots / "dashboard-grid.png"), full_page=True)
    page.select_option("#f-company", "globex")
    expect(page.locator("#grid tbody tr")).to_have_count(1)
    assert _rows(page) == ["hash"]
    page.select_option("#f-company", "")
    page.fill("#f-label", "tier=core")
    assert _rows(page) == ["hash", "ledger"]
    page.fill("#f-label", "")
    page.select_option("#f-status", "drifting")
    assert _rows(page) == ["shop"]


def _product_and_approval(page, shots: Path) -> None:
    page.click("#grid a[href='#/product/shop']")
    row = page.locator(f"#p-actions tr[data-action='{HELD}']")
    row.wait_for(timeout=60_000)
    assert "hold" in row.inner_text()
    assert "shop-releases-need-approval" in page.locator("#p-obstacles").inner_text()
    row.locator("input.approver").fill("ann")
    row.locator("button").click()  # not signed in: refused
    expect(row.get_by_role("status")).to_contain_text("refused: sign in")
    page.fill("#token", TOKEN)
    page.click("#login button")
    page.locator("#signed-in").wait_for()
    row = page.locator(f"#p-actions tr[data-action='{HELD}']")
    row.wait_for(timeout=60_000)
    row.locator("input.approver").fill("ann")
    row.locator("input[placeholder=comment]").fill("ship it")
    row.locator("button").click()
    expect(row.get_by_role("status")).to_have_text("approved: now allow", timeout=60_000)
    expect(page.locator("#p-audit tbody")).to_contain_text("approval.given")  # the audit was refreshed
    page.screenshot(path=str(shots / "dashboard-product.png"), full_page=True)
