"""The dashboard's drill-down pages (service/drill.py, service/pages.py, store/reads.py) in process: a run
page, an action page with its numbered, searchable log and its raw log, the audit log filtered and
paged in the database, the words for a run's counts, a running action's progress, the command-line hints
of the library's messages as links, and the templates' rendering of a fleet row that runs an action now
(the grid's cell, the product page's banner), with or without the row's ``running`` key.

FastAPI's TestClient over a real controller object (not started) of tests/dashboard_fleet.py; the
journal and the audit log are written through the store as the engine writes them. The real controller
and Chromium: tests/test_dashboard.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from codemonkeys.context import Context
from codemonkeys.service.api import create_app
from codemonkeys.service.auth import Access, Principal, Role
from codemonkeys.service.controller import Controller, ControllerConfig
from codemonkeys.service.drill import (
    AuditFilter,
    counts,
    counts_text,
    log_view,
    parse_when,
    progress,
    split_lines,
    weblinks,
)
from codemonkeys.service.pages import Notice, Notices, environment
from codemonkeys.service.views import Grid, GridFilter
from dashboard_fleet import write_dashboard_fleet

SECRET_LOOKING = "viewer-token-0123456789"
LOG = "".join(f"step {n}: {'ERROR boom <b>' if n in (3, 7) else 'ok'}\n" for n in range(1, 11))


def test_counts_are_words_failures_first():
    assert counts({"skipped": 2, "failed": 1, "succeeded": 0}) == [("failed", 1), ("skipped", 2)]
    assert counts_text({"skipped": 2, "failed": 1}) == "1 failed, 2 skipped"
    assert counts_text({"noop": 3, "weird_one": 1, "blocked": 1}) == "1 blocked, 3 noop, 1 weird one"
    assert counts_text({}) == counts_text(None) == "no actions"


def test_a_running_actions_progress():
    assert progress({"elapsed": 12.4, "expected": 45.0}) == "12 s of ~45 s"
    assert progress({"elapsed": 125, "expected": None}) == "2 min 5 s"
    assert progress({"elapsed": 3, "expected": 3700}) == "3 s of ~1 h 1 min"
    assert progress(None) == ""


def test_log_lines_are_numbered_and_searched():
    assert split_lines("a\r\nb\n") == ["a", "b"] == split_lines("a\nb") and split_lines("") == []
    every = log_view(LOG)
    assert every.total == 10 and [n for n, _ in every.lines] == list(range(1, 11)) and every.cut == 0
    found = log_view(LOG, "error")
    assert (found.matches, [n for n, _ in found.lines]) == (2, [3, 7])
    assert found.lines[0][1] == [("step 3: ", False), ("ERROR", True), (" boom <b>", False)]
    tail = log_view(LOG, limit=4)
    assert [n for n, _ in tail.lines] == [7, 8, 9, 10] and tail.cut == 6  # numbers stay the log's
    assert log_view(LOG, "nothing like it").lines == []


def test_cli_hints_become_links_and_the_rest_is_escaped():
    held = "needs 1 approval(s) from release-managers: cmctl approve acme-text/release.cut; approved by <x>"
    html = str(weblinks(held))
    assert "cmctl" not in html and "&lt;x&gt;" in html
    assert 'href="/approvals?product=acme-text#card-acme-text/release.cut"' in html
    failed = "g/build.run failed in run 12: boom (cmctl logs g/build.run)"
    assert 'href="/runs/12/actions/g/build.run"' in str(weblinks(failed))
    assert 'href="/runs/latest/actions/g/build.run"' in str(weblinks("see (cmctl logs g/build.run)"))
    assert "cmctl" not in str(weblinks(held, approvals=False)) and "href" not in str(weblinks(held, False))
    twice = "x hold by r: needs 1: cmctl approve p/release.cut (cmctl approve p/release.cut)"
    assert str(weblinks(twice)).count("<a ") == 1


def test_time_filters_and_the_audit_query_string():
    assert parse_when("2024-05-01") == datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_when("2024-05-01", end=True) == datetime(2024, 5, 2, tzinfo=UTC)
    assert parse_when("2024-05-01T10:30", end=True) == datetime(2024, 5, 1, 10, 31, tzinfo=UTC)
    assert parse_when("") is None
    with pytest.raises(HTTPException) as bad:
        parse_when("yesterday")
    assert bad.value.status_code == 400
    want = AuditFilter(product="shop", kind="approval", page=3)
    assert want.params() == "product=shop&kind=approval&page=3"
    assert want.params(page=1) == "product=shop&kind=approval"


def _row(**extra) -> dict:
    row = {"name": "shop", "company": "acme", "labels": {}, "language": "other", "in_sync": False}
    return row | {"facets": {"build": "in_sync", "release": "drift"}, "version": "1.0.0", **extra}


RUNNING = {
    "action": "shop/release.cut",
    "kind": "release.cut",
    "run": 7,
    "started_at": "2024-05-01T10:00:00+00:00",
    "elapsed": 12.2,
    "expected": 45.0,
    "last_line": "pushing tag <v1.1.0>",
}


def test_a_running_row_renders_with_or_without_the_running_key():
    env = environment()
    base = {"user": None, "csrf": None, "writable": False, "here": "/", "section": "grid", "notice": None}
    base |= {"held_count": 0, "login_nonce": "n", "live": True, "last_run": None}
    for rows, want in (([_row()], None), ([_row(running=None)], None), ([_row(running=RUNNING)], RUNNING)):
        for r in rows:
            r["state"] = "running" if r.get("running") else "drifting"
        grid = Grid(rows, 1, {}, ["acme"], filter=GridFilter())
        html = env.get_template("grid.html").render(base | {"grid": grid})
        cell = re.search(r'<td class="st">(.*?)</td>', html, re.S)[1]
        if want is None:
            assert "running" not in cell and "drifting" in cell
        else:
            assert 'href="/runs/7/actions/shop/release.cut"' in cell and "12 s of ~45 s" in cell
            assert 'data-elapsed="12.2" data-expected="45.0"' in cell
    doc = {"facets": {}, "obstacles": [], "next": [], "in_sync": False, "observed_at": None}
    page = {"name": "shop", "doc": doc, "heal": [], "attempts": [], "runs": [], "audit": [], "queued": True}
    product = env.get_template("product.html")
    banner = product.render(base | page | {"row": _row(running=RUNNING)})
    assert 'id="p-running"' in banner and "pushing tag &lt;v1.1.0&gt;" in banner
    assert 'id="p-queued"' not in banner  # running says more than queued
    assert '<span class="state running"' in banner
    queued = product.render(base | page | {"row": _row()})
    assert 'id="p-running"' not in queued and 'id="p-queued"' in queued
    assert 'id="p-queued"' not in product.render(base | page | {"queued": False})  # no row at all


def test_a_reconcile_notice_names_the_event_that_ends_it_and_the_sign_in_page_is_not_live():
    env = environment()
    base = {"user": {"name": "ada", "role": "admin"}, "csrf": "c", "writable": True, "here": "/"}
    base |= {"section": "grid", "held_count": None, "login_nonce": "n", "title": "Sign in", "message": "m"}
    notices = Notices()
    notices.put("s", Notice("shop: reconcile queued by ada", "shop", "reconcile.finished"))
    html = env.get_template("error.html").render(base | {"notice": notices.pop("s"), "live": True})
    assert '<p id="notice" role="status" data-product="shop" data-until="reconcile.finished">' in html
    assert notices.pop("s") is None  # once
    notices.put("s", "plain")
    html = env.get_template("error.html").render(base | {"notice": notices.pop("s"), "live": False})
    assert '<p id="notice" role="status">plain</p>' in html
    assert 'id="live"' not in html and "data-live" not in html  # app.js opens no stream here


def test_the_changes_page_says_why_with_the_gates_verdict_and_rule():
    env = environment()
    base = {"user": None, "csrf": None, "writable": False, "here": "/changes", "section": "changes"}
    base |= {"notice": None, "held_count": 0, "login_nonce": "n", "live": True, "open": ("proposed",)}
    row = {"change": "c1", "product": "shop", "state": "denied", "status": "proposed", "kind": "replace"}
    row |= {"files": ["a.txt"], "lines": 2, "reason": "", "diff": "", "branch": "b", "created_at": ""}
    row |= {"verdict": "deny", "rule": "no-changes", "blocked": "no rule allows change.propose"}
    html = env.get_template("changes.html").render(base | {"changes": {"c1": [row]}})
    why = re.search(r'<td class="why">(.*?)</td>', html, re.S)[1]
    assert '<span class="state deny"' in why and "<code>no-changes</code>" in why
    assert "no rule allows change.propose" in why
    plain = env.get_template("changes.html").render(
        base | {"changes": {"c1": [row | {"verdict": "", "rule": "", "reason": "green"}]}}
    )
    assert re.search(r'<td class="why">(.*?)</td>', plain, re.S)[1] == "green"


@pytest.fixture
def app(tmp_path: Path):
    fleet = write_dashboard_fleet(tmp_path)
    ctl = Controller(ControllerConfig(fleet=fleet, watch=False), Context(env={}, home_dir=tmp_path / "home"))
    access = Access([(SECRET_LOOKING, Principal("vic", Role.viewer))], read_needs_token=True)
    return ctl, TestClient(create_app(ctl, access))


TRIES = [  # as engine.executor.Attempt.to_json journals them: a transient failure, then the last one
    {"number": 1, "started_at": "2024-05-01T10:00:00+00:00", "seconds": 12.5, "outcome": "failed",
     "message": "cannot fetch <origin>: (cmctl logs shop/build.run)", "transient": True},
    {"number": 2, "started_at": "2024-05-01T10:00:14+00:00", "seconds": 28.0, "outcome": "failed",
     "message": "exit 1: ERROR boom", "transient": False},
]  # fmt: skip


def _journal(ctl: Controller) -> int:
    """A run as the engine journals one: a failed build with a log, a skipped cut after it, a held one."""
    run = ctl.store.start_run("rev0123456789abcdef", "fp")
    started = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    ctl.store.add_actions(
        run.id,
        [
            {"action_id": "shop/build.run", "product": "shop", "kind": "build.run", "status": "failed",
             "attempts": 2, "message": "exit 1: ERROR boom", "log": LOG, "started_at": started,
             "finished_at": datetime(2024, 5, 1, 10, 0, 42, tzinfo=UTC), "tries": TRIES},
            {"action_id": "shop/release.cut", "product": "shop", "kind": "release.cut", "status": "skipped",
             "message": "a dependency failed"},
            {"action_id": "ledger/release.cut", "product": "ledger", "kind": "release.cut",
             "status": "blocked", "verdict": "hold", "rule": "needs-a-person",
             "message": "needs 1 approval(s): cmctl approve ledger/release.cut"},
        ],
    )  # fmt: skip
    ctl.store.finish_run(run.id, "failed", {"failed": 1, "skipped": 1, "blocked": 1})
    return run.id


def _get(client: TestClient, path: str, **kw):
    return client.get(path, headers={"Authorization": f"Bearer {SECRET_LOOKING}"}, **kw)


def test_run_and_action_pages_over_the_journal(app):
    ctl, client = app
    run = _journal(ctl)
    runs = _get(client, "/runs").text
    assert f'href="/runs/{run}"' in runs and "1 failed" in runs and '{"failed"' not in runs

    page = _get(client, f"/runs/{run}")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-action="([^"]+)" data-status="([^"]+)">', page.text)
    assert rows == [
        ("shop/build.run", "failed"),
        ("shop/release.cut", "skipped"),
        ("ledger/release.cut", "blocked"),
    ]
    assert f'href="/runs/{run}/actions/shop/build.run"' in page.text and "42 s" in page.text
    assert f'<a href="/runs/{run}/actions/shop/build.run#attempts" title="each attempt">2</a>' in page.text
    assert "needs-a-person" in page.text and "cmctl" not in page.text
    assert 'href="/approvals?product=ledger#card-ledger/release.cut"' in page.text
    assert _get(client, "/runs/9999").status_code == 404 and _get(client, "/runs/x").status_code == 404
    assert client.get(f"/runs/{run}").status_code == 401  # reading needs a viewer

    action = _get(client, f"/runs/{run}/actions/shop/build.run")
    assert action.status_code == 200
    lines = re.findall(r'<span class="line" id="L(\d+)"><a class="ln" href="#L(\d+)">(\d+)</a>', action.text)
    assert lines == [(str(n),) * 3 for n in range(1, 11)]
    assert "ERROR boom &lt;b&gt;" in action.text and "<b>" not in action.text.split('id="log"')[1]
    # each attempt, not a count: its number, start, duration, outcome and message (links, escaped)
    attempts = re.search(r'<table id="ac-attempts">(.*?)</table>', action.text, re.S)[1]
    rows = re.findall(
        r'<tr data-attempt="(\d)" data-outcome="(\w+)">\s*<th scope="row">\d</th><td>([^<]*)</td>'
        r"<td>([^<]*)</td>",
        attempts,
    )
    assert rows == [
        ("1", "failed", "2024-05-01 10:00:00", "12.5 s"),
        ("2", "failed", "2024-05-01 10:00:14", "28.0 s"),
    ]
    assert "transient, retried" in attempts and "cannot fetch &lt;origin&gt;" in attempts
    assert 'href="/runs/latest/actions/shop/build.run"' in attempts and "cmctl" not in attempts
    assert '<a href="#attempts">2</a>' in action.text
    skipped = _get(client, f"/runs/{run}/actions/shop/release.cut").text  # never ran: nothing to list
    assert 'id="ac-attempts"' not in skipped and "<dd>0</dd>" in skipped
    searched = _get(client, f"/runs/{run}/actions/shop/build.run", params={"q": "error"}).text
    assert re.findall(r'id="L(\d+)"', searched) == ["3", "7"] and "<mark>ERROR</mark>" in searched
    assert "2 of 10 line(s) contain" in searched
    raw = _get(client, f"/runs/{run}/actions/shop/build.run/log.txt")
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/plain") and raw.text == LOG
    assert client.get(f"/runs/{run}/actions/shop/build.run/log.txt").status_code == 401
    assert _get(client, f"/runs/{run}/actions/shop/nothing").status_code == 404
    assert _get(client, f"/runs/{run}/actions/shop/nothing/log.txt").status_code == 404
    latest = _get(client, "/runs/latest/actions/shop/build.run", follow_redirects=False)
    assert latest.status_code == 303 and latest.headers["location"] == f"/runs/{run}/actions/shop/build.run"
    assert SECRET_LOOKING not in action.text + searched + page.text


def test_the_audit_log_filtered_and_paged_in_the_database(app):
    ctl, client = app
    for n in range(60):
        ctl.store.audit("approval.given" if n % 3 == 0 else "run.finished", "ann" if n % 2 else "bob",
                        {"n": n}, product="shop" if n % 4 == 0 else "ledger", action_id="shop/release.cut",
                        run_id=5 if n == 0 else None)  # fmt: skip
    records, total = ctl.store.audit_page(limit=50)
    assert total == 60 and len(records) == 50 and records[0].seq == 60  # newest first
    assert ctl.store.audit_page(offset=50)[0][-1].seq == 1
    assert ctl.store.audit_page(offset=500)[0][0].seq == 10  # past the end: the last page
    assert ctl.store.audit_page(event="approval")[1] == 20 == ctl.store.audit_page(event="approval.*")[1]
    assert ctl.store.audit_page(event="approval.given", actor="bob")[1] == 10
    assert ctl.store.audit_page(event="appr")[1] == 0
    assert ctl.store.audit_page(product="shop", run_id=5)[1] == 1
    assert ctl.store.audit_page(until=datetime(2000, 1, 1, tzinfo=UTC))[1] == 0

    first = _get(client, "/audit").text
    assert "records 1 to 50 of 60" in first and "page 1 of 2" in first and 'id="au-prev"' not in first
    second = _get(client, "/audit", params={"page": "2"}).text
    assert "page 2 of 2" in second
    assert re.findall(r'data-seq="(\d+)"', second) == [str(n) for n in range(10, 0, -1)]  # the oldest
    narrowed = _get(client, "/audit", params={"kind": "approval", "actor": "bob"}).text
    assert "of 10 matching" in narrowed and "page 1 of 1" in narrowed
    shop = _get(client, "/audit", params={"product": "shop"}).text
    assert set(re.findall(r'<td><a href="/products/([^"]+)">', shop)) == {"shop"}
    assert 'href="/runs/5/actions/shop/release.cut"' in shop  # a record with a run and an action
    assert _get(client, "/audit", params={"from": "soon"}).status_code == 400
