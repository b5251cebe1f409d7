"""Held on the dashboard (issue 28, items 5 and 7): a real controller (`cmctl controller run --tokens
FILE`) over a small fleet in real git repos (tests/dashboard_fleet.py: shop, ledger and hash, each with a
feat commit after v1.0.0), whose shop release is held for the group ``release-managers`` (ann), driven by
Debian's Chromium (Playwright, one browser for the session):

* the grid: shop's own ``held`` badge (a style of its own, not drifting's), the ``?state=held`` filter, an
  unknown state refused with the states there are, the count of held actions on the Approvals link;
* the approval card shows what a release.cut does: the version, the commits since the last tag, the
  changelog, with the raw params folded away;
* Approve / Reject only for who may decide: not a viewer, not an approver of another company, not an
  approver of the company who is not among the rule's approvers; ann, who is, gets them;
* a refused decision (403: a stale CSRF field; 409: not among the approvers) brings the page back with
  the error and the comment that was typed;
* only decisions bound to what is held now show as given: ann's rejection shows, and no longer once a
  commit changes what the release would cut; her approval then lets the controller cut it;
* that cut's first push is declined by shop's repository (a pre-receive hook that refuses once): its
  action page lists both attempts, the refused one with the hook's words, then the one that succeeded;
* work in progress: hash builds locally (a command that sleeps as long as its repository says); a commit
  that makes it sleep 5 s and an admin's reconcile show hash ``running`` with its build on the grid and
  on its page while it runs, and both clear when it ends;
* the Changes page: a change proposed to ledger shows ``proposed`` until the controller plans it, then
  ``denied`` with the default rule and its words (the constitution's ``default: deny``), and ledger stays
  in sync (a denied proposal is settled, not drift).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from announce_fleet import git
from codemonkeys.api import FleetSession
from codemonkeys.api.tools import Replace
from codemonkeys.context import Context
from dashboard_fleet import PRODUCTS, write_dashboard_fleet
from need import need_module, need_program
from test_dashboard import _sign_in, bearer, expect, login_nonce
from test_e2e_controller import free_port, wait_for

pytestmark = pytest.mark.slow

VIEWER, ANN, BOB, GUS, ADA = (f"{n}-token-0123456789abcdef" for n in ("vic", "ann", "bob", "gus", "ada"))
HELD = "shop/release.cut"
BUILD = "hash/build.run"
TIMEOUT = 120.0
DRIFTING = "rgb(255, 240, 194)"  # the drift / drifting badge's background (static/app.css)


class Running:
    def __init__(self, proc: subprocess.Popen, url: str, log: Path, root: Path, fleet: Path):
        self.proc, self.url, self.log, self.root, self.fleet = proc, url, log, root, fleet

    def get(self, path: str, token: str = VIEWER, **kw) -> httpx.Response:
        return httpx.get(self.url + path, headers=bearer(token), timeout=TIMEOUT, **kw)

    def states(self) -> dict[str, str]:
        page = self.get("/").text
        return dict(re.findall(r'<tr data-product="([^"]+)" data-state="([^"]+)">', page))

    def decisions(self) -> list[tuple[str, str, str]]:
        """(event, actor, comment) of every approval and rejection of shop in the audit log."""
        rows = self.get("/api/audit", params={"product": "shop"}).json()
        return [
            (r["event"], r["actor"], r["data"].get("comment", ""))
            for r in rows
            if r["event"].startswith("approval.")
        ]


SLOW = ["sh", "-c", "sleep $(cat slow 2>/dev/null || echo 0)"]  # hash's build: as long as its repo says
DECLINE_ONCE = """#!/bin/sh
cat >/dev/null
[ -e "{marker}" ] && exit 0
touch "{marker}"
echo "the server is busy: try again later" >&2
exit 1
"""


def _hold_for_release_managers(root: Path, fleet: Path) -> None:
    """shop's release is held for release-managers (ann); the product repos take pushes (the cuts), but
    shop's declines the first one; hash builds locally (allowed), in no time until its repo says."""
    for name in PRODUCTS:
        git(root / f"{name}-src", "config", "receive.denyCurrentBranch", "updateInstead")
    hook = root / "shop-src" / ".git" / "hooks" / "pre-receive"
    hook.write_text(DECLINE_ONCE.format(marker=root / "shop-declined-once"))  # outside its working tree
    hook.chmod(0o755)
    path = fleet / "constitution.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["spec"]["groups"] = {"release-managers": ["ann"]}
    doc["spec"]["rules"][0]["hold"]["approvers"] = ["release-managers"]
    doc["spec"]["rules"].append({"id": "allow-builds", "match": {"actions": ["build.run"]}})
    path.write_text(yaml.safe_dump(doc))
    product = fleet / "products" / "hash.yaml"
    doc = yaml.safe_load(product.read_text())
    doc["spec"]["build"] = {"command": SLOW}
    product.write_text(yaml.safe_dump(doc))
    git(fleet, "commit", "-qam", "shop's releases need a release manager; hash builds")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("held")
    fleet = write_dashboard_fleet(root)
    _hold_for_release_managers(root, fleet)
    tokens = root / "tokens.yaml"
    entries = [
        {"name": "vic", "role": "viewer", "token": VIEWER},
        {"name": "ann", "role": "approver", "token": ANN, "companies": ["acme"]},
        {"name": "bob", "role": "approver", "token": BOB, "companies": ["acme"]},
        {"name": "gus", "role": "approver", "token": GUS, "companies": ["globex"]},
        {"name": "ada", "role": "admin", "token": ADA},
    ]
    tokens.write_text(yaml.safe_dump(entries))
    log = root / "controller.log"
    url = f"http://127.0.0.1:{free_port()}"
    argv = [sys.executable, "-m", "codemonkeys", "controller", "run", "--fleet", str(fleet)]
    argv += [
        "--listen",
        url.removeprefix("http://"),
        "--interval",
        "10m",
        "--log-json",
        "--tokens",
        str(tokens),
    ]
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen(argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    ctl = Running(proc, url, log, root, fleet)
    try:  # the startup reconciles: ledger and hash cut 1.1.0, shop's cut is held
        wait_for(lambda: httpx.get(f"{url}/readyz").status_code == 200, 30, proc, log)
        settled = {"hash": "in_sync", "ledger": "in_sync", "shop": "held"}
        wait_for(lambda: ctl.states() == settled, 180, proc, log)
        yield ctl
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


@pytest.fixture(scope="module")  # Playwright's sync API keeps an event loop running while open
def browser():
    sync_api = need_module("playwright.sync_api", "pip install -e '.[announce]'")
    need_program("chromium", "apt-get install chromium")
    from codemonkeys.announce.macro import CHROMIUM, CHROMIUM_ARGS

    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.set_default_timeout(TIMEOUT * 1000)
    try:
        yield context.new_page()
    finally:
        context.close()


def card(page):
    return page.locator(f"article[data-action='{HELD}']")


def test_held_has_its_badge_filter_and_count(running: Running, page):
    _sign_in(page, running.url, VIEWER, "vic (viewer)")
    page.goto(running.url + "/")
    row = page.locator("#grid tr[data-product='shop']")
    expect(row).to_have_attribute("data-state", "held")
    badge = row.locator("td").first.locator(".state")
    expect(badge).to_have_text("held")
    expect(row.locator("td[data-facet=release] .state")).to_have_text("held")
    background = badge.evaluate("(e) => getComputedStyle(e).backgroundColor")
    assert background not in (DRIFTING, "rgba(0, 0, 0, 0)")  # its own style: waiting is not drifting
    assert badge.get_attribute("title") == "an action waits for an approval"
    assert page.locator("#summary").inner_text() == "3 products: 1 held, 2 in sync (showing 3)"
    expect(page.locator("nav a[data-view=approvals] #held-count")).to_have_text("1 held")

    page.select_option("#f-state", "held")  # a choice filters at once (app.js submits the form)
    expect(page.locator("#grid tbody tr")).to_have_count(1)
    assert "state=held" in page.url and page.locator("#grid tbody tr").get_attribute("data-product") == "shop"
    page.select_option("#f-state", "in_sync")
    expect(page.locator("#grid tbody tr")).to_have_count(2)

    refused = page.goto(running.url + "/?state=hold")
    assert refused is not None and refused.status == 400
    expect(page.locator("#error")).to_contain_text(
        "unknown state 'hold': the grid's states are stuck, failed, held,"
    )
    # the count comes from the stored statuses: every page has it, and a fragment's answer says it too
    fragment = httpx.get(running.url + "/runs", headers={**bearer(VIEWER), "X-Fragment": "main"})
    assert fragment.headers["x-held-count"] == "1"


def test_the_card_shows_what_the_release_cuts(running: Running, page):
    head = git(running.root / "shop-src", "rev-parse", "HEAD").strip()
    _sign_in(page, running.url, ANN, "ann (approver)")
    page.goto(running.url + "/approvals")
    held = card(page)
    expect(held.locator("[data-fact=version] dd")).to_have_text("1.0.0 -> 1.1.0")
    expect(held.locator("[data-fact=bump] dd")).to_have_text("minor")
    expect(held.locator("[data-fact=tag] dd")).to_have_text("v1.1.0")
    commits = held.locator("ul.card-list li")
    expect(commits).to_have_count(1)
    expect(commits.first).to_have_text(f"{head[:7]} feat: more")
    expect(held.locator("h3").first).to_have_text("1 commit(s) since v1.0.0")
    changelog = held.locator("pre[data-text=changelog]")
    expect(changelog).to_contain_text("## 1.1.0")
    expect(changelog).to_contain_text(f"### Features\n\n- more ({head[:7]})")
    raw = held.locator("pre[aria-label='parameters of shop/release.cut']")
    expect(raw).to_be_hidden()  # the raw params are folded away
    held.locator("details summary").click()
    expect(raw).to_contain_text('"version": "1.1.0"')
    expect(held.locator(".last")).to_have_text("no decision yet on what is held now")


def test_only_who_may_decide_gets_the_buttons(running: Running, page):
    for token, who, why in [
        (VIEWER, "vic (viewer)", "vic may not decide this: it needs an approver of acme among ann"),
        (GUS, "gus (approver)", "gus may not decide this"),  # an approver of globex
        (BOB, "bob (approver)", "bob may not decide this: it needs an approver of acme among ann"),
    ]:
        _sign_in(page, running.url, token, who)
        page.goto(running.url + "/approvals")
        expect(card(page).locator(".hint")).to_contain_text(why)
        expect(card(page).locator("form.decide")).to_have_count(0)
        expect(card(page).locator("button")).to_have_count(0)
    _sign_in(page, running.url, ANN, "ann (approver)")
    page.goto(running.url + "/approvals")
    expect(card(page).locator("button[value=approve]")).to_be_visible()
    expect(card(page).locator("button[value=reject]")).to_be_visible()
    # the product page sends a decision to the card, where what it does is shown
    page.goto(running.url + "/products/shop")
    expect(page.locator("#p-status .state")).to_have_text("held")
    page.click("#p-actions a.to-card")
    expect(card(page).locator("button[value=approve]")).to_be_visible()
    assert page.url.endswith(f"/approvals?product=shop#card-{HELD}")


def test_a_refused_decision_keeps_the_comment(running: Running, page):
    _sign_in(page, running.url, ANN, "ann (approver)")
    page.goto(running.url + "/approvals")
    held = card(page)
    held.locator("input.comment").fill("ship it once the docs are in")
    held.locator("input[name=csrf]").evaluate("(e) => { e.value = 'stale' }")  # e.g. a session's old page
    held.locator("button[value=approve]").click()
    held = card(page)
    expect(held.locator("#error")).to_have_text("missing or wrong CSRF token")
    expect(held.locator("input.comment")).to_have_value("ship it once the docs are in")
    assert running.decisions() == []  # nothing was recorded
    expect(held.locator("button[value=approve]")).to_be_visible()  # with the session's CSRF field again
    assert page.url == running.url + "/approvals"  # the page's own address again, not the form's endpoint

    # bob has no buttons; a form posted anyway is refused by the constitution (409): what he typed shows
    with httpx.Client(base_url=running.url, timeout=TIMEOUT) as bob:
        signed = bob.post("/ui/signin", data={"token": BOB, "back": "/approvals", "login": login_nonce(bob)})
        assert signed.status_code == 303
        csrf = re.search(r'name="csrf" value="([^"]+)"', bob.get("/runs").text)
        assert csrf is not None
        form = {"action": HELD, "verdict": "reject", "comment": "<b>not</b> on a Friday"}
        r = bob.post("/ui/decide", data={**form, "csrf": csrf[1], "back": "/approvals?product=shop"})
    assert r.status_code == 409 and "&#39;bob&#39; may not reject shop/release.cut" in r.text
    assert "Your comment, not recorded: <q>&lt;b&gt;not&lt;/b&gt; on a Friday</q>" in r.text
    assert 'data-action="shop/release.cut"' in r.text and "<button" not in r.text.split("<main", 1)[1]
    assert running.decisions() == []


def test_only_decisions_bound_to_what_is_held_show(running: Running, page):
    _sign_in(page, running.url, ANN, "ann (approver)")
    page.goto(running.url + "/approvals")
    card(page).locator("input.comment").fill("not before the fix")
    card(page).locator("button[value=reject]").click()
    expect(page.locator("#notice")).to_have_text(f"{HELD}: rejected by ann: now hold")
    expect(card(page).locator(".last .given")).to_have_count(1)
    expect(card(page).locator(".last .given")).to_contain_text("rejected by ann")
    expect(card(page).locator(".last .given")).to_contain_text("not before the fix")

    # a fix lands: the release now cuts another commit (still 1.1.0): the rejection was for the other
    src = running.root / "shop-src"
    (src / "fix.txt").write_text("fixed\n")
    git(src, "add", ".")
    git(src, "commit", "-qm", "fix: the docs")
    page.goto(running.url + "/approvals")
    held = card(page)
    expect(held.locator("ul.card-list li")).to_have_count(2)
    expect(held.locator(".last .given")).to_have_count(0)
    expect(held.locator(".last")).to_contain_text("no decision yet on what is held now")
    expect(held.locator(".last .lapsed")).to_contain_text("1 earlier decision(s)")

    held.locator("input.comment").fill("ship it")
    held.locator("button[value=approve]").click()
    expect(page.locator("#notice")).to_have_text(f"{HELD}: approved by ann: now allow")
    # the controller cuts the release; the grid's count of held actions goes with it
    wait_for(lambda: running.states()["shop"] == "in_sync", 120, running.proc, running.log)
    assert "v1.1.0" in git(src, "tag", "--list").split()
    page.goto(running.url + "/")
    expect(page.locator("#held-count")).to_be_hidden()
    assert running.decisions() == [
        ("approval.rejected", "ann", "not before the fix"),
        ("approval.given", "ann", "ship it"),
    ]


def test_the_action_page_lists_each_attempt(running: Running, page):
    # the cut ann approved above: shop's repository declined its first push (transient), the retry went in
    _sign_in(page, running.url, VIEWER, "vic (viewer)")
    page.goto(running.url + "/runs/latest/actions/shop/release.cut")
    expect(page.locator("#ac-status .state").first).to_have_text("succeeded")
    expect(page.locator("[data-fact=attempts] dd a")).to_have_text("2")
    tries = page.locator("#ac-attempts tbody tr")
    expect(tries).to_have_count(2)
    first, second = tries.nth(0), tries.nth(1)
    assert [t.get_attribute("data-outcome") for t in (first, second)] == ["failed", "succeeded"]
    expect(first).to_contain_text("the server is busy: try again later")
    expect(first).to_contain_text("transient, retried")
    expect(second).to_contain_text("released 1.1.0 as v1.1.0")
    started = [tries.nth(i).locator("td").first.inner_text() for i in range(2)]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", t) for t in started), started
    assert started[0] <= started[1]
    page.click("[data-fact=attempts] dd a")  # the count leads to the list
    assert page.url.endswith("#attempts")


def test_a_build_shows_running_while_it_runs(running: Running, page):
    _sign_in(page, running.url, VIEWER, "vic (viewer)")
    page.goto(running.url + "/")
    row = page.locator("#grid tr[data-product='hash']")
    expect(row).to_have_attribute("data-state", "in_sync")
    product = page.context.new_page()  # hash's own page, open alongside
    product.goto(running.url + "/products/hash")
    expect(product.locator("#p-status .state")).to_have_text("in sync")
    src = running.root / "hash-src"
    (src / "slow").write_text("5\n")  # the next build of hash sleeps 5 s
    git(src, "add", ".")
    git(src, "commit", "-qm", "chore: a slower build")
    r = httpx.post(f"{running.url}/api/products/hash/reconcile", headers=bearer(ADA), timeout=TIMEOUT)
    assert r.status_code == 202, r.text
    # while it builds: running, with its action, on the grid (live) and on its page
    expect(row).to_have_attribute("data-state", "running", timeout=60_000)
    expect(row.locator(f"td.st a[href*='{BUILD}']")).to_have_text("build.run")
    banner = product.locator("#p-running")
    expect(banner).to_be_visible(timeout=60_000)
    expect(banner).to_have_attribute("data-action", BUILD)
    expect(banner).to_contain_text("running build.run")
    expect(product.locator("#p-status .state")).to_have_text("running")
    # and when it ends, gone from both
    expect(row).to_have_attribute("data-state", "in_sync", timeout=60_000)
    expect(banner).to_have_count(0, timeout=60_000)
    expect(product.locator("#p-status .state")).to_have_text("in sync")
    built = running.get("/api/audit", params={"product": "hash"}).json()
    took = [
        r["data"]["duration"] for r in built if r["event"] == "action.succeeded" and r["action_id"] == BUILD
    ]
    assert took and took[-1] >= 5, took  # the build that slept


def test_a_denied_proposal_shows_its_verdict_and_rule(running: Running, page, tmp_path: Path):
    fs = FleetSession.open(running.fleet, Context(env={}, home_dir=tmp_path / "home"))
    change = fs.propose_change(["ledger"], Replace("more", "more and more", ("more.txt",))).change
    _sign_in(page, running.url, VIEWER, "vic (viewer)")
    page.goto(running.url + "/changes")
    row = page.locator(f"article[data-change='{change}'] tr[data-product='ledger']")
    expect(row).to_have_attribute("data-state", "proposed")  # not planned yet
    r = httpx.post(f"{running.url}/api/products/ledger/reconcile", headers=bearer(ADA), timeout=TIMEOUT)
    assert r.status_code == 202, r.text
    expect(row).to_have_attribute("data-state", "denied", timeout=60_000)  # the page is live
    why = row.locator("td.why")
    expect(why.locator(".state")).to_have_text("deny")
    expect(why.locator("code")).to_have_text("default")
    expect(why).to_contain_text("no rule allows change.propose")
    assert running.states()["ledger"] == "in_sync"  # a denied proposal is settled, not drift
