"""Reconciles as jobs shared by controller processes on several machines (PostgreSQL + procrastinate).

When the fleet's state is on PostgreSQL, ``cmctl controller run --workers N`` swaps the in-memory
``WorkQueue`` for this module: every trigger of any process (watch, poll, webhooks, API, approvals,
resync) defers a ``codemonkeys.reconcile`` job, and every process runs a procrastinate worker taking up
to N of them at once.

* ``lock=<product>``: never two reconciles of a product at once, in any process; ``queueing_lock=
  <product>``: at most one waiting job per product, so a burst collapses (``AlreadyEnqueued`` means "it
  is already queued": a delayed job is then brought forward, like the in-memory queue's merge).
* dependency order: a job whose product depends (transitively) on a product with a job running or
  waiting is deferred again after a short delay (``JobQueue.dependencies_busy``), and counted as a lock wait.
  A reconcile applies its own product's actions only (``plan.partial``): one whose actions wait for a
  dependency's queues that dependency and is queued again with a backoff, so the job lock of a product
  covers everything its reconcile touches.
* what a dead worker leaves: its job stays ``doing``; the elected process (``service/election.py``)
  finds jobs whose worker's heartbeat is older than ``stalled_after`` and queues them again
  (``recover_stalled``; a job whose product is queued meanwhile is finished as failed instead: the
  queued one does the work). The journal makes the next reconcile resume (its dead run is marked
  interrupted and the actuators check the world before they act).
* ``cluster_status``: the processes (by their election connection's ``application_name``), the
  workers' heartbeats and the job each is doing, for ``cmctl controller status``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("codemonkeys.workers")

RECONCILE_TASK = "codemonkeys.reconcile"
QUEUE = "reconcile"
APP_NAME = "cmctl-controller"  # application_name prefix of a controller process's election connection
ELECTION_KEY = (0x636D, 0x6C656164)  # ("cm", "lead"): the advisory lock of the elected process


def conninfo_of(engine) -> str:
    """A libpq connection string (URL form, credentials included) for a SQLAlchemy engine's database."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def process_label() -> str:
    """How this process is named in metrics and ``cmctl controller status``: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def controller_identity() -> str:
    """Who a controller process is in the audit log: ``controller@host`` (the people who caused its work
    are in their own records: the approval, the reconcile request)."""
    return f"controller@{socket.gethostname()}"


@dataclass(frozen=True)
class ReconcileJob:
    """One reconcile job as a worker receives it."""

    id: int
    product: str
    reason: str
    enqueued_at: float
    failures: int
    digest: str | None
    waits: int = 0  # looks in a row that found it waiting (busy, or drifting for a dependency): backoff


class JobQueue:
    """The producer side (any thread of any process): defer reconciles; the same ``add``, ``depth`` and
    ``failures`` as the in-memory ``WorkQueue`` so triggers and the HTTP API do not care which it is."""

    def __init__(self, conninfo: str, digest: Callable[[], str | None] = lambda: None):
        import procrastinate

        self.app = procrastinate.App(
            connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo, min_size=1, max_size=4)
        )
        self.app.open()
        self._digest = digest
        self._failures: dict[str, int] = {}
        self._closed = False
        self.merged_total = 0

    @property
    def connector(self):
        """procrastinate's synchronous connector (a psycopg pool)."""
        return self.app.connector

    def add(
        self,
        product: str,
        reason: str,
        delay: float = 0.0,
        failures: int = 0,
        waits: int = 0,
        priority: int = 0,
    ) -> None:
        """Queue a reconcile of ``product`` in ``delay`` seconds; merged into a job already waiting (a
        waiting job due later is brought forward to ``delay``). ``failures`` and ``waits`` travel with
        the job (how many reconciles failed, and how many looks found it waiting, in a row); a higher
        ``priority`` is taken first."""
        from procrastinate.exceptions import AlreadyEnqueued

        if self._closed:
            return
        try:
            self.app.configure_task(
                RECONCILE_TASK,
                queue=QUEUE,
                lock=product,
                queueing_lock=product,
                schedule_in={"seconds": delay} if delay > 0 else None,
                priority=priority,  # a follow-up of work under way goes before older jobs
            ).defer(
                product=product,
                reason=reason,
                enqueued_at=time.time(),
                failures=failures,
                digest=self._digest(),
                waits=waits,
            )
        except AlreadyEnqueued:
            self.merged_total += 1
            self.connector.execute_query(
                "UPDATE procrastinate_jobs SET scheduled_at = now() + make_interval(secs => %(delay)s) "
                "WHERE queueing_lock = %(product)s AND status = 'todo' "
                "AND scheduled_at > now() + make_interval(secs => %(delay)s)",
                product=product,
                delay=float(delay),
            )

    def depth(self) -> int:
        """How many reconciles wait in the queue, in the whole set of processes."""
        return self.backlog()[0]

    def backlog(self) -> tuple[int, float]:
        """Jobs waiting (due now or later) and the age in seconds of the oldest one due."""
        row = self.connector.execute_query_one(
            "SELECT count(*) AS n, coalesce(extract(epoch FROM now()) - "
            "min((args->>'enqueued_at')::float) FILTER (WHERE scheduled_at IS NULL OR scheduled_at <= now()),"
            " 0) AS age FROM procrastinate_jobs WHERE queue_name = %(q)s AND status = 'todo'",
            q=QUEUE,
        )
        return int(row["n"]), float(row["age"])

    def failures(self, product: str) -> int:
        """How many reconciles of ``product`` failed in a row (as last seen by this process)."""
        return self._failures.get(product, 0)

    def set_failures(self, product: str, n: int) -> None:
        """Remember the failure count a job carried (0 after a success)."""
        if n:
            self._failures[product] = n
        else:
            self._failures.pop(product, None)

    def set_dependencies(self, _depends_on) -> None:
        """Nothing to do: jobs check their dependencies when they start (``dependencies_busy``)."""

    def dependencies_busy(self, products: Iterable[str]) -> list[str]:
        """Which of ``products`` have a reconcile running or waiting anywhere (sorted): like the in-memory
        queue, a dependency waiting out a backoff holds its dependents back too."""
        names = sorted(set(products))
        if not names:
            return []
        rows = self.connector.execute_query_all(
            "SELECT DISTINCT lock FROM procrastinate_jobs WHERE queue_name = %(q)s AND lock = ANY(%(names)s) "
            "AND status IN ('doing', 'todo')",
            q=QUEUE,
            names=names,
        )
        return sorted(r["lock"] for r in rows)

    # --- duties of the elected process -----------------------------------------------------------

    def recover_stalled(self, stalled_after: float) -> list[tuple[str, str]]:
        """Jobs ``doing`` on a worker whose heartbeat is older than ``stalled_after`` seconds (or that
        is gone) are queued again; one whose product has a job waiting already is finished as failed.
        Returns (product, "retried"|"failed") pairs."""
        from procrastinate import sql
        from procrastinate.exceptions import UniqueViolation

        rows = self.connector.execute_query_all(
            sql.queries["select_stalled_jobs_by_heartbeat"],
            queue=QUEUE,
            task_name=None,
            seconds_since_heartbeat=stalled_after,
        )
        done = []
        for row in rows:
            try:
                self.app.job_manager.retry_job_by_id(job_id=row["id"], retry_at=datetime.now(UTC))
                done.append((row["lock"], "retried"))
            except UniqueViolation:
                self.connector.execute_query(
                    sql.queries["finish_job"], job_id=row["id"], status="failed", delete_job=False
                )
                done.append((row["lock"], "failed"))
        return done

    def remove_old_jobs(self, hours: int) -> None:
        """Delete finished jobs (succeeded or failed) older than ``hours`` (procrastinate keeps them)."""
        from procrastinate import sql

        self.connector.execute_query(
            sql.queries["delete_old_jobs"], nb_hours=hours, queue=QUEUE, statuses=["succeeded", "failed"]
        )

    def close(self) -> None:
        """Defer nothing from now on (the pool stays open for status reads until ``dispose``)."""
        self._closed = True

    def dispose(self) -> None:
        """Close the connection pool."""
        self._closed = True
        self.app.close()


class WorkerSet:
    """The consumer side: one procrastinate worker running up to ``concurrency`` reconciles at once in
    threads, in an event loop of its own thread; restarted with backoff when the database goes away."""

    def __init__(
        self,
        conninfo: str,
        concurrency: int,
        handler: Callable[[ReconcileJob], None],
        heartbeat: float = 5.0,
        stalled_after: float = 20.0,
        poll: float = 1.0,
    ):
        import procrastinate
        from procrastinate.worker import Worker

        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=conninfo, min_size=1, max_size=concurrency + 2)
        )

        @self.app.task(name=RECONCILE_TASK, queue=QUEUE, pass_context=True)
        def reconcile(
            context,
            product: str,
            reason: str = "",
            enqueued_at: float = 0.0,
            failures: int = 0,
            digest: str | None = None,
            waits: int = 0,
        ) -> None:
            job = ReconcileJob(
                context.job.id, product, reason, enqueued_at or time.time(), failures, digest, waits
            )
            handler(job)

        self.worker = Worker(
            self.app,
            queues=[QUEUE],
            name=process_label(),
            concurrency=concurrency,
            install_signal_handlers=False,
            update_heartbeat_interval=heartbeat,
            stalled_worker_timeout=stalled_after,
            fetch_job_polling_interval=poll,
        )
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._main, name="cm-jobs", daemon=True)

    @property
    def worker_id(self) -> int | None:
        """procrastinate's id of this process's worker (its row in ``procrastinate_workers``)."""
        return self.worker.worker_id

    def start(self) -> None:
        """Start taking jobs."""
        self._thread.start()

    def _main(self) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                asyncio.run(self._run())
            except Exception as exc:  # the database went away: reconnect with backoff
                log.warning('{"event": "worker.disconnected", "error": %r}', type(exc).__name__)
            if self._stopping.is_set():
                return
            delay = 1.0 if time.monotonic() - started > 60 else min(delay * 2, 30.0)
            self._stopping.wait(delay)

    async def _run(self) -> None:
        async with self.app.open_async():
            if self._stopping.is_set():
                return
            await self.worker.run()

    def stop(self, timeout: float = 60.0) -> None:
        """Take no more jobs; the ones running finish (up to ``timeout``)."""
        self._stopping.set()
        self.worker.stop()
        self._thread.join(timeout=timeout)


def cluster_status(conninfo: str) -> dict[str, Any]:
    """The set of controller processes on one database: each process (host, pid, procrastinate worker
    id, elected or not, its worker's heartbeat and the products it is reconciling) and the queue."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(conninfo, autocommit=True, row_factory=dict_row) as conn:
        procs = conn.execute(
            "SELECT a.pid AS backend, a.application_name AS name, a.backend_start AS since, EXISTS ("
            "  SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted"
            "  AND l.classid = %s AND l.objid = %s) AS elected"
            " FROM pg_stat_activity a WHERE a.application_name LIKE %s ORDER BY a.backend_start",
            (ELECTION_KEY[0], ELECTION_KEY[1], APP_NAME + " %"),
        ).fetchall()
        workers = {
            r["id"]: r
            for r in conn.execute(
                "SELECT id, last_heartbeat, extract(epoch FROM now() - last_heartbeat) AS age "
                "FROM procrastinate_workers"
            ).fetchall()
        }
        doing = conn.execute(
            "SELECT j.id, j.lock AS product, j.worker_id, (SELECT max(e.at) FROM procrastinate_events e "
            "WHERE e.job_id = j.id AND e.type = 'started') AS started FROM procrastinate_jobs j "
            "WHERE j.queue_name = %s AND j.status = 'doing' ORDER BY j.id",
            (QUEUE,),
        ).fetchall()
        queue = conn.execute(
            "SELECT count(*) FILTER (WHERE scheduled_at IS NULL OR scheduled_at <= now()) AS due, "
            "count(*) AS waiting, coalesce(extract(epoch FROM now()) - min((args->>'enqueued_at')::float) "
            "FILTER (WHERE scheduled_at IS NULL OR scheduled_at <= now()), 0) AS oldest_age "
            "FROM procrastinate_jobs WHERE queue_name = %s AND status = 'todo'",
            (QUEUE,),
        ).fetchone()
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    for p in procs:
        _, host, pid, wid, concurrency = [*p["name"].split(" "), "", "", "", ""][:5]
        worker_id = int(wid[1:]) if wid.startswith("w") and wid[1:].isdigit() else None
        w = workers.get(worker_id) if worker_id is not None else None
        seen.add(worker_id or -1)
        out.append(
            {
                "host": host,
                "pid": int(pid) if pid.isdigit() else None,
                "worker_id": worker_id,
                "concurrency": int(concurrency[1:]) if concurrency[1:].isdigit() else None,
                "elected": bool(p["elected"]),
                "since": p["since"].isoformat(timespec="seconds"),
                "heartbeat": w["last_heartbeat"].isoformat(timespec="seconds") if w else None,
                "heartbeat_age": round(float(w["age"]), 1) if w else None,
                "doing": [_doing(j) for j in doing if worker_id is not None and j["worker_id"] == worker_id],
            }
        )
    orphans = [_doing(j) for j in doing if j["worker_id"] not in seen]
    return {
        "processes": out,
        "stalled_or_unknown": orphans,
        "queue": {
            "due": int(queue["due"]),
            "waiting": int(queue["waiting"]),
            "oldest_age": round(float(queue["oldest_age"]), 1),
        },
    }


def _doing(job: dict) -> dict[str, Any]:
    started = job["started"]
    return {
        "job": job["id"],
        "product": job["product"],
        "worker_id": job["worker_id"],
        "started": started.isoformat(timespec="seconds") if started else None,
    }
