"""Scale-out of the controller on PostgreSQL (procrastinate's job queue), in one run so the ratios hold.

Run from the project root (needs Debian's postgresql, as the tests do)::

    PYTHONPATH=controller .venv/bin/python benchmarks/scale_out.py [--products 8] [--jobs-per-product 8]

A throwaway PostgreSQL cluster; a fleet of N independent products (each its own clone of the demo's
acme-text repo, a local build), converged once; then:

1. queries per no-change reconcile, counted with SQLAlchemy's ``before_cursor_execute`` on the store's
   engine (``FleetSession.reconcile`` in-process), and transactions per reconcile job with everything
   included (the queue's defer, fetch, dependency check, finish, heartbeats), from ``pg_stat_database``;
2. throughput: N x M no-change reconcile jobs queued at once, drained by 1, 2 and 4 real
   ``cmctl controller run --workers 1`` processes (and one process with ``--workers 4``): jobs/s from
   the queue's own event timestamps (first start to last finish);
3. small builds, the same process counts: R rounds of a new commit in every product's repo and one job
   per product, each job a reconcile that runs the product's local build (``build.run``: a worktree,
   ``python -c pass``, the result recorded); reconciles/s over the rounds' spans (first start to last
   finish of each round), transactions per job, and store queries of one build reconcile in-process;
4. enqueue-to-start latency (p50/p95) with 2 processes fed at half their measured throughput.
Only that every build job built is checked; figures are wall clock on this machine, ratios against
1 process in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import psycopg
from sqlalchemy import event

from codemonkeys.api import FleetSession, database_upgrade
from codemonkeys.context import Context
from codemonkeys.demo import init_workspace
from codemonkeys.repos import run as git
from codemonkeys.service.workers import QUEUE, RECONCILE_TASK

PRODUCT = """apiVersion: codemonkeys.dev/v1
kind: Product
metadata: {{name: {name}, company: acme}}
spec:
  source: {{repo: ../repos/{name}}}
  language: python
  build:
    want: green
    command: [python, -c, "pass"]
"""


def make_fleet(root: Path, url: str, products: int) -> Path:
    ws = init_workspace(root / "ws")
    fleet = ws.fleet
    shutil.rmtree(fleet / "products")
    (fleet / "products" / "acme").mkdir(parents=True)
    for i in range(products):
        name = f"bench-{i:02d}"
        git(["clone", "--quiet", str(ws.repos / "acme-text"), str(ws.repos / name)], root)
        (fleet / "products" / "acme" / f"{name}.yaml").write_text(PRODUCT.format(name=name))
    doc = (fleet / "fleet.yaml").read_text()
    (fleet / "fleet.yaml").write_text(doc.replace("spec:\n", f"spec:\n  state:\n    url: {url}\n", 1))
    git(["add", "-A"], fleet)
    git(["commit", "-qm", "bench fleet"], fleet)
    return fleet


def queries_per_reconcile(fleet: Path, rounds: int, build: bool = False) -> tuple[float, float]:
    """Store queries and seconds per in-process reconcile: no-change ones, or (``build``) ones that
    run a small build after a new commit in each product's repo."""
    session = FleetSession.open(fleet, Context.from_environ())
    counted = [0]

    def count(*_args) -> None:
        counted[0] += 1

    names = sorted(session.desired.products)
    seconds = 0.0
    event.listen(session.store.engine, "before_cursor_execute", count)
    for r in range(rounds):
        if build:
            event.remove(session.store.engine, "before_cursor_execute", count)
            new_commits(fleet, names, f"q{r}")
            event.listen(session.store.engine, "before_cursor_execute", count)
        started = time.monotonic()
        for name in names:
            done = session.reconcile(name)
            assert done.outcome == ("applied" if build else "in_sync"), (name, done.outcome)
        seconds += time.monotonic() - started
    n = rounds * len(names)
    session.store.engine.dispose()
    return counted[0] / n, seconds / n


def new_commits(fleet: Path, products: list[str], tag: str) -> None:
    """A new commit in each product's repo (a changed file): its build is due again."""
    for name in products:
        repo = fleet.parent / "repos" / name
        (repo / "bench.txt").write_text(f"{tag}\n")
        git(["add", "bench.txt"], repo)
        git(
            [
                "-c",
                "user.name=Bench",
                "-c",
                "user.email=bench@example.invalid",
                "commit",
                "-qm",
                f"chore: {tag}",
            ],
            repo,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(fleet: Path, workers: int, logs: Path) -> subprocess.Popen:
    argv = [sys.executable, "-m", "codemonkeys", "controller", "run", "--fleet", str(fleet)]
    argv += ["--listen", f"127.0.0.1:{free_port()}", "--interval", "1h", "--workers", str(workers)]
    return subprocess.Popen(argv, stdout=logs.open("ab"), stderr=subprocess.STDOUT, env=os.environ.copy())


def queue_jobs(conninfo: str, products: list[str], per_product: int, reason: str = "bench") -> None:
    """Jobs with a lock per product but no queueing lock (so they do not collapse)."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo))
    with app.open():
        for _ in range(per_product):
            for name in products:
                app.configure_task(RECONCILE_TASK, queue=QUEUE, lock=name).defer(
                    product=name, reason=reason, enqueued_at=time.time(), failures=0, digest=None
                )


def no_change_jobs(conninfo: str, products: list[str], per_product: int):
    """A feed for ``drain``: N x M no-change reconcile jobs at once."""
    return lambda conn: queue_jobs(conninfo, products, per_product)


def build_jobs(conninfo: str, fleet: Path, products: list[str], rounds: int, label: str):
    """A feed for ``drain``: ``rounds`` times, a new commit in every product's repo, one job per
    product (reason ``bench-<round>``), and wait until they are done."""

    def feed(conn) -> None:
        for r in range(rounds):
            new_commits(fleet, products, f"{label}-{r}")
            queue_jobs(conninfo, products, 1, reason=f"bench-{r}")
            while open_jobs(conn):
                time.sleep(0.05)

    return feed


def open_jobs(conn) -> int:
    return conn.execute(
        "select count(*) from procrastinate_jobs where status in ('todo', 'doing')"
    ).fetchone()[0]


def drain(conninfo: str, fleet: Path, feed, procs: int, workers: int, logs: Path) -> tuple[float, int, float]:
    """Start the processes, wait for them to take the startup jobs, ``feed`` the bench jobs, wait until
    drained; (jobs/s over the spans of the jobs of each reason, jobs, transactions per job)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("delete from procrastinate_jobs")
        running = [start(fleet, workers, logs) for _ in range(procs)]
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # every process registered and the startup jobs done
                n = conn.execute("select count(*) from procrastinate_workers").fetchone()[0]
                if n >= procs and open_jobs(conn) == 0:
                    break
                time.sleep(0.2)
            conn.execute("delete from procrastinate_jobs")
            db = conn.execute("select current_database()").fetchone()[0]
            tx0 = conn.execute("select xact_commit from pg_stat_database where datname=%s", (db,)).fetchone()[
                0
            ]
            feed(conn)
            while open_jobs(conn):
                time.sleep(0.1)
            tx1 = conn.execute("select xact_commit from pg_stat_database where datname=%s", (db,)).fetchone()[
                0
            ]
            seconds, jobs = conn.execute(
                "select sum(extract(epoch from last - first)), sum(n) from ("
                "select min(e.at) filter (where e.type = 'started') as first, "
                "max(e.at) filter (where e.type = 'succeeded') as last, count(distinct j.id) as n "
                "from procrastinate_jobs j join procrastinate_events e on e.job_id = j.id "
                "where j.args->>'reason' like 'bench%%' group by j.args->>'reason') spans"
            ).fetchone()
        finally:
            for p in running:
                p.send_signal(signal.SIGTERM)
            for p in running:
                p.wait(timeout=60)
    return float(jobs) / float(seconds), int(jobs), (tx1 - tx0) / float(jobs)


def latency(
    conninfo: str, fleet: Path, products: list[str], jobs: int, gap: float, logs: Path
) -> list[float]:
    import procrastinate

    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("delete from procrastinate_jobs")
        running = [start(fleet, 1, logs) for _ in range(2)]
        app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo))
        try:
            while conn.execute("select count(*) from procrastinate_workers").fetchone()[0] < 2 or open_jobs(
                conn
            ):
                time.sleep(0.2)
            with app.open():
                for i in range(jobs):
                    name = products[i % len(products)]
                    app.configure_task(RECONCILE_TASK, queue=QUEUE, lock=name).defer(
                        product=name, reason="latency", enqueued_at=time.time(), failures=0, digest=None
                    )
                    time.sleep(gap)
            while open_jobs(conn):
                time.sleep(0.1)
            rows = conn.execute(
                "select extract(epoch from max(e.at) filter (where e.type = 'started') - "
                "min(e.at) filter (where e.type = 'deferred')) from procrastinate_jobs j "
                "join procrastinate_events e on e.job_id = j.id where j.args->>'reason' = 'latency' "
                "group by j.id"
            ).fetchall()
        finally:
            for p in running:
                p.send_signal(signal.SIGTERM)
            for p in running:
                p.wait(timeout=60)
    return sorted(float(r[0]) for r in rows if r[0] is not None)


def builds(conn) -> int:
    """Builds that ran (journaled ``build.run`` actions that succeeded)."""
    return conn.execute(
        "select count(*) from actions where kind='build.run' and status='succeeded'"
    ).fetchone()[0]


def pgbench_tps(cluster, db: str, seconds: int = 5) -> float:
    """Read-only transactions per second this cluster serves (``pgbench -S``, 4 clients): the
    database's side of the capacity estimate."""
    pgbench = [
        str(cluster.bin_dir / "pgbench"),
        "-h",
        "127.0.0.1",
        "-p",
        str(cluster.port),
        "-U",
        cluster.user,
    ]
    subprocess.run([*pgbench, "-i", "-q", "-s", "1", db], check=True, capture_output=True)
    out = subprocess.run(
        [*pgbench, "-n", "-S", "-c", "4", "-j", "2", "-T", str(seconds), db],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("tps"))
    return float(line.split("=")[1].split()[0])


def main() -> None:
    from servers.postgres import start_cluster

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=8)
    parser.add_argument("--jobs-per-product", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="in-process reconciles per product (queries)")
    parser.add_argument("--build-rounds", type=int, default=3, help="small-build jobs per product and mode")
    args = parser.parse_args()
    cluster = start_cluster()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = cluster.new_database()
            url = cluster.url(db)
            conninfo = url.replace("postgresql+psycopg://", "postgresql://")
            fleet = make_fleet(Path(tmp), url, args.products)
            ctx = Context.from_environ()
            database_upgrade(fleet, ctx)
            session = FleetSession.open(fleet, ctx)
            report = session.apply(session.plan(), parallelism=4).report
            assert report.ok, "the bench fleet did not converge"
            session.store.engine.dispose()
            per_reconcile, seconds = queries_per_reconcile(fleet, args.rounds)
            build_queries, build_seconds = queries_per_reconcile(fleet, 1, build=True)
            products = [f"bench-{i:02d}" for i in range(args.products)]
            logs = Path(tmp) / "controllers.log"
            rates, build_rates = {}, {}
            modes = ((1, 1), (2, 1), (4, 1), (1, 4))
            for procs, workers in modes:
                feed = no_change_jobs(conninfo, products, args.jobs_per_product)
                rates[(procs, workers)] = drain(conninfo, fleet, feed, procs, workers, logs)
            for procs, workers in modes:
                with psycopg.connect(conninfo) as conn:
                    built0 = builds(conn)
                feed = build_jobs(conninfo, fleet, products, args.build_rounds, f"p{procs}w{workers}")
                build_rates[(procs, workers)] = drain(conninfo, fleet, feed, procs, workers, logs)
                with psycopg.connect(conninfo) as conn:
                    built = builds(conn) - built0
                assert built == args.build_rounds * len(products), (procs, workers, built)
            gap = 2.0 / rates[(2, 1)][0]  # half the capacity of 2 processes: the queue stays short
            lat = latency(conninfo, fleet, products, 30, gap, logs)
            tps = pgbench_tps(cluster, cluster.new_database())
    finally:
        cluster.stop()
    print(f"fleet: {args.products} independent products, no-change reconciles, {os.cpu_count()} CPUs")
    print(
        f"in-process reconcile: {seconds * 1e3:.0f} ms, {per_reconcile:.1f} store queries per reconcile "
        "(SQLAlchemy before_cursor_execute)"
    )
    print(
        f"in-process reconcile with a small build: {build_seconds * 1e3:.0f} ms, {build_queries:.1f} store "
        "queries per reconcile"
    )
    for title, table in (("no-change reconciles", rates), ("small builds", build_rates)):
        base = table[(1, 1)][0]
        print(f"{title}:")
        for (procs, workers), (rate, jobs, tx) in table.items():
            print(
                f"  {procs} process(es) x --workers {workers}: {jobs} jobs, {rate:6.2f} reconciles/s "
                f"({rate / base:4.2f}x of 1 process), {tx:.1f} transactions per job (all included)"
            )
    p50, p95 = statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]
    tx = rates[(1, 1)][2]
    per_process = rates[(1, 1)][0]
    print(
        f"PostgreSQL here: {tps:.0f} read-only tx/s (pgbench -S, 4 clients) / {tx:.1f} tx per reconcile = "
        f"{tps / tx:.0f} reconciles/s, i.e. about {tps / tx / per_process:.0f} worker processes at "
        f"{per_process:.2f} reconciles/s each before the database is the bottleneck"
    )
    print(
        f"enqueue-to-start latency, 2 processes at half load: p50 {p50 * 1e3:.0f} ms, p95 {p95 * 1e3:.0f} ms"
    )


if __name__ == "__main__":
    main()
