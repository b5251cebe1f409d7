"""More of the controller's failure paths, on a real ``Controller`` in this process (its worker and timer
threads, a real git fleet repo, an SQLite store), waiting for what it logs with deadlines:

- a fleet followed by URL whose fetch fails keeps serving the last fleet it loaded (its revision, its
  products, reconciles) and logs ``fleet.fetch_failed`` with the URL and git's error; once the remote is
  back, its new commit is loaded;
- a product removed from the fleet while its reconcile is queued is dropped when its turn comes: no
  reconcile of it runs, nothing crashes, the rest of the fleet is reconciled;
- the timer loop survives an error of one tick (the store's approvals table gone): it logs
  ``timers.error`` and goes on, so an approval recorded once the table is back queues its reconcile.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from codemonkeys.api.values import ReconcileOutcome
from codemonkeys.context import Context
from codemonkeys.repos import run as git
from codemonkeys.service.controller import Controller, ControllerConfig
from codemonkeys.service.fleetsource import RemoteFleet
from solo_fleet import IDENT, solo_fleet

DEADLINE = 60.0  # how long a test waits for the controller to act (a loaded machine is slow)
PRODUCT = "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {{name: {name}}}\nspec:\n"
PRODUCT += "  source: {{repo: {repo}}}\n  language: python\n"


@pytest.fixture
def events(caplog: pytest.LogCaptureFixture) -> Callable[[str], list[dict]]:
    """The controller's JSON log events of one kind, as logged so far."""
    caplog.set_level(logging.INFO, logger="codemonkeys.controller")

    def of(kind: str) -> list[dict]:
        found = []
        for record in list(caplog.records):
            if record.name == "codemonkeys.controller" and record.getMessage().startswith("{"):
                event = json.loads(record.getMessage())
                if event.get("event") == kind:
                    found.append(event)
        return found

    return of


def wait_for(check: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def commit_all(repo: Path, message: str) -> str:
    git(["add", "-A"], repo)
    git([*IDENT, "commit", "-qm", message], repo)
    return git(["rev-parse", "HEAD"], repo)


def controller(fleet: Path, tmp_path: Path, remote: RemoteFleet | None = None) -> Controller:
    """A controller of ``fleet`` that polls (no watcher), with no resync timer: only events reconcile."""
    config = ControllerConfig(fleet=fleet, watch=False, interval=0, remote=remote)
    return Controller(config, Context(env={}, home_dir=tmp_path / "home"))


def reconciled(events: Callable[[str], list[dict]], product: str) -> int:
    return sum(1 for e in events("reconcile") if e["product"] == product)


def test_a_remote_fleet_whose_fetch_fails_keeps_the_last_fleet_and_says_why(tmp_path: Path, events):
    fleet = solo_fleet(tmp_path)
    product = fleet / "products" / "solo.yaml"  # a clone elsewhere: the product's repo by absolute path
    product.write_text(PRODUCT.format(name="solo", repo=tmp_path / "repos" / "solo"))
    loaded = commit_all(fleet, "fleet: solo by path")
    bare = tmp_path / "fleet.git"
    git(["clone", "-q", "--bare", str(fleet), str(bare)], tmp_path)
    ctl = controller(fleet, tmp_path, RemoteFleet(str(bare), "main", tmp_path / "home"))
    ctl.start()
    try:
        wait_for(lambda: reconciled(events, "solo") == 1, "the startup reconcile")
        assert (ctl.desired.revision, list(ctl.desired.products)) == (loaded, ["solo"])

        away = bare.with_name("fleet-away.git")
        bare.rename(away)  # the fleet repo's server is away
        ctl.fleet_pushed.set()  # a push webhook for the fleet: fetch now
        wait_for(lambda: events("fleet.fetch_failed"), "the failed fetch")
        (failed,) = events("fleet.fetch_failed")
        assert failed["url"] == str(bare), failed
        assert failed["error"].startswith(f"fatal: '{bare}' does not appear to be a git repository"), failed
        # still the last fleet, still reconciling
        assert (ctl.desired.revision, list(ctl.desired.products)) == (loaded, ["solo"])
        assert events("fleet.loaded") == [] and events("fleet.invalid") == []
        ctl.event("solo", "a push to solo")
        wait_for(lambda: reconciled(events, "solo") == 2, "a reconcile after the failed fetch")

        away.rename(bare)  # back, with a new commit
        (fleet / "products" / "duo.yaml").write_text(
            PRODUCT.format(name="duo", repo=tmp_path / "repos" / "solo")
        )
        pushed = commit_all(fleet, "fleet: duo")
        git(["push", "-q", str(bare), "main"], fleet)
        ctl.fleet_pushed.set()
        wait_for(lambda: ctl.desired.revision == pushed, "the new fleet")
        assert sorted(ctl.desired.products) == ["duo", "solo"]
        assert len(events("fleet.fetch_failed")) == 1
    finally:
        ctl.shutdown()


def test_a_product_removed_while_its_reconcile_is_queued_is_dropped(tmp_path: Path, events):
    fleet = solo_fleet(tmp_path)
    (fleet / "products" / "duo.yaml").write_text(PRODUCT.format(name="duo", repo="../repos/solo"))
    commit_all(fleet, "fleet: duo")
    ctl = controller(fleet, tmp_path)
    ctl.event("duo", "a push to duo")  # queued ...
    git(["rm", "-q", "products/duo.yaml"], fleet)
    removed = commit_all(fleet, "fleet: duo retired")
    assert ctl.reload("fleet repo changed")  # ... then removed from the fleet
    assert (ctl.desired.revision, list(ctl.desired.products)) == (removed, ["solo"])
    assert ctl.queue.depth() == 2  # duo's reconcile is still queued, with solo's
    ctl.start()
    try:
        wait_for(lambda: reconciled(events, "solo") >= 1 and ctl.queue.depth() == 0, "the queue drained")
    finally:
        ctl.shutdown()  # the reconcile in flight finishes
    assert [e["product"] for e in events("reconcile")] == ["solo"]  # none of duo, and nothing crashed
    with sqlite3.connect(fleet / ".cmctl" / "state.db") as conn:
        assert conn.execute("select count(*) from actions where product = 'duo'").fetchone() == (0,)
    assert ctl._reconcile("duo") == (True, ReconcileOutcome.REMOVED, None)  # what its turn came to


def test_the_timer_loop_recovers_from_an_error_and_goes_on(tmp_path: Path, events):
    fleet = solo_fleet(tmp_path)
    ctl = controller(fleet, tmp_path)
    ctl.start()
    database = fleet / ".cmctl" / "state.db"
    try:
        wait_for(lambda: reconciled(events, "solo") == 1, "the startup reconcile")
        with sqlite3.connect(database) as conn:  # the tick's read of the approvals fails
            conn.execute("ALTER TABLE approvals RENAME TO approvals_away")
        wait_for(lambda: events("timers.error"), "an error of the timer loop")
        assert events("timers.error")[0] == {"event": "timers.error", "error": "OperationalError"}
        with sqlite3.connect(database) as conn:
            conn.execute("ALTER TABLE approvals_away RENAME TO approvals")
        ctl.store.add_approval("solo/build.run", "solo", "ann", "go", ctl.desired.revision, "f")
        wait_for(lambda: reconciled(events, "solo") == 2, "the reconcile the approval queues")
        assert all(t.is_alive() for t in ctl._threads), ctl._threads  # the timers thread still runs
    finally:
        ctl.shutdown()
