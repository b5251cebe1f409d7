"""The controller as a real process on a demo workspace: it converges with no command typed, reacts to
a product commit and a fleet commit, dedupes bursts, backs off a failing product while the others
proceed, refuses unauthenticated writes and badly signed webhooks, exits 0 on SIGTERM, and after a
kill -9 a restart converges without repeating side effects."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from conftest import cmctl
from test_e2e_engine import commit, db, release_commits

pytestmark = pytest.mark.slow

TOKEN, SECRET = "api-token-for-tests", "webhook-secret-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(
    fleet: str | Path, log: Path, interval: str = "2s", extra: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, str]:
    """A real `cmctl controller run` on a free port; returns once it answers /readyz."""
    port = free_port()
    env = {**os.environ, "CMCTL_API_TOKEN": TOKEN, "CMCTL_WEBHOOK_SECRET": SECRET, "NO_COLOR": "1"}
    argv = [
        sys.executable,
        "-m",
        "codemonkeys",
        "controller",
        "run",
        "--fleet",
        str(fleet),
        "--listen",
        f"127.0.0.1:{port}",
        "--interval",
        interval,
        "--log-json",
        *extra,
    ]
    proc = subprocess.Popen(argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: httpx.get(f"{url}/readyz").status_code == 200, 30, proc, log)
    return proc, url


def wait_for(check: Callable[[], bool], timeout: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the controller exited:\n{log.read_text()[-3000:]}"
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out; controller log:\n{log.read_text()[-3000:]}")


def products(url: str) -> dict[str, dict]:
    return {p["name"]: p for p in httpx.get(f"{url}/api/products").json()}


def queue_depth(url: str) -> float:
    """The controller's reconcile queue depth (its metric)."""
    found = re.search(r"^codemonkeys_queue_depth (\S+)$", httpx.get(f"{url}/metrics").text, re.M)
    assert found is not None, "no codemonkeys_queue_depth metric"
    return float(found[1])


def reconciles(url: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    return sum(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("codemonkeys_reconciles_total")
    )


def log_events(text: str, event: str) -> list[dict]:
    """The ``event`` events in a controller's --log-json output, in order."""
    events = []
    for line in text.splitlines():
        try:
            msg = json.loads(line).get("msg")
        except (ValueError, AttributeError):
            continue  # not a JSON log line (a traceback, uvicorn, the start/stop messages)
        if isinstance(msg, dict) and msg.get("event") == event:
            events.append(msg)
    return events


def reconcile_events(text: str, product: str | None = None) -> list[dict]:
    """The `reconcile` events in a controller's --log-json output (optionally of one product), in order."""
    return [e for e in log_events(text, "reconcile") if product is None or e.get("product") == product]


def reconcile_count(log: Path, product: str) -> int:
    return len(reconcile_events(log.read_text(errors="replace"), product))


def test_controller_converges_reacts_and_stops_cleanly(workspace: Workspace, tmp_path: Path):
    commit(
        workspace.repos / "globex-widgets",
        {
            "test/broken.test.js": "import test from 'node:test';\nimport assert from 'node:assert';\n"
            "test('broken', () => assert.equal(1, 2));\n"
        },
        "feat: a feature with a failing test",
    )
    log = tmp_path / "controller.log"
    proc, url = start(workspace.fleet, log)
    try:
        healthy = {"acme-cli", "acme-report", "acme-text", "globex-hash"}
        wait_for(lambda: all(products(url)[n]["in_sync"] for n in healthy), 180, proc, log)
        # the failing product's reconcile fails and is backed off; the others are not held up by it
        backoff = '"event": "backoff", "product": "globex-widgets", "delay": 5.0'
        wait_for(lambda: backoff in log.read_text(), 120, proc, log)
        widgets = products(url)["globex-widgets"]
        assert widgets["in_sync"] is False and widgets["facets"]["build"]["state"] == "failed"
        # the backoff is recorded, so `cmctl explain` in another process can say the controller waits
        audit = json.loads(
            cmctl("audit", "--json", "-p", "globex-widgets", "--fleet", str(workspace.fleet)).stdout
        )
        backoffs = [r for r in audit if r["event"] == "controller.backoff"]
        assert backoffs and backoffs[0]["data"]["failures"] == 1 and backoffs[0]["data"]["delay"] == 5.0

        # a feat commit to a product repo is released with no command typed
        commit(workspace.repos / "acme-text", {"src/acme_text/extra.py": '"""x."""\n'}, "feat: extra")
        wait_for(
            lambda: "v0.3.0" in git(["tag", "--list"], workspace.repos / "acme-text").split(), 60, proc, log
        )

        # a new product committed to the fleet repo is picked up by the watcher and converged
        (workspace.fleet / "products" / "acme" / "acme-text-docs.yaml").write_text(
            "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {name: acme-text-docs, company: acme}\n"
            "spec:\n  source: {repo: ../repos/acme-text}\n  language: python\n"
        )
        git(["add", "-A"], workspace.fleet)
        git(["commit", "-qm", "docs site for acme-text"], workspace.fleet)
        wait_for(lambda: products(url).get("acme-text-docs", {}).get("in_sync") is True, 60, proc, log)
        assert (workspace.fleet / ".cmctl" / "sites" / "acme-text-docs" / "index.html").is_file()

        # writes need the token; webhooks need a valid signature
        assert httpx.post(f"{url}/api/products/acme-text/reconcile").status_code == 401
        body = json.dumps(
            {
                "ref": "refs/heads/main",
                "after": "x",
                "repository": {"clone_url": str(workspace.repos / "acme-text")},
            }
        ).encode()
        bad = httpx.post(f"{url}/hooks/git", content=body, headers={"X-Hub-Signature-256": "sha256=00"})
        assert bad.status_code == 401
        good_sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        good = httpx.post(f"{url}/hooks/git", content=body, headers={"X-Hub-Signature-256": good_sig})
        assert good.status_code == 202 and good.json() == {
            "queued": ["acme-text", "acme-text-docs"],
            "fleet": False,
        }

        # a burst of 100 requests for one product is a bounded number of reconciles, and at least one
        before, cli_before = reconciles(url), reconcile_count(log, "acme-cli")
        auth = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client() as client:
            for _ in range(100):
                assert client.post(f"{url}/api/products/acme-cli/reconcile", headers=auth).status_code == 202
        # once a reconcile of acme-cli is logged and the queue is empty, the burst's requests are all served:
        # queued requests for one product are one entry (at most one more reconcile while one runs)
        wait_for(
            lambda: reconcile_count(log, "acme-cli") > cli_before and queue_depth(url) == 0, 60, proc, log
        )
        assert 1 <= reconciles(url) - before <= 15  # 100 events -> a handful of reconciles (timers run too)
        assert httpx.get(f"{url}/openapi.json").json()["info"]["title"] == "Code Monkeys controller"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0, log.read_text()[-3000:]
    assert "controller stopped" in log.read_text()
    text = log.read_text()
    assert "setup plugin alembic" not in text  # no library chatter at start
    for line in text.splitlines():  # --log-json: every log record is one JSON object
        if line.startswith('{"at"'):
            json.loads(line)
    audit = json.loads(cmctl("audit", "--json", "-p", "acme-text", "--fleet", str(workspace.fleet)).stdout)
    applied = [r for r in audit if r["run_id"] is not None]
    assert applied and all(r["actor"].startswith("controller@") for r in applied), {
        r["actor"] for r in applied
    }


def test_kill_9_then_restart_converges_without_duplicates(workspace: Workspace, tmp_path: Path):
    log = tmp_path / "controller.log"
    proc, url = start(workspace.fleet, log)
    deadline = time.monotonic() + 180
    cut = 0
    while time.monotonic() < deadline and not cut:
        try:
            with db(workspace) as conn:
                cut = conn.execute(
                    "select count(*) from actions where kind='release.cut' and status='succeeded'"
                ).fetchone()[0]
        except Exception:  # the state database is being created
            cut = 0
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert cut, "no release was cut before the kill"

    proc, url = start(workspace.fleet, log)
    try:
        wait_for(lambda: all(p["in_sync"] for p in products(url).values()), 240, proc, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    for name in ("acme-text", "acme-report", "acme-cli", "globex-hash", "globex-widgets"):
        assert len(release_commits(workspace.repos / name)) == 1, name
    with db(workspace) as conn:
        statuses = [s for (s,) in conn.execute("select status from runs order by id")]
    assert "interrupted" in statuses


def test_a_fleet_followed_by_url_reacts_to_a_push_webhook(workspace: Workspace, tmp_path: Path, monkeypatch):
    """--fleet GIT_URL: the controller clones the fleet repo, and a signed push event for it makes it
    fetch and converge the change at once (without waiting for the poll)."""
    remote = tmp_path / "fleet.git"
    git(["clone", "--quiet", "--bare", str(workspace.fleet), str(remote)], tmp_path)
    # relative source paths resolve against the checkout: point them at the workspace's repos
    work = tmp_path / "edit"
    git(["clone", "--quiet", str(remote), str(work)], tmp_path)
    for f in (work / "products").rglob("*.yaml"):
        f.write_text(f.read_text().replace("repo: ../repos/", f"repo: {workspace.repos}/"))
    fleet_yaml = work / "fleet.yaml"
    fleet_yaml.write_text(fleet_yaml.read_text().replace("path: ../registry", f"path: {workspace.registry}"))
    git(["commit", "-qam", "absolute sources"], work)
    git(["push", "--quiet", "origin", "HEAD:main"], work)

    monkeypatch.setenv("CMCTL_HOME", str(tmp_path / "home"))
    url = remote.as_uri()
    log = tmp_path / "controller.log"
    proc, api = start(url, log, interval="10m")
    try:
        wait_for(lambda: products(api)["globex-hash"]["in_sync"] is True, 180, proc, log)
        (work / "products" / "globex" / "hash-docs.yaml").write_text(
            "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {name: hash-docs, company: globex}\n"
            f"spec:\n  source: {{repo: {workspace.repos}/globex-hash}}\n  language: rust\n"
        )
        git(["add", "-A"], work)
        git(["commit", "-qm", "docs for globex-hash"], work)
        git(["push", "--quiet", "origin", "HEAD:main"], work)
        body = json.dumps({"ref": "refs/heads/main", "after": "x", "repository": {"clone_url": url}}).encode()
        sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        r = httpx.post(f"{api}/hooks/git", content=body, headers={"X-Hub-Signature-256": sig})
        assert r.status_code == 202 and r.json()["fleet"] is True
        wait_for(lambda: products(api).get("hash-docs", {}).get("in_sync") is True, 60, proc, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0


def test_the_embedded_controller_reconciles_products_side_by_side_with_workers(tmp_path: Path):
    """`--workers 2` on SQLite: two worker threads take products of the in-memory queue at once (each
    apply locks only its product), so two independent 3-second builds overlap."""
    import yaml

    fleet = tmp_path / "fleet"
    (fleet / "products").mkdir(parents=True)
    env = {"apiVersion": "codemonkeys.dev/v1"}
    (fleet / "fleet.yaml").write_text(
        yaml.safe_dump(
            {**env, "kind": "Fleet", "metadata": {"name": "two"}, "spec": {"ci": {"default": "local"}}}
        )
    )
    rules = [{"id": "builds", "match": {"actions": ["build.run"]}}]
    spec = {"default": "deny", "rules": rules}
    (fleet / "constitution.yaml").write_text(
        yaml.safe_dump({**env, "kind": "Constitution", "metadata": {"name": "c"}, "spec": spec})
    )
    for name in ("left", "right"):
        repo = tmp_path / "repos" / name
        repo.mkdir(parents=True)
        git(["init", "-q", "-b", "main"], repo)
        (repo / "build.py").write_text("import time\ntime.sleep(3)\nprint('built')\n")
        git(["add", "."], repo)
        git(["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "feat: start"], repo)
        product = {
            "source": {"repo": f"../repos/{name}"},
            "language": "python",
            "build": {"command": [sys.executable, "build.py"]},
        }
        (fleet / "products" / f"{name}.yaml").write_text(
            yaml.safe_dump({**env, "kind": "Product", "metadata": {"name": name}, "spec": product})
        )
    git(["init", "-q", "-b", "main"], fleet)
    git(["add", "."], fleet)
    git(["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "fleet"], fleet)
    log = tmp_path / "controller.log"
    proc, url = start(fleet, log, interval="0", extra=("--workers", "2"))
    try:
        wait_for(lambda: all(p.get("in_sync") for p in products(url).values()), 120, proc, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    conn = sqlite3.connect(fleet / ".cmctl" / "state.db")
    try:
        spans = conn.execute(
            "select product, started_at, finished_at from actions where action_id like '%/build.run'"
        ).fetchall()
    finally:
        conn.close()
    assert len(spans) == 2, spans
    (_, a0, a1), (_, b0, b1) = spans
    assert a0 < b1 and b0 < a1, spans  # the two builds ran at the same time
