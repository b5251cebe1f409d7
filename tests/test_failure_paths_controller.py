"""The controller's failure path when the fleet repo turns invalid, with a real `cmctl controller run`: a
commit that breaks the fleet is reported (a ``fleet.invalid`` event with the loader's diagnostics, the
``codemonkeys_fleet_load_errors`` metric) and the controller keeps serving the last valid fleet (its
revision, its products, reconciles on request); the next valid commit is loaded."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from codemonkeys.repos import run as git
from test_e2e_controller import TOKEN, log_events, reconcile_count, start, wait_for
from test_failure_paths_store import small_fleet

pytestmark = pytest.mark.slow

DEADLINE = 120.0  # how long the test waits for the controller to notice and act (a loaded machine is slow)


def commit_all(fleet: Path, message: str) -> str:
    """Commit the fleet repo's working tree; its new revision."""
    git(["add", "-A"], fleet)
    git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message], fleet)
    return git(["rev-parse", "HEAD"], fleet)


def load_errors(url: str) -> float:
    """The controller's ``codemonkeys_fleet_load_errors_total``."""
    text = httpx.get(f"{url}/metrics").text
    (value,) = [
        line.split()[-1]
        for line in text.splitlines()
        if line.startswith("codemonkeys_fleet_load_errors_total ")
    ]
    return float(value)


def test_an_invalid_fleet_is_reported_and_the_last_valid_one_kept(tmp_path: Path):
    fleet = small_fleet(tmp_path)
    valid = git(["rev-parse", "HEAD"], fleet)
    log = tmp_path / "controller.log"
    proc, url = start(fleet, log, interval="0")
    try:
        wait_for(lambda: reconcile_count(log, "solo") >= 1, DEADLINE, proc, log)
        assert httpx.get(f"{url}/readyz").json() == {"ready": True, "revision": valid}
        assert load_errors(url) == 0

        path = fleet / "fleet.yaml"
        path.write_text(path.read_text().replace("spec: {}", "spec: {bogus: 1}"))
        broken = commit_all(fleet, "fleet: a typo")
        wait_for(lambda: log_events(log.read_text(), "fleet.invalid"), DEADLINE, proc, log)
        invalid = log_events(log.read_text(), "fleet.invalid")[0]
        assert invalid["diagnostics"] == [f"{path}:4:8: spec.bogus: unknown field 'bogus'"], invalid
        assert load_errors(url) >= 1  # a watcher may see the commit's files in more than one batch

        # still serving the last valid fleet: its revision, its products, a reconcile on request
        assert httpx.get(f"{url}/readyz").json() == {"ready": True, "revision": valid}
        assert [p["name"] for p in httpx.get(f"{url}/api/products").json()] == ["solo"]
        before = reconcile_count(log, "solo")
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.post(f"{url}/api/products/solo/reconcile", headers=auth).status_code == 202
        wait_for(lambda: reconcile_count(log, "solo") > before, DEADLINE, proc, log)
        assert broken != valid

        path.write_text(path.read_text().replace("spec: {bogus: 1}", "spec: {}"))
        fixed = commit_all(fleet, "fleet: the typo fixed")
        wait_for(lambda: httpx.get(f"{url}/readyz").json().get("revision") == fixed, DEADLINE, proc, log)
        loaded = log_events(log.read_text(), "fleet.loaded")
        assert loaded[-1]["revision"] == fixed and loaded[-1]["products"] == 1, loaded
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0, log.read_text()[-3000:]
