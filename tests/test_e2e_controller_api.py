"""The controller's public surfaces on one demo workspace, as real processes.

First `cmctl controller run --once`: it reconciles every product once and exits 1 while a product
fails (the others still converge), then 0 once the failure is fixed, and the fleet is converged
afterwards (`cmctl plan --detailed-exitcode` exits 0, every product in sync).

Then one real `cmctl controller run` on that workspace without a resync timer (`--interval 0`), so that
every reconcile seen after its startup was caused by the test (a timer, even a 10-minute one, resyncs
each product at its own phase of the interval: perhaps in the middle of a test): the Jenkins
notification endpoint (token as a bearer header or ``?token=``; COMPLETED and FINALIZED queue the
products whose job matches, other phases and other jobs queue nothing, a wrong token is 401; the
notifications of a Jenkins-compatible server make the controller release a product), a burst of
reconcile requests, and /api/runs and /api/audit checked against the state database as `cmctl audit`
reads it.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from xml.sax.saxutils import escape

import httpx
import pytest

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from codemonkeys.service.controller import ControllerConfig
from conftest import LITE_PRODUCTS, cmctl, workspace_copy
from need import need_module
from test_e2e_controller import TOKEN, reconcile_count, reconcile_events, start, wait_for
from test_e2e_engine import commit

pytestmark = pytest.mark.slow

PRODUCTS = LITE_PRODUCTS
BROKEN = "test/broken.test.js"
HEX64 = re.compile(r"[0-9a-f]{64}")
DEADLINE = 180.0  # how long a test waits for the controller to do something (a loaded machine is slow)


def tags(repo: Path) -> set[str]:
    return set(git(["tag", "--list"], repo).split())


def plan(ws: Workspace) -> tuple[int, dict]:
    """(`cmctl plan --detailed-exitcode` exit code, `cmctl plan --json` document)."""
    detailed = cmctl("plan", "--detailed-exitcode", "--fleet", str(ws.fleet))
    document = cmctl("plan", "--json", "--fleet", str(ws.fleet))
    assert document.returncode == 0, document.stderr
    return detailed.returncode, json.loads(document.stdout)


@dataclass
class Once:
    result: subprocess.CompletedProcess
    events: dict[str, list[dict]]  # product -> its reconcile events (from --log-json on stderr)
    plan_code: int
    plan: dict


def run_once(ws: Workspace) -> Once:
    result = cmctl("controller", "run", "--once", "--log-json", "--fleet", str(ws.fleet))
    events: dict[str, list[dict]] = {}
    for event in reconcile_events(result.stderr):
        events.setdefault(event["product"], []).append(event)
    return Once(result, events, *plan(ws))


@pytest.fixture(scope="module")
def ws(demo_template_lite: Workspace, tmp_path_factory: pytest.TempPathFactory):
    with workspace_copy(demo_template_lite, tmp_path_factory.mktemp("controller-api") / "ws") as ws:
        yield ws


@pytest.fixture(scope="module")
def once(ws: Workspace) -> dict:
    """`controller run --once` with a failing product, then again after a commit fixed it."""
    widgets = ws.repos / "globex-widgets"
    commit(
        widgets,
        {
            BROKEN: "import test from 'node:test';\nimport assert from 'node:assert';\n"
            "test('broken', () => assert.equal(1, 2));\n"
        },
        "feat: a widget whose test fails",
    )
    failing = run_once(ws)
    git(["rm", "-q", BROKEN], widgets)
    git(["commit", "-q", "-m", "fix: drop the failing test"], widgets)
    fixed = run_once(ws)
    return {"failing": failing, "fixed": fixed, "fix_commit": git(["rev-parse", "HEAD"], widgets)}


def test_run_once_exits_1_on_a_failure_and_0_when_converged(ws: Workspace, once: dict):
    failing, fixed = once["failing"], once["fixed"]
    # every product was reconciled exactly once, dependencies first; only the failing one is not ok
    assert failing.result.returncode == 1, failing.result.stderr[-3000:]
    assert sorted(failing.events) == PRODUCTS and all(len(e) == 1 for e in failing.events.values())
    outcomes = {p: (e[0]["outcome"], e[0]["ok"]) for p, e in failing.events.items()}
    assert outcomes == {p: ("applied", True) for p in PRODUCTS if p != "globex-widgets"} | {
        "globex-widgets": ("failed", False)
    }
    order = [e["product"] for e in reconcile_events(failing.result.stderr)]
    assert order.index("acme-text") < order.index("acme-report") < order.index("acme-cli")
    products = failing.plan["products"]
    assert products["globex-widgets"]["in_sync"] is False
    assert products["globex-widgets"]["facets"]["build"]["state"] == "failed"
    assert all(products[p]["in_sync"] for p in PRODUCTS if p != "globex-widgets")

    # after the fix: exit 0, only the fixed product had anything to do, and the fleet is converged
    assert fixed.result.returncode == 0, fixed.result.stderr[-3000:]
    outcomes = {p: (e[0]["outcome"], e[0]["ok"]) for p, e in fixed.events.items()}
    assert outcomes == {p: ("in_sync", True) for p in PRODUCTS if p != "globex-widgets"} | {
        "globex-widgets": ("applied", True)
    }
    assert fixed.plan_code == 0
    assert fixed.plan["actions"] == [] and all(p["in_sync"] for p in fixed.plan["products"].values())
    released = git(["tag", "--contains", once["fix_commit"]], ws.repos / "globex-widgets").split()
    assert len(released) == 1 and released[0].startswith("v"), released  # the fix was released


def test_run_once_refuses_an_invalid_fleet(tmp_path: Path):
    r = cmctl("controller", "run", "--once", "--fleet", str(tmp_path))
    assert r.returncode == 1
    assert "the fleet is invalid" in r.stderr and "fleet.yaml" in r.stderr, r.stderr


@dataclass
class Running:
    proc: subprocess.Popen
    url: str
    log: Path

    def counts(self) -> dict[str, int]:
        return {p: reconcile_count(self.log, p) for p in PRODUCTS}

    def wait(self, check, timeout: float = 60) -> None:
        wait_for(check, timeout, self.proc, self.log)


@pytest.fixture(scope="module")
def controller(ws: Workspace, once: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A real controller on the converged workspace; returns once each product's startup reconcile is
    logged. No resync timer (``--interval 0``): only the tests' events reconcile."""
    log = tmp_path_factory.mktemp("controller-api-log") / "controller.log"
    proc, url = start(ws.fleet, log, interval="0")
    running = Running(proc, url, log)
    try:
        running.wait(lambda: all(n >= 1 for n in running.counts().values()), 120)
        yield running
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0, log.read_text()[-3000:]


def notification(phase: str, *, name: str, url: str | None = None, full_name: str | None = None) -> bytes:
    """A Jenkins Notification plugin event, as the plugin sends it."""
    body: dict = {
        "name": name,
        "url": url or f"job/{name}/",
        "build": {
            "number": 7,
            "phase": phase,
            "status": "SUCCESS",
            "full_url": f"http://jenkins.example/{url or f'job/{name}/'}7/",
            "scm": {"commit": "0" * 40, "branch": "origin/main"},
        },
    }
    if full_name:
        body["fullName"] = full_name
    return json.dumps(body).encode()


def notifying_job_xml(endpoint: str) -> str:
    """A freestyle job whose Notification plugin endpoint is ``endpoint`` (all phases)."""
    prop = "com.tikal.hudson.plugins.notification"
    return (
        "<?xml version='1.1' encoding='UTF-8'?>\n<project><description>acme-text on Jenkins</description>"
        f"<properties><{prop}.HudsonNotificationProperty><endpoints><{prop}.Endpoint>"
        "<protocol>HTTP</protocol><format>JSON</format>"
        f"<urlInfo><urlOrId>{escape(endpoint)}</urlOrId><urlType>PUBLIC</urlType></urlInfo>"
        "<event>all</event><timeout>30000</timeout><loglines>0</loglines>"
        f"</{prop}.Endpoint></endpoints></{prop}.HudsonNotificationProperty></properties>"
        "<scm class='hudson.scm.NullSCM'/><canRoam>true</canRoam><disabled>false</disabled>"
        "<builders><hudson.tasks.Shell><command>echo built</command></hudson.tasks.Shell></builders>"
        "<publishers/><buildWrappers/></project>"
    )


FOLDER_XML = (
    "<?xml version='1.1' encoding='UTF-8'?>\n<com.cloudbees.hudson.plugins.folder.Folder>"
    "<properties/></com.cloudbees.hudson.plugins.folder.Folder>"
)


def test_jenkins_notifications_queue_the_products_of_their_job(
    ws: Workspace, controller: Running, tmp_path: Path
):
    need_module("jenkins", "python-jenkins is a test dependency: pip install -e '.[test]'")
    from servers.jenkins.launch import start_jenkins

    hook = f"{controller.url}/hooks/jenkins"
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    text = ws.repos / "acme-text"
    before = controller.counts()  # all in sync: a wrongly queued reconcile would be logged within 0.5 s

    # refused: no token, a wrong one as a bearer header or as ?token=, the token in another header scheme
    completed = notification("COMPLETED", name="acme-text", url="job/acme/job/acme-text/")
    for kwargs in (
        {},
        {"headers": {"Authorization": "Bearer wrong"}},
        {"params": {"token": "wrong"}},
        {"headers": {"Authorization": f"Token {TOKEN}"}},
    ):
        r = httpx.post(hook, content=completed, **kwargs)
        assert r.status_code == 401, (kwargs, r.text)
    # malformed events are a 400 (after the token was checked)
    assert httpx.post(hook, content=b"not json", headers=bearer).status_code == 400
    assert httpx.post(hook, content=b'{"name": "acme-text"}', headers=bearer).status_code == 400
    # phases before the build ended, and jobs of no product, queue nothing
    for body in (
        notification("QUEUED", name="acme-text", url="job/acme/job/acme-text/"),
        notification("STARTED", name="acme-text", url="job/acme/job/acme-text/"),
        notification("COMPLETED", name="acme-texts", url="job/acme/job/acme-texts/"),
        notification("COMPLETED", name="acme-text", url="job/acme-text/"),  # not in the acme folder
    ):
        r = httpx.post(hook, content=body, headers=bearer)
        assert r.status_code == 202 and r.json() == {"queued": []}, r.text
    time.sleep(1.5)
    assert controller.counts() == before, "a refused or irrelevant notification caused a reconcile"

    # COMPLETED with ?token= and FINALIZED with a bearer token queue the product of the job
    shout = '"""Upper case."""\n\n\ndef shout(s: str) -> str:\n    return s.upper()\n'
    commit(text, {"src/acme_text/shout.py": shout}, "feat: shout")  # to be released on a notification
    r = httpx.post(
        hook,
        params={"token": TOKEN},
        content=notification("COMPLETED", name="globex-hash", full_name="globex/globex-hash"),
    )
    assert r.status_code == 202 and r.json() == {"queued": ["globex-hash"]}, r.text
    body = notification("FINALIZED", name="globex-hash", url="job/globex/job/globex-hash/")
    r = httpx.post(hook, content=body, headers=bearer)
    assert r.status_code == 202 and r.json() == {"queued": ["globex-hash"]}, r.text
    controller.wait(lambda: controller.counts()["globex-hash"] > before["globex-hash"])

    # a Jenkins-compatible server notifies the controller of a real build of job acme/acme-text: the
    # controller reconciles acme-text and releases the feat commit (no timer would have)
    with start_jenkins(tmp_path / "jenkins", quiet_period=0.1) as jenkins:
        client = jenkins.client()
        client.create_job("acme", FOLDER_XML)
        client.create_job("acme/acme-text", notifying_job_xml(f"{hook}?token={TOKEN}"))
        client.build_job("acme/acme-text")
        controller.wait(lambda: "v0.3.0" in tags(text), 90)
    # (the tag is cut mid-apply; the reconcile is logged when the apply has also published)
    controller.wait(lambda: controller.counts()["acme-text"] > before["acme-text"])
    after = controller.counts()
    for name in ("acme-cli", "globex-widgets"):  # nothing concerned them
        assert after[name] == before[name], name
    # acme-report dependsOn acme-text, whose release it reads: reconciled after it (its dependents, if
    # acme-report itself moved)
    controller.wait(lambda: controller.counts()["acme-report"] > before["acme-report"])

    # the apply is in the controller's audit log and its run is listed as succeeded
    def release_record() -> dict | None:
        audit = httpx.get(
            hook.replace("/hooks/jenkins", "/api/audit"), params={"product": "acme-text"}
        ).json()
        cuts = [
            r
            for r in audit
            if (r["event"], r["action_id"]) == ("action.succeeded", "acme-text/release.cut")
            and r["data"]["outputs"]["tag"] == "v0.3.0"
        ]
        assert len(cuts) <= 1, cuts
        return cuts[0] if cuts else None

    controller.wait(release_record)
    run_id = release_record()["run_id"]

    def run_status() -> str | None:
        runs = httpx.get(f"{controller.url}/api/runs", params={"limit": 500}).json()
        return next((r["status"] for r in runs if r["id"] == run_id), None)

    controller.wait(lambda: run_status() not in (None, "running"))
    assert run_status() == "succeeded"


def reconcile_spans(log: Path, product: str) -> list[tuple[float, float]]:
    """(start, end) Unix times of a product's reconciles, from the --log-json lines (`at` is when the
    reconcile was logged, at its end; `duration` is how long it took)."""
    spans = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
            msg = record["msg"]
            if msg["event"] != "reconcile" or msg["product"] != product:
                continue
        except (ValueError, TypeError, KeyError):
            continue
        end = datetime.strptime(record["at"], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        spans.append((end - msg["duration"], end))
    return spans


def queue_depth(url: str) -> float:
    """The controller's ``codemonkeys_queue_depth`` (products waiting, the running ones not counted)."""
    text = httpx.get(f"{url}/metrics").text
    return next(
        float(line.split()[-1]) for line in text.splitlines() if line.startswith("codemonkeys_queue_depth ")
    )


def test_a_burst_of_reconcile_requests_is_merged(controller: Running):
    """100 requests are merged: one reconcile of the product at a time, starting at least the event delay
    apart (an event queues the product a delay ahead; later events merge into that entry, or into the one
    waiting for the running reconcile to end), so a burst of S seconds makes at most 1 + S / delay
    reconciles, and once the burst is over at most one more starts (the events merged at its end)."""
    delay = ControllerConfig.event_delay
    before = controller.counts()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    burst_began = time.time()
    with httpx.Client() as client:
        for _ in range(100):
            r = client.post(f"{controller.url}/api/products/acme-cli/reconcile", headers=auth)
            assert r.status_code == 202 and r.json() == {"queued": "acme-cli"}
    burst_over = time.time()
    # nothing of the burst waits in the queue any more; then a marker event: its reconcile starts after
    # every reconcile of the burst ended (a product's reconciles never overlap), so once it is logged the
    # burst's reconciles are all logged, however slow the machine is
    controller.wait(lambda: queue_depth(controller.url) == 0, DEADLINE)
    marker = time.time()
    r = httpx.post(f"{controller.url}/api/products/acme-cli/reconcile", headers=auth)
    assert r.status_code == 202

    def logged() -> list[tuple[float, float]]:
        return reconcile_spans(controller.log, "acme-cli")[before["acme-cli"] :]

    controller.wait(lambda: any(begin >= marker for begin, _ in logged()), DEADLINE)
    after = controller.counts()
    spans = logged()
    burst = [(begin, end) for begin, end in spans if begin < marker]
    limit = 1 + int((burst_over - burst_began) // delay)
    assert 1 <= len(burst) <= limit, (burst_over - burst_began, burst)  # 100 events, a handful of reconciles
    assert all(b[0] >= a[1] - 0.01 for a, b in pairwise(spans)), spans  # never overlap
    # a delay apart at least (the log's start is the reconcile's own, a few ms after the queue let it go)
    assert all(b[0] - a[0] >= delay - 0.25 for a, b in pairwise(burst)), burst
    assert sum(1 for begin, _ in burst if begin > burst_over) <= 1, (burst_over, burst)
    for name in ("acme-report", "globex-widgets"):  # a dependency is not reconciled for its dependent
        assert after[name] == before[name], name
    events = reconcile_events(controller.log.read_text(), "acme-cli")[before["acme-cli"] :]
    assert all(e["ok"] and e["outcome"] == "in_sync" for e in events), events


def test_runs_and_audit_api_match_the_state_database(ws: Workspace, controller: Running, once: dict):
    runs = httpx.get(f"{controller.url}/api/runs", params={"limit": 500}).json()
    assert runs and all(
        set(r) == {"id", "status", "revision", "started_at", "finished_at", "counts"} for r in runs
    )
    ids = [r["id"] for r in runs]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)  # newest first
    revision = git(["rev-parse", "HEAD"], ws.fleet)
    # each run's counts are its actions in the journal, by status
    with sqlite3.connect(ws.fleet / ".cmctl" / "state.db") as conn:
        journal: dict[int, dict[str, int]] = {}
        for run_id, status, n in conn.execute("select run_id, status, count(*) from actions group by 1, 2"):
            journal.setdefault(run_id, {})[status] = n
    for r in runs:
        assert r["revision"] == revision
        assert datetime.fromisoformat(r["finished_at"]) >= datetime.fromisoformat(r["started_at"])
        assert r["counts"] == journal[r["id"]], (r, journal[r["id"]])
    # exactly the runs the reconciles logged: the --once runs, one per product (all five had work, one
    # failed), then the fixed product's run, and the runs of this controller's reconciles (a release)
    failing = {e["run"] for events in once["failing"].events.values() for e in events}
    fixed = {e["run"] for events in once["fixed"].events.values() for e in events} - {None}
    served = {e["run"] for e in reconcile_events(controller.log.read_text())} - {None}
    assert len(failing) == 5 and None not in failing and len(fixed) == 1, (failing, fixed)
    assert set(ids) == failing | fixed | served == set(journal), (ids, failing, fixed, served)
    failed = [r for r in runs if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["counts"] == {"failed": 1, "skipped": 3}, failed
    assert {r["status"] for r in runs} == {"failed", "succeeded"}
    assert httpx.get(f"{controller.url}/api/runs", params={"limit": 2}).json() == runs[:2]
    assert httpx.get(f"{controller.url}/api/runs", params={"limit": 0}).status_code == 422

    records = httpx.get(f"{controller.url}/api/audit", params={"limit": 5000}).json()
    keys = {"seq", "at", "actor", "event", "product", "action_id", "run_id", "data", "prev_hash", "hash"}
    assert records and all(set(r) == keys for r in records)
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert all(HEX64.fullmatch(r["hash"]) for r in records)
    assert len({r["hash"] for r in records}) == len(records)
    # the same records as `cmctl audit --json` reads them, and they form the chain `audit verify` checks
    cli = cmctl("audit", "--json", "--limit", "0", "--fleet", str(ws.fleet))
    assert cli.returncode == 0, cli.stderr
    by_seq = {r["seq"]: r for r in json.loads(cli.stdout)}
    for i, r in enumerate(records):
        stored = by_seq[r["seq"]]
        assert r == stored  # the CLI and the API serve the same records (one library call)
        assert r["prev_hash"] == (records[i - 1]["hash"] if i else "0" * 64)
    verify = cmctl("audit", "verify", "--fleet", str(ws.fleet))
    assert verify.returncode == 0 and "audit chain intact" in verify.stdout, verify.stdout + verify.stderr
    # every run listed is bracketed by run.started / run.finished with the run's own status and counts
    for run in runs:
        mine = [r for r in records if r["run_id"] == run["id"]]
        assert mine[0]["event"] == "run.started" and mine[-1]["event"] == "run.finished"
        assert mine[-1]["data"] == {"status": run["status"], "counts": run["counts"]}

    # the failed build and the later release of the fix, for one product
    widgets = httpx.get(
        f"{controller.url}/api/audit", params={"product": "globex-widgets", "limit": 5000}
    ).json()
    assert widgets and {r["product"] for r in widgets} == {"globex-widgets"}
    build_failed = [
        r for r in widgets if r["event"] == "action.failed" and r["action_id"] == "globex-widgets/build.run"
    ]
    assert len(build_failed) == 1 and build_failed[0]["run_id"] == failed[0]["id"]
    cuts = [
        r["data"]["outputs"]["tag"]
        for r in widgets
        if r["event"] == "action.succeeded" and r["action_id"] == "globex-widgets/release.cut"
    ]
    fix_tag = git(["tag", "--contains", once["fix_commit"]], ws.repos / "globex-widgets").split()
    assert cuts == fix_tag  # released once, after the fix, as the tag in the product repo
    assert httpx.get(f"{controller.url}/api/audit", params={"limit": 3}).json() == records[-3:]  # newest 3
