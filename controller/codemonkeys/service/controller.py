"""The long-running controller: reconcile on every fleet change, webhook, timer and API call.

Triggers feed the work queue (service/queue.py); one worker takes products from it and runs the same
library call as any front end (``FleetSession.reconcile``: plan, apply, refresh; same journal, same audit).

* fleet changes: ``watchfiles`` on the fleet working tree and on its git repository's HEAD and refs
  (debounced) reloads the fleet and queues every product, so an edit, a commit and a ``git pull`` are
  each seen; an invalid fleet keeps the last valid one and logs the diagnostics;
* timers: each product is resynced every ``interval``, at its own fixed phase of the interval (from
  its name: ``next_resync``), so a fleet's resyncs spread evenly over the interval instead of coming in
  bursts, and a process taking over the duty keeps the schedule; this also catches drift nobody
  committed (a failed build, a deleted tag, a missing registry version). ``interval`` 0 turns the
  timers off (no resync, no fleet poll): only the events below reconcile, as Argo CD's
  ``timeout.reconciliation: 0s``;
* approvals given with ``cmctl approve`` wake their product (the approvals table is polled);
* webhooks and ``POST /api/products/NAME/reconcile`` queue the products they concern (on the job
  queue a second from now: events of a burst merge).

SIGTERM / SIGINT stop the queue, let the action in flight finish, journal the rest as interrupted and
exit 0. After a kill -9, the next start marks the dead run interrupted and converges from observation.

With ``workers`` (``--workers N``, the fleet's state on PostgreSQL) the queue is the database's
(``service/workers.py``): any number of processes on any machines share it, each running N reconciles at
once; the timers' fleet-wide duties (resync, approvals, stalled-job recovery, pruning old jobs) run in
the one elected process (``service/election.py``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from codemonkeys.api import (
    BACKOFF_EVENT,
    STATE_DIR,
    Context,
    FleetBusy,
    FleetSession,
    GitError,
    Reconciled,
    ReconcileOutcome,
    load_fleet,
)
from codemonkeys.api.tools import clear_presence, write_presence
from codemonkeys.service.events import ActionEvents, EventBus
from codemonkeys.service.fleetsource import RemoteFleet
from codemonkeys.service.metrics import Metrics
from codemonkeys.service.queue import WorkQueue
from codemonkeys.service.workers import controller_identity, process_label
from codemonkeys.vocab.plan import FacetState, Verdict

log = logging.getLogger("codemonkeys.controller")


PRESENCE_EVERY_S = 5.0  # how often the controller refreshes its record in the state directory


def git_dir_of(root: Path) -> Path | None:
    """The git directory of the repository holding ``root`` (``.git`` here or in a parent; a worktree's
    ``.git`` file followed), or None outside a repository."""
    for d in (root, *root.parents):
        dot = d / ".git"
        if dot.is_dir():
            return dot.resolve()
        if dot.is_file():
            text = dot.read_text(errors="replace").strip()
            if text.startswith("gitdir:"):
                return (d / text.removeprefix("gitdir:").strip()).resolve()
            return None
    return None


def relevant_change(path: Path, fleet: Path, gitdir: Path | None) -> bool:
    """Whether a file event can change the loaded fleet: a file of the working tree outside the state
    directory and ``.git``, or the repository's HEAD or refs (a commit, a pull, a checkout, a reset)."""
    if gitdir is not None and path.is_relative_to(gitdir):
        rel = path.relative_to(gitdir).parts
        return bool(rel) and (rel[0] in ("HEAD", "packed-refs") or (rel[0] == "refs" and len(rel) > 1))
    parts = path.parts
    return STATE_DIR not in parts and ".git" not in parts


def next_resync(name: str, now: float, interval: float) -> float:
    """The next resync of ``name`` after ``now`` (wall clock): the product's times are its phase (a
    stable fraction of the interval from its name) plus whole intervals since the epoch, so N products
    resync at an even N/interval per second, whichever process schedules them."""
    phase = zlib.crc32(name.encode()) / 2**32 * interval
    return now + ((phase - now) % interval or interval)


PULL_ACTIONS = frozenset(  # what opens, reopens or moves a pull request (GitHub, Gitea; GitLab)
    {"opened", "reopened", "synchronize", "synchronized", "edited", "open", "reopen", "update"}
)


FOLLOW_UP = 10  # the queue priority of a follow-up reconcile (the next wave of work under way)


@dataclass
class ControllerConfig:
    """How the controller runs: the fleet, resync interval, parallelism, API credentials, backoff."""

    fleet: Path
    interval: float = 180.0  # resync period per product (Argo CD's default poll is 3 minutes); 0: none
    parallelism: int = 2
    api_token: str | None = None
    webhook_secret: str | None = None
    backoff_base: float = 5.0
    backoff_cap: float = 300.0
    min_interval: float = 0.05  # overall rate limit: at least this long between two reconciles
    watch: bool = True
    remote: RemoteFleet | None = None  # follow a fleet repo by URL: fetched every interval and on push hooks
    workers: int | None = None  # reconciles at once on the database's job queue (PostgreSQL); None: embedded
    heartbeat: float = 5.0  # seconds between a worker's heartbeats (jobs of a silent worker are recovered)
    stalled_after: float = 20.0  # a worker silent this long is dead: its jobs are queued again
    dependency_delay: float = 1.0  # a job whose dependencies are being reconciled is deferred this long
    job_retention_hours: int = 24  # finished jobs older than this are deleted
    event_delay: float = 1.0  # webhook and API events of a product this close merge into one reconcile


def settles_by_itself(done: Reconciled, product: str) -> bool:
    """Whether a reconcile left ``product`` drifting for a reason that moves without a person: it is not
    in sync in the latest plan, none of its facets failed (a red build waits for a fix) and the gate
    held or denied none of its actions (an approval or a policy change wakes it). Its actions wait for
    a dependency's, an observer failed, or its apply was busy: the job queue looks again soon."""
    latest = done.after or done.plan
    state = latest.products.get(product)
    if done.outcome is ReconcileOutcome.SUSPENDED:  # by spec.suspend or an admin: it waits for a person
        return False
    if state is None or state.in_sync or state.suspended:
        return False
    if any(f.state is FacetState.FAILED for f in state.facets.values()):
        return False
    return all(a.decision.verdict is Verdict.ALLOW for a in latest.actions if a.product == product)


@dataclass(frozen=True)
class Requeue:
    """What a reconcile's outcome asks of the job queue (Flux's requeue result): look again ``after``
    seconds from now, saying ``why``, with the failure and wait counts the next look carries."""

    why: str
    after: float
    failures: int = 0
    waits: int = 0


def wait_delay(config: ControllerConfig, waits: int) -> float:
    """How long a product that waits (busy, or drifting for a reason that moves by itself) waits before
    its next look: ``dependency_delay`` doubling per wait, up to the resync interval (or its default when
    the timer is off)."""
    cap = config.interval or ControllerConfig.interval
    return min(cap, config.dependency_delay * 2 ** min(waits, 16))


def next_look(
    config: ControllerConfig,
    product: str,
    outcome: ReconcileOutcome,
    done: Reconciled | None,
    *,
    failures: int,
    waits: int,
    stopping: bool,
) -> Requeue | None:
    """The requeue decision of a reconcile taken from the job queue, from its outcome alone: a busy or
    interrupted one looks again after a short wait, doubling; a failed or crashed one backs off
    (``backoff_base`` doubling per failure up to ``backoff_cap``); one left drifting for a reason that
    moves without a person (``settles_by_itself``) looks again soon, backing off; anything else waits
    for its next event or resync (None). A follow-up after an apply is queued by the reconcile itself."""
    if outcome is ReconcileOutcome.BUSY or stopping:
        why = (
            "a product of its plan was locked"
            if outcome is ReconcileOutcome.BUSY
            else "interrupted by a stop"
        )
        return Requeue(why, wait_delay(config, waits), failures, waits + 1)
    if outcome in (ReconcileOutcome.FAILED, ReconcileOutcome.ERROR):
        n = failures + 1
        return Requeue("retry after failure", min(config.backoff_cap, config.backoff_base * 2 ** (n - 1)), n)
    if done is not None and not done.follow_up and settles_by_itself(done, product):
        why = f"waiting for {done.waiting_on[0]}" if done.waiting_on else "still drifting"
        return Requeue(why, wait_delay(config, waits), 0, waits + 1)
    return None


@dataclass
class ProductState:
    """The controller's memory of one product's last reconcile (served by the HTTP API)."""

    last_reconcile: str | None = None
    last_outcome: str | None = None
    last_duration: float | None = None
    last_actions: list[dict] = field(default_factory=list)
    last_run: int | None = None
    last_success: str | None = None
    # the fleet revision and its fingerprint after its last reconcile in this process
    last_fingerprint: tuple[str, str | None] | None = None


class Controller:
    """The long-running controller of one fleet (see the module docstring)."""

    def __init__(self, config: ControllerConfig, context: Context):
        if config.remote is not None:
            config.remote.sync()
            config.fleet, config.watch = config.remote.root, False
        self.config = config
        self.context = context
        self.stop = threading.Event()
        self.fleet_pushed = threading.Event()  # a push webhook for the fleet repo itself
        self.metrics = Metrics()
        self.events = EventBus()  # live updates for the dashboard (service/events.py)
        session, diags = FleetSession.load(config.fleet, context)
        if session is None:
            raise ValueError("the fleet is invalid:\n" + "\n".join(str(d) for d in diags))
        self.session = session
        self.label = process_label()
        self.identity = controller_identity()  # the actor of its audit records
        self._pulls_lock = threading.Lock()
        self.jobs = self.election = None
        if config.workers and self.store.shared:
            self.queue = self._distributed(config.workers)
        else:  # one process: its in-memory queue, ``workers`` reconciles at once (per-product apply locks)
            self.queue = WorkQueue(
                self._dependencies(), config.backoff_base, config.backoff_cap, config.min_interval
            )
        self.products: dict[str, ProductState] = {name: ProductState() for name in self.desired.products}
        self.ready = threading.Event()
        self._next_resync: dict[str, float] = {}
        self._approvals_seen = max((a.id for a in self.store.approvals()), default=0)
        self._threads: list[threading.Thread] = []

    # --- fleet ----------------------------------------------------------------------------------

    @property
    def desired(self):
        """The fleet as last loaded (an invalid reload keeps the previous one)."""
        return self.session.desired

    @property
    def store(self):
        """The fleet's state store."""
        return self.session.store

    def _distributed(self, workers: int):
        """The database's job queue, this process's workers and its place in the election."""
        from codemonkeys.api.tools import job_queue_ready
        from codemonkeys.service.election import Election
        from codemonkeys.service.workers import JobQueue, WorkerSet, conninfo_of

        if not self.store.shared:
            raise ValueError(
                "--workers needs the fleet's state on PostgreSQL (spec.state.url); with SQLite one "
                "controller process runs with its in-memory queue (leave --workers out)"
            )
        if not job_queue_ready(self.store.engine):
            raise ValueError("the state database has no job queue tables: run `cmctl db upgrade`")
        conninfo = conninfo_of(self.store.engine)
        queue = JobQueue(conninfo, digest=lambda: self.desired.digest)
        c = self.config
        self.jobs = WorkerSet(conninfo, workers, self._run_job, c.heartbeat, c.stalled_after)
        host, _, pid = self.label.rpartition(":")
        self.election = Election(
            conninfo,
            name=lambda: f"{host} {pid} w{self.jobs.worker_id or '-'} c{workers}",
            interval=min(1.0, c.heartbeat),
            on_change=lambda on: self.metrics.elected.labels(worker=self.label).set(1 if on else 0),
        )
        return queue

    def _dependencies(self) -> dict[str, list[str]]:
        return {name: list(p.spec.depends_on) for name, p in self.desired.products.items()}

    def reload(self, reason: str) -> bool:
        """Load the fleet again and queue every product; an invalid fleet keeps the last valid one."""
        desired, diags = load_fleet(self.config.fleet)
        if desired is None:
            log.error(json.dumps({"event": "fleet.invalid", "diagnostics": [str(d) for d in diags]}))
            self.metrics.fleet_errors.inc()
            return False
        self.session = FleetSession(
            desired, self.session.store, self.context, decisions=self.session.decisions
        )
        for name in desired.products:
            self.products.setdefault(name, ProductState())
        self.queue.set_dependencies(self._dependencies())
        for name in desired.products:
            self.queue.add(name, reason)
        log.info(
            json.dumps(
                {
                    "event": "fleet.loaded",
                    "revision": desired.revision,
                    "reason": reason,
                    "products": len(desired.products),
                }
            )
        )
        return True

    def event(self, product: str, reason: str) -> None:
        """Queue a reconcile for a webhook or API event (or a dependency that moved), due ``event_delay``
        from now: the events of a burst arriving meanwhile merge into it (on the job queue, its
        queueing lock) instead of each starting a reconcile as soon as the last one ended (a
        no-change reconcile takes tens of milliseconds)."""
        self.queue.add(product, reason, self.config.event_delay)

    # --- one reconcile ---------------------------------------------------------------------------

    def plan_pull(self, pull: dict) -> bool:
        """Plan a fleet pull request in a comment on it (``plandiff.plan_pull_request``), in the background,
        for an event that opens, reopens or moves it (``pull``: its number, base branch and action);
        False when the event asks for none. Logged; a failure never stops the controller."""
        number, base, action = pull.get("pull"), pull.get("base"), str(pull.get("action", ""))
        if (
            self.config.remote is None
            or not isinstance(number, int)
            or not base
            or action not in PULL_ACTIONS
        ):
            return False
        if pull.get("fork", True):  # its files would choose what the controller connects to, with its secrets
            log.info(json.dumps({"event": "fleet.pull_refused", "pull": number, "why": "from a fork"}))
            return False

        def run() -> None:
            from codemonkeys.plandiff import plan_pull_request  # a front-end helper: loaded on first use

            remote = self.config.remote
            try:
                with self._pulls_lock:  # one fetch into the fleet's clone at a time
                    done = plan_pull_request(remote.root, remote.url, number, base, self.context)
                said = {"event": "fleet.pull_planned", "pull": number, "comment": done.comment}
                log.info(json.dumps({**said, "head": done.head, "verdicts": done.verdicts}))
            except Exception as exc:  # the forge refused, the head is gone: logged, the next push retries
                log.info(
                    json.dumps({"event": "fleet.pull_plan_failed", "pull": number, "error": str(exc)[:300]})
                )

        threading.Thread(target=run, name=f"plan-pull-{number}", daemon=True).start()
        return True

    def reconcile(self, product: str) -> bool:
        """Reconcile one product (plan, apply what is allowed, refresh); never raises. Returns success."""
        return self._reconcile(product)[0]

    def _reconcile(self, product: str) -> tuple[bool, ReconcileOutcome, Reconciled | None]:
        state = self.products.setdefault(product, ProductState())
        started = time.monotonic()
        if product not in self.desired.products:
            return True, ReconcileOutcome.REMOVED, None  # removed from the fleet while queued
        self.events.publish("reconcile.started", product=product)
        outcome, run_id, ok, done, error = ReconcileOutcome.IN_SYNC, None, True, None, ""
        try:
            done = self.session.reconcile(
                product,
                parallelism=self.config.parallelism,
                stop=self.stop,
                on_event=ActionEvents(self.events, self.store),
                who=self.identity,
            )
            outcome, ok = done.outcome, done.ok
            run_id = done.report.run_id if done.report else None
            self._observe_metrics(done)
            if done.follow_up and not self.stop.is_set():
                # a next wave, not at the next resync; before older work: it continues what is under way
                self.queue.add(product, "follow-up after apply", priority=FOLLOW_UP)
            elif done.waiting_on and not self.stop.is_set():
                self._wait_for(product, done.waiting_on)
            self._dependents_after(product, state, done)
            state.last_actions = [
                {
                    "id": a.id,
                    "verdict": str(a.decision.verdict),
                    "rule": a.decision.rule or "",
                    "message": a.decision.message,
                    "reason": a.reason,
                }
                for a in done.plan.actions
            ]
        except FleetBusy:
            outcome, ok = ReconcileOutcome.BUSY, False
        except Exception as exc:  # a bug must not kill the controller: log, back off, go on
            log.exception("reconcile of %s crashed", product)
            outcome, ok, error = ReconcileOutcome.ERROR, False, type(exc).__name__
        waiting = list(done.waiting_on) if done is not None else []
        self._record(product, state, outcome, ok, run_id, time.monotonic() - started, waiting, error)
        return ok, outcome, done

    def _dependents_after(self, product: str, state: ProductState, done: Reconciled) -> None:
        """When ``product``'s state moved (an action of it succeeded, or its fingerprint is not the one
        its last reconcile here left at the same fleet revision), its direct dependents' plans read
        something new (their ``deps.`` facts, a cut waiting for its publishes): queue them. An
        unchanged product queues nothing, so the wave stops where nothing moved; a new fleet revision
        (every fingerprint changes, every product is reconciled anyway) queues nothing either."""
        now = (done.plan.fleet.revision, done.fingerprint(product))
        before, state.last_fingerprint = state.last_fingerprint, now
        moved = done.changed or (before is not None and before[0] == now[0] and before != now)
        if moved and not self.stop.is_set():
            for dependent in self.desired.dependents.get(product, ()):
                self.event(dependent, f"{product} changed")

    def _wait_for(self, product: str, dependencies: tuple[str, ...]) -> None:
        """Some of ``product``'s actions wait for actions of ``dependencies``: queue those not queued or
        running yet (their own reconciles do their part). The embedded queue also queues the product
        again (it runs after its dependencies); the job queue's worker requeues it with a backoff."""
        busy = set(self.queue.dependencies_busy(dependencies))
        for dep in dependencies:
            if dep not in busy:
                self.queue.add(dep, f"{product} waits for it")
        if self.jobs is None:
            self.queue.add(product, f"waiting for {dependencies[0]}")

    def _run_job(self, job) -> None:
        """A reconcile job taken from the database's queue (``service/workers.py``): wait while a
        dependency is being reconciled, reconcile, then requeue as the outcome says (a follow-up, a
        backoff after a failure; a short delay, doubling, when another apply holds the product or it
        is left drifting for a reason that moves by itself: ``settles_by_itself``)."""
        labels = {"worker": self.label}
        self.metrics.start_latency.labels(**labels).observe(max(0.0, time.time() - job.enqueued_at))
        self.metrics.jobs_running.labels(**labels).inc()
        try:
            if job.digest and job.digest != self.desired.digest:
                self._refresh_fleet()
            deps = self.session.closure(job.product) if job.product in self.desired.products else set()
            busy = self.queue.dependencies_busy(deps)
            if busy:
                self.metrics.lock_waits.labels(reason="dependency", **labels).inc()
                why, delay = f"waiting for {busy[0]}", self.config.dependency_delay
                self.queue.add(job.product, why, delay, job.failures, waits=job.waits)
                return
            ok, outcome, done = self._reconcile(job.product)
            if outcome is ReconcileOutcome.BUSY:
                self.metrics.lock_waits.labels(reason="apply lock", **labels).inc()
            look = next_look(
                self.config,
                job.product,
                outcome,
                done,
                failures=job.failures,
                waits=job.waits,
                stopping=self.stop.is_set(),
            )
            if ok:
                self.queue.set_failures(job.product, 0)
            elif look is not None and look.failures > job.failures:  # a failure: back off
                self.queue.set_failures(job.product, look.failures)
                self._backoff(job.product, look.after)
            if look is not None:
                self.queue.add(job.product, look.why, look.after, look.failures, waits=look.waits)
        finally:
            self.metrics.jobs_running.labels(**labels).dec()

    def _refresh_fleet(self) -> None:
        """A job was queued by a process that has a newer fleet: load ours again (no products queued)."""
        if self.config.remote is not None:
            try:
                self.config.remote.sync()
            except GitError:
                return
        desired, _ = load_fleet(self.config.fleet)
        if desired is not None and desired.digest != self.desired.digest:
            self.session = FleetSession(
                desired, self.session.store, self.context, decisions=self.session.decisions
            )

    def _observe_metrics(self, done) -> None:
        if done.unknown_facets:
            self.metrics.observer_errors.inc(done.unknown_facets)
        for o in done.report.outcomes.values() if done.report else ():
            if o.duration:
                self.metrics.action_duration.labels(kind=str(o.action.kind)).observe(o.duration)

    def _record(
        self,
        product: str,
        state: ProductState,
        outcome: ReconcileOutcome,
        ok: bool,
        run_id,
        duration: float,
        waiting_on: list[str] | None = None,
        error: str = "",
    ) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        said = f"{outcome}: {error}" if error else str(outcome)
        state.last_reconcile, state.last_outcome, state.last_duration, state.last_run = (
            now,
            said,
            duration,
            run_id,
        )
        if ok:
            state.last_success = now
            self.metrics.last_success.labels(product=product).set(time.time())
        self.metrics.reconciles.labels(result="ok" if ok else "failed").inc()
        event = {"event": "reconcile", "product": product, "outcome": str(outcome), "ok": ok}
        self.events.publish("reconcile.finished", product=product, outcome=str(outcome), ok=ok, run=run_id)
        extra = {"waiting_on": waiting_on} if waiting_on else {}
        extra |= {"error": error} if error else {}
        log.info(json.dumps({**event, "duration": round(duration, 3), "run": run_id, **extra}))

    # --- loops ----------------------------------------------------------------------------------

    def _worker(self) -> None:
        while not self.stop.is_set():
            entry = self.queue.get(timeout=0.5)
            self.metrics.queue_depth.set(self.queue.depth())
            if entry is None:
                continue
            ok = False
            try:
                ok = self.reconcile(entry.product)
            finally:
                delay = self.queue.done(entry.product, ok)
                if delay is not None:
                    self._backoff(entry.product, delay)

    def _backoff(self, product: str, delay: float) -> None:
        """Log and record a backoff, so ``cmctl explain`` (another process) can say the controller waits."""
        failures = self.queue.failures(product)
        until = (datetime.now(UTC) + timedelta(seconds=delay)).isoformat(timespec="seconds")
        log.info(json.dumps({"event": "backoff", "product": product, "delay": delay, "failures": failures}))
        data = {"failures": failures, "delay": delay, "until": until}
        self.store.audit(BACKOFF_EVENT, self.identity, data, product=product)

    def _poll_fleet(self) -> None:
        """Without a watcher: reload when the fleet repo's files changed (digest) or its revision moved.
        A remote fleet is fetched first."""
        if self.config.remote is not None:
            try:
                self.config.remote.sync()
            except GitError as exc:
                log.error(
                    json.dumps(
                        {"event": "fleet.fetch_failed", "url": self.config.remote.url, "error": exc.stderr}
                    )
                )
                return
        desired, _ = load_fleet(self.config.fleet)
        current = (self.desired.digest, self.desired.revision)
        if desired is None or (desired.digest, desired.revision) != current:
            self.reload("fleet repo changed (poll)")

    def _timers(self) -> None:
        """The timer loop; an error of one tick (the database away) is logged and the next tick runs."""
        while not self.stop.is_set():
            try:
                self._timer_loop()
            except Exception as exc:
                log.error(json.dumps({"event": "timers.error", "error": type(exc).__name__}))
                self.stop.wait(1.0)

    def _timer_loop(self) -> None:
        timed = self.config.interval > 0  # 0: no resync and no fleet poll, only events reconcile
        next_fleet_poll = time.monotonic() + self.config.interval
        next_recovery = next_prune = next_gauges = next_presence = 0.0
        while not self.stop.wait(0.5):
            now = time.monotonic()
            polled = timed and now >= next_fleet_poll
            if not self.config.watch and (polled or self.fleet_pushed.is_set()):
                self.fleet_pushed.clear()
                next_fleet_poll = now + self.config.interval
                self._poll_fleet()
            if self.election is not None:
                if now >= next_gauges:
                    next_gauges = now + 2.0
                    self._queue_gauges()
                if not self.election.elected.is_set():
                    self._next_resync.clear()  # the elected process schedules resyncs
                    continue
                if now >= next_recovery:
                    next_recovery = now + max(1.0, self.config.heartbeat)
                    self._recover_stalled()
                if now >= next_prune:
                    next_prune = now + 3600
                    self.queue.remove_old_jobs(self.config.job_retention_hours)
            wall = time.time()
            for name in list(self.desired.products) if timed else ():
                due = self._next_resync.get(name)
                if due is None or wall >= due:
                    if due is not None:
                        self.queue.add(name, "resync")
                    self._next_resync[name] = next_resync(name, wall, self.config.interval)
            for approval in self.store.approvals(since=self._approvals_seen):
                self._approvals_seen = max(self._approvals_seen, approval.id)
                self.queue.add(approval.product, f"approved by {approval.approver}")
            if now >= next_presence:
                next_presence = now + PRESENCE_EVERY_S
                self._presence()

    def _queue_gauges(self) -> None:
        try:
            depth, age = self.queue.backlog()
        except Exception:  # the database is away: the workers reconnect, the gauges wait
            return
        self.metrics.queue_depth.set(depth)
        self.metrics.queue_age.set(age)

    def _recover_stalled(self) -> None:
        """Queue again the jobs of workers whose heartbeat stopped (elected process only)."""
        for product, what in self.queue.recover_stalled(self.config.stalled_after):
            self.metrics.recovered.labels(result=what).inc()
            log.warning(json.dumps({"event": "job.recovered", "product": product, "as": what}))

    def _watch(self) -> None:
        from watchfiles import watch

        fleet = Path(self.config.fleet).resolve()
        gitdir = git_dir_of(fleet)
        roots = [fleet] + ([gitdir] if gitdir is not None and not gitdir.is_relative_to(fleet) else [])
        for changes in watch(
            *roots,
            watch_filter=lambda _change, path: relevant_change(Path(path), fleet, gitdir),
            stop_event=self.stop,
            debounce=300,
            raise_interrupt=False,
        ):
            paths = [Path(p) for _, p in changes]
            if gitdir is not None and all(p.is_relative_to(gitdir) for p in paths):
                self._reload_if_moved("fleet repo's HEAD or refs moved")  # a commit, a pull, a checkout
            else:
                self.reload("fleet repo changed")

    def _reload_if_moved(self, reason: str) -> None:
        """Reload when the fleet's revision or files differ from those loaded (a ref that moved
        elsewhere, such as a fetch of another branch, changes neither)."""
        desired, _ = load_fleet(self.config.fleet)
        loaded = (self.desired.digest, self.desired.revision)
        if desired is None or (desired.digest, desired.revision) != loaded:
            self.reload(reason)

    def _presence(self) -> None:
        """Refresh ``<state>/controller.json``: ``cmctl approve`` reads whether a controller acts."""
        try:
            write_presence(
                self.desired.state_dir,
                {
                    "fleet": str(self.desired.root),
                    "revision": self.desired.revision,
                    "label": self.label,
                    "watch": self.config.watch,
                    "interval": self.config.interval,
                },
            )
        except OSError as exc:
            log.warning(json.dumps({"event": "presence.failed", "error": str(exc)}))

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Queue every product and start the worker, the timers and (unless polling) the watcher."""
        for name in self.desired.products:
            self.queue.add(name, "startup")
        loops = [self._timers] + ([self._watch] if self.config.watch else [])
        if self.jobs is not None:
            self.jobs.start()
            self.election.start()
        else:
            loops[:0] = [self._worker] * max(1, self.config.workers or 1)
        for n, fn in enumerate(loops):
            t = threading.Thread(target=fn, name=f"cm-{fn.__name__.strip('_')}-{n}", daemon=True)
            t.start()
            self._threads.append(t)
        self._presence()
        self.ready.set()

    def shutdown(self, timeout: float = 60.0) -> None:
        """Stop taking work; the action in flight finishes; the rest is journaled as interrupted."""
        self.stop.set()
        deadline = time.monotonic() + timeout
        if self.jobs is not None:
            self.election.stop()
            self.jobs.stop(timeout)  # jobs in flight requeue what they could not finish
        self.queue.close()
        for t in self._threads:
            t.join(timeout=max(0.1, deadline - time.monotonic()))
        clear_presence(self.desired.state_dir)
        if self.jobs is not None:
            self.queue.dispose()

    def run_once(self) -> bool:
        """Reconcile every product once (dependencies first) and return whether all went well."""
        self.queue.close()
        ok = True
        order = sorted(self.desired.products, key=lambda n: len(self.session.closure(n)))
        for name in order:
            ok = self.reconcile(name) and ok
        return ok
