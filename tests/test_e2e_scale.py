"""Controllers in several real processes on one fleet, sharing a real PostgreSQL (procrastinate's job
queue): they converge; the elected process killed with -9 in the middle of releases hands its duties
to another within 10 s and its stalled jobs are recovered, with exactly one release commit, tag and
upload per product; a burst of 500 API events collapses to a few reconciles per product; no two
applies of one product overlap (journal timestamps); the audit chain verifies; ``cmctl controller
status`` lists the processes; after a database restart they reconnect and carry on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from conftest import cmctl
from test_e2e_controller import TOKEN, free_port, reconcile_events
from test_e2e_engine import RELEASED, release_commits
from test_e2e_postgres import point_state_at

pytestmark = pytest.mark.slow

ENV = {"CM_TEST_PG_USER": "postgres"}


def start(fleet: Path, log: Path, workers: int = 2) -> tuple[subprocess.Popen, str]:
    """A real `cmctl controller run --workers N` on a free port; returns once it answers /readyz."""
    port = free_port()
    env = {**os.environ, **ENV, "CMCTL_API_TOKEN": TOKEN, "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "codemonkeys", "controller", "run", "--fleet", str(fleet)]
    argv += ["--listen", f"127.0.0.1:{port}", "--interval", "1h", "--log-json"]
    argv += ["--workers", str(workers), "--heartbeat", "0.5"]
    proc = subprocess.Popen(argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(f"{url}/readyz").status_code == 200, 30, [(proc, log)])
    return proc, url


def wait_until(check: Callable[[], bool], timeout: float, procs: list) -> float:
    """Seconds until ``check()`` holds; fails if it does not within ``timeout`` or a process exits."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        for proc, log in procs:
            assert proc.poll() is None, f"a controller exited:\n{log.read_text()[-3000:]}"
        try:
            if check():
                return time.monotonic() - started
        except (httpx.HTTPError, psycopg.Error):
            pass
        time.sleep(0.1)
    logs = "\n".join(log.read_text()[-2000:] for _, log in procs)
    raise AssertionError(f"timed out; logs:\n{logs}")


def status(fleet: Path) -> dict:
    r = cmctl("controller", "status", "--fleet", str(fleet), "--json", env=ENV)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def elected(conninfo: str) -> set[int]:
    """The pids of the controller processes holding the election lock (read from the database)."""
    from codemonkeys.service.workers import cluster_status

    return {p["pid"] for p in cluster_status(conninfo)["processes"] if p["elected"]}


def all_in_sync(url: str) -> bool:
    return all(p["in_sync"] for p in httpx.get(f"{url}/api/products").json())


def reconcile_count_all(logs: list[Path], product: str) -> int:
    return sum(len(reconcile_events(log.read_text(), product)) for log in logs if log.exists())


def idle(conninfo: str) -> bool:
    from codemonkeys.service.workers import cluster_status

    doc = cluster_status(conninfo)
    return doc["queue"]["waiting"] == 0 and not any(p["doing"] for p in doc["processes"])


def test_worker_processes_share_the_fleet_and_survive_kill_9(
    workspace: Workspace, postgres_cluster, postgres_url: str, tmp_path: Path
):
    fleet = workspace.fleet
    point_state_at(fleet, postgres_url)
    conninfo = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    refused = cmctl("controller", "run", "--fleet", str(fleet), "--workers", "2", env=ENV)
    assert refused.returncode == 1 and "cmctl db upgrade" in refused.stderr, refused.stderr
    assert cmctl("db", "upgrade", "--fleet", str(fleet), env=ENV).returncode == 0
    again = cmctl("db", "upgrade", "--fleet", str(fleet), env=ENV)  # idempotent, queue schema included
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout + again.stderr

    logs = [tmp_path / f"controller-{i}.log" for i in range(3)]
    (p1, url1), (p2, url2) = start(fleet, logs[0]), start(fleet, logs[1])
    procs = [(p1, logs[0]), (p2, logs[1])]
    try:
        # kill -9 the elected process while it runs a job, once a release is cut
        def elected_and_busy() -> bool:
            with psycopg.connect(conninfo) as conn:
                cut = conn.execute(
                    "select count(*) from actions where kind='release.cut' and status='succeeded'"
                ).fetchone()[0]
            from codemonkeys.service.workers import cluster_status

            doc = cluster_status(conninfo)
            return cut > 0 and any(p["elected"] and p["doing"] for p in doc["processes"])

        wait_until(elected_and_busy, 120, procs)
        (leader,) = elected(conninfo)
        victim, survivor = (p1, p2) if leader == p1.pid else (p2, p1)
        assert leader == victim.pid
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        procs = [(p, log) for p, log in procs if p is survivor]
        failover = wait_until(lambda: elected(conninfo) == {survivor.pid}, 10, procs)
        p3, url3 = start(fleet, logs[2])
        procs.append((p3, logs[2]))
        url = url2 if survivor is p2 else url1
        converged = wait_until(lambda: all_in_sync(url) and idle(conninfo), 180, procs)

        for name, version in RELEASED.items():
            repo = workspace.repos / name
            assert release_commits(repo) == [f"chore(release): {name} {version}"], name
            assert git(["tag", "--list", f"v{version}"], repo).split() == [f"v{version}"]
        with psycopg.connect(conninfo) as conn:
            uploads = conn.execute(
                "select product, count(*) from actions where kind like 'release.publish%%' "
                "and status='succeeded' group by product"
            ).fetchall()
            recovered = conn.execute(
                "select count(*) from procrastinate_jobs where status='todo' or status='doing'"
            ).fetchone()[0]
            spans = conn.execute(
                "select product, run_id, min(started_at), max(finished_at) from actions "
                "where started_at is not null and finished_at is not null "
                "group by product, run_id order by product, 3"
            ).fetchall()
        assert uploads and all(n == 1 for _, n in uploads), uploads
        assert recovered == 0
        assert "job.recovered" in logs[0].read_text() + logs[1].read_text()

        # a burst of 500 API events, spread over two processes, collapses
        mark = {i: len(reconcile_events(logs[i].read_text())) for i in range(3)}
        names = sorted(RELEASED)
        heads = {"authorization": f"Bearer {TOKEN}"}
        targets = [
            (url, url3)[i % 2] + f"/api/products/{names[i % len(names)]}/reconcile" for i in range(500)
        ]
        started = time.monotonic()
        with httpx.Client(headers=heads) as client, ThreadPoolExecutor(32) as pool:
            codes = list(pool.map(lambda u: client.post(u).status_code, targets))
        burst = time.monotonic() - started
        assert codes == [202] * 500
        settled = wait_until(lambda: idle(conninfo), 60, procs)
        after = [e for i in range(3) for e in reconcile_events(logs[i].read_text())[mark[i] :]]
        per_product = {n: sum(1 for e in after if e["product"] == n) for n in names}
        # the events for each product collapse: while the burst lasts a product has at most one job
        # waiting (queueing lock) and one running (job lock), so its reconciles run back to back at most: no
        # more than fit into the burst's duration at their own mean duration, plus the one in flight and
        # the one queued when it ends (a fast no-op reconcile during a burst stretched over seconds by a
        # busy machine runs more often than a slow one). Without the queueing lock it would be every event.
        assert all(n >= 1 for n in per_product.values()), per_product
        for name, count in per_product.items():
            durations = [e["duration"] for e in after if e["product"] == name]
            fits = burst / (sum(durations) / len(durations))
            assert count <= fits + 3, (name, count, round(burst, 2), durations)
        assert sum(per_product.values()) < 250, (per_product, burst)

        # no two applies of one product overlapped (journal timestamps)
        last: dict[str, object] = {}
        for product, _run, begin, end in spans:
            assert end is not None
            if product in last:
                assert begin >= last[product], (product, begin, last[product])
            last[product] = end

        doc = status(fleet)
        assert len(doc["processes"]) == 2 and sum(p["elected"] for p in doc["processes"]) == 1, doc
        assert all(p["heartbeat_age"] is not None and p["heartbeat_age"] < 5 for p in doc["processes"])
        text = cmctl("controller", "status", "--fleet", str(fleet), env=ENV)
        assert text.returncode == 0 and "(elected)" in text.stdout and "2 process(es)" in text.stdout
        metrics = httpx.get(f"{url3}/metrics").text
        assert "codemonkeys_job_start_latency_seconds_count" in metrics
        assert 'codemonkeys_jobs_running{worker="' in metrics
        # the database restarts: the processes reconnect and carry on (an elected one again, jobs run)
        pg_ctl = [*postgres_cluster.as_user, str(postgres_cluster.bin_dir / "pg_ctl")]
        root = postgres_cluster.root
        restart = ["-D", str(root / "data"), "-l", str(root / "postgres.log"), "-m", "fast", "-w", "restart"]
        subprocess.run([*pg_ctl, *restart], check=True, capture_output=True, timeout=60)
        count = reconcile_count_all(logs, "acme-text")
        with httpx.Client(headers=heads) as client:
            post = f"{url3}/api/products/acme-text/reconcile"
            wait_until(lambda: client.post(post).status_code == 202, 30, procs)
        wait_until(
            lambda: reconcile_count_all(logs, "acme-text") > count and len(elected(conninfo)) == 1, 60, procs
        )
        verify = cmctl("audit", "verify", "--fleet", str(fleet), env=ENV)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        print(
            f"failover {failover:.1f}s, converged {converged:.1f}s after, burst of 500 sent in {burst:.1f}s, "
            f"settled {settled:.1f}s after, reconciles {per_product}"
        )
    finally:
        for proc, _ in procs:
            proc.send_signal(signal.SIGTERM)
        for proc, log in procs:
            assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]


def test_workers_need_postgresql_and_the_db_password_is_redacted(workspace: Workspace):
    """--workers on an SQLite state is refused with a clear message; the state database's password is
    among the values the Redactor hides."""
    from codemonkeys.act.base import Redactor
    from codemonkeys.context import Secrets
    from codemonkeys.load import load_fleet

    r = cmctl("controller", "run", "--fleet", str(workspace.fleet), "--workers", "2")
    assert r.returncode == 1 and "needs the fleet's state on PostgreSQL" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    doc = (workspace.fleet / "fleet.yaml").read_text()
    state = (
        "spec:\n  state:\n    url: postgresql+psycopg://db.example/cm\n    credentials:\n"
        "      usernameEnv: CM_PG_USER\n      passwordEnv: CM_PG_PASSWORD\n"
    )
    (workspace.fleet / "fleet.yaml").write_text(doc.replace("spec:\n", state, 1))
    desired, diags = load_fleet(workspace.fleet)
    assert desired is not None, diags
    redact = Redactor.for_fleet(desired, Secrets({"CM_PG_PASSWORD": "s3cret-pg-pw", "CM_PG_USER": "cm"}))
    assert redact("connect to postgresql://cm:s3cret-pg-pw@db") == "connect to postgresql://cm:***@db"
