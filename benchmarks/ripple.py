"""A release rippling through the fleet by itself (issue 35's measure): how long the controller takes to
carry a root's release through every dependent, against what the work itself needs.

Run from the project root (about 8 minutes per store for the default, 2 for ``--quick``)::

    PYTHONPATH=controller .venv/bin/python benchmarks/ripple.py --quick
    PYTHONPATH=controller .venv/bin/python benchmarks/ripple.py [--products 40] [--store sqlite|postgres|both]

The fleet (``benchmarks/ripple_fleet/generate.py``): ``--products`` real products in ``--levels`` levels
of ``dependsOn`` (one root, then each level depending on products of the level above), Python and npm mixed,
each a real git repository tagged and published at 1.0.0 in a ``file`` registry; local builds that read
the manifests and work 1-4 s (a seeded choice per product); every dependent follows majors by itself and
heals with fix templates; a constitution that allows build, release, change and heal; and a teacher
product outside the ripple. Setup, untimed: every head built once (``cmctl apply``), a person's fix of the
teacher teaches the fleet a fix template, and ``cmctl plan --detailed-exitcode`` must say 0 (in sync).

Then the controller runs (``cmctl controller run --interval 0``: events only, so the ripple is carried by
the controller's own follow-ups; SQLite with its embedded queue, or PostgreSQL, a throwaway cluster of
``tests/servers/postgres.py`` after ``cmctl db upgrade``, with ``--procs`` processes of ``--workers``
each) and, twice:

1. a ``feat:`` commit on the root and a signed push webhook for it (``/hooks/git``, as
   tests/test_e2e_scale.py tells the controller a repo moved); the **makespan** runs from the webhook until
   the file registry holds a new version of every product of the ripple (polled every 0.1 s);
2. the same with ``feat!:`` (a major), where one dependent's proof build breaks (the root's 2.0 renames
   ``load``) and the template the teacher's fix taught must heal it.

From the journal of what ran (the store's ``actions`` rows of the runs after the trigger: kind, product,
start, end) the **lower bound** = max(the critical path of the measured action durations through the DAG of
what ran, total action time / ``--slots``, 2 by default: this machine's CPUs and the default
``--parallelism``). The DAG: a dependency update's ``change.propose`` after the publish of the version it
takes, its ``change.merge`` after it, a ``build.run`` after the merges before it, a ``release.cut`` after
what landed its head (a build or a merged, proven update) and its dependencies' publishes, a
``release.publish`` after its cut, anything else after its product's previous action. The bound at the
deployment's own capacity (reconciles at once x ``--parallelism``: ``--workers`` x 2 for the embedded
queue, whose worker threads take products of it side by side; procs x workers x 2 on PostgreSQL) is
printed beside it.

Also reported: every dependent bumped (a merged update, and its manifests take every dependency's newest
release), built (its release's commit has a green build), released; products left red or stuck with their
reason (``cmctl status --json``) and ``cmctl plan --detailed-exitcode`` after; duplicate releases (more than
one new version or cut of a product in one ripple); what a template healed; reconciles by outcome (the
controller's ``--log-json`` lines); backoffs; the time no reconcile ran; and, per hop (a product's publish
-> its dependent's update proposal), per follow-up (an action after its own product's action of an earlier
reconcile) and on the realized critical chain, where the gap went (``PARTS``). With ``--json`` one JSON
document of all of it (``--save FILE`` writes it too).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import httpx  # noqa: E402
from ripple_fleet.generate import ROOT, RippleFleet, commit_root, fix_teacher, git, write_fleet  # noqa: E402

TOKEN, SECRET = "ripple-api-token", "ripple-webhook-secret"
# where a gap between two actions went: the rest of the earlier action's reconcile (its refresh), the
# event delay, queued behind other reconciles (every reconcile slot busy), idle (a slot free), the later
# product's own reconciles that did not run it, its reconcile's observation and planning before its first
# action, and the actions that reconcile ran before it
PARTS = ("refresh", "event_delay", "queued", "idle", "own_reconciles", "observe_plan", "earlier_actions")
EVENT_DELAY = 1.0  # ControllerConfig.event_delay: a webhook's or dependent's reconcile is due this late


def say(text: str, quiet: bool = False) -> None:
    if not quiet:
        print(text, flush=True)


def cmctl(*args: str, env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "codemonkeys", *args],
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- setup -------------------------------------------------------------------------------------------


def setup(rf: RippleFleet, quiet: bool) -> dict:
    """Build every head, teach the template (the teacher red, a person's fix, green), check the fleet in
    sync. Returns what it took."""
    fleet = str(rf.fleet)
    started = time.monotonic()
    first = cmctl("apply", "--fleet", fleet, "--auto-approve", "--parallelism", "8")
    if "teacher/build.run" not in first.stdout + first.stderr or first.returncode not in (0, 1):
        raise SystemExit(f"setup apply failed:\n{first.stdout}\n{first.stderr}")
    fix_teacher(rf)
    second = cmctl("apply", "--fleet", fleet, "--auto-approve", "--parallelism", "8")
    if second.returncode != 0 or "learned fix template" not in second.stdout + second.stderr:
        raise SystemExit(f"the teacher's fix taught no template:\n{second.stdout}\n{second.stderr}")
    templates = cmctl("swarm", "templates", "--fleet", fleet, "--json")
    plan = cmctl("plan", "--fleet", fleet, "--detailed-exitcode")
    if plan.returncode != 0:
        raise SystemExit(
            f"the fleet is not in sync before the ripple (exit {plan.returncode}):\n{plan.stdout}"
        )
    took = time.monotonic() - started
    say(
        f"setup: every head built, template learned, `cmctl plan --detailed-exitcode` = 0 ({took:.0f} s)",
        quiet,
    )
    return {"seconds": round(took, 1), "templates": len(json.loads(templates.stdout or "[]"))}


# --- the controller ----------------------------------------------------------------------------------


@dataclass
class Controllers:
    """The running controller processes of one fleet."""

    procs: list[tuple[subprocess.Popen, Path]]
    urls: list[str]
    slots: int

    @property
    def url(self) -> str:
        return self.urls[0]

    def check_alive(self) -> None:
        for proc, log in self.procs:
            if proc.poll() is not None:
                raise SystemExit(f"a controller exited ({proc.returncode}):\n{log.read_text()[-3000:]}")

    def stop(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in self.procs:
            try:
                proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log_lines(self) -> list[tuple[float, dict]]:
        """Every JSON log record of every process: (unix time, msg)."""
        return sorted((rec for _, log in self.procs for rec in log_records(log)), key=lambda pair: pair[0])


def log_records(log: Path) -> list[tuple[float, dict]]:
    """The controller's own records in a ``--log-json`` log: (unix time, msg), in order."""
    out = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            doc = json.loads(line)
            at = datetime.strptime(doc["at"], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(doc.get("msg"), dict):
            out.append((at, doc["msg"]))
    return out


def start_controllers(
    rf: RippleFleet, workdir: Path, interval: str, parallelism: int, procs: int, workers: int | None
) -> Controllers:
    env = {**os.environ, "CMCTL_API_TOKEN": TOKEN, "CMCTL_WEBHOOK_SECRET": SECRET, "NO_COLOR": "1"}
    running: list[tuple[subprocess.Popen, Path]] = []
    urls = []
    for i in range(procs):
        port = free_port()
        log = workdir / f"controller-{i}.log"
        argv = [sys.executable, "-m", "codemonkeys", "controller", "run", "--fleet", str(rf.fleet)]
        argv += ["--listen", f"127.0.0.1:{port}", "--interval", interval, "--log-json"]
        argv += ["--parallelism", str(parallelism)]
        if workers:
            argv += ["--workers", str(workers), "--heartbeat", "1"]
        running.append(
            (subprocess.Popen(argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT), log)
        )
        urls.append(f"http://127.0.0.1:{port}")
    ctl = Controllers(running, urls, procs * (workers or 1))
    deadline = time.monotonic() + 120
    for url in urls:
        while True:
            ctl.check_alive()
            try:
                if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the controller did not get ready in 120 s")
            time.sleep(0.2)
    return ctl


def scalar(url: str, sql: str) -> int:
    """One number from the store (read through a throwaway engine, no session)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def running_actions(url: str) -> int:
    """Actions journaled as running now."""
    return scalar(url, "select count(*) from actions where status = 'running'")


def queued(ctl: Controllers, state_url: str) -> int:
    """Reconciles waiting: the embedded queue's depth metric, or the job queue's open jobs."""
    if state_url.startswith("sqlite"):
        text = httpx.get(f"{ctl.url}/metrics", timeout=10).text
        for line in text.splitlines():
            if line.startswith("codemonkeys_queue_depth "):
                return int(float(line.split()[-1]))
        return 0
    from sqlalchemy import create_engine, text

    engine = create_engine(state_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("select count(*) from procrastinate_jobs where status in ('todo', 'doing')")
            ).scalar_one()
    finally:
        engine.dispose()


def settle(ctl: Controllers, state_url: str, quiet_s: float, timeout: float) -> float:
    """Wait until nothing is queued or running and no reconcile was logged for ``quiet_s``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        ctl.check_alive()
        lines = ctl.log_lines()
        last = max((at for at, m in lines if m.get("event") == "reconcile"), default=0.0)
        if time.time() - last >= quiet_s and queued(ctl, state_url) == 0 and running_actions(state_url) == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    return -1.0


def push_webhook(url: str, repo: Path) -> dict:
    body = json.dumps(
        {"ref": "refs/heads/main", "after": "x", "repository": {"clone_url": str(repo)}}
    ).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": sig, "X-GitHub-Event": "push", "Content-Type": "application/json"}
    r = httpx.post(f"{url}/hooks/git", content=body, headers=headers, timeout=30)
    r.raise_for_status()
    return r.json()


# --- one ripple --------------------------------------------------------------------------------------


@dataclass
class Act:
    """One journaled action of the ripple."""

    row: int
    run: int
    id: str
    product: str
    kind: str
    status: str
    start: float
    end: float
    params: dict = field(repr=False)
    message: str = ""

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class Rec:
    """One reconcile the controller logged."""

    product: str
    start: float
    end: float
    outcome: str
    run: int | None
    waiting_on: list[str]
    process: int = 0


def last_run(state_url: str) -> int:
    """The newest run's id (0: none yet)."""
    return scalar(state_url, "select coalesce(max(id), 0) from runs")


def journal(state_url: str, after_run: int) -> list[Act]:
    """The actions of the runs after ``after_run`` that started (blocked and skipped ones never did)."""
    from sqlalchemy import create_engine, select

    from codemonkeys.store.models import ActionRecord

    engine = create_engine(state_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(ActionRecord).where(ActionRecord.run_id > after_run).order_by(ActionRecord.id)
            ).all()
    finally:
        engine.dispose()
    out = []
    for r in rows:
        if r.started_at is None or r.finished_at is None:
            continue
        out.append(
            Act(
                r.id,
                r.run_id,
                r.action_id,
                r.product,
                r.kind,
                r.status,
                r.started_at.timestamp(),
                r.finished_at.timestamp(),
                r.params or {},
                (r.message or "")[:300],
            )
        )
    return sorted(out, key=lambda a: (a.start, a.row))


def stale_requirements(rf: RippleFleet, published: dict[str, set[str]]) -> dict[str, list[str]]:
    """Per dependent, the fleet dependencies whose newest published version its manifests at HEAD do not
    take (read with the product's own manifest parser and range check)."""
    from packaging.version import Version

    from codemonkeys.swarm.deps import parse_manifest
    from codemonkeys.vocab.deps import allows

    out: dict[str, list[str]] = {}
    for name in rf.dependents:
        repo = rf.repo(name)
        reqs = []
        for manifest in ("pyproject.toml", "requirements.txt", "package.json"):
            if (repo / manifest).is_file():
                reqs += parse_manifest(manifest, (repo / manifest).read_text())
        missing = []
        for dep in rf.nodes[name].deps:
            newest = max(published[dep], key=Version)
            package = rf.nodes[dep].package
            ranges = [r for r in reqs if r.package == package]
            if not ranges or not all(allows(r.ecosystem, r.range, newest) for r in ranges):
                missing.append(
                    f"{package} {newest} (manifest: {', '.join(r.range for r in ranges) or 'none'})"
                )
        out[name] = missing
    return out


def green_heads(rf: RippleFleet, state_url: str, new: dict[str, list[str]]) -> dict[str, bool]:
    """Whether the commit each new release was cut from (its release commit's parent) has a green build
    in the store (a proof build of a fast-forwarded update counts: it is the same commit)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(state_url)
    out = {}
    try:
        with engine.connect() as conn:
            for name, versions in new.items():
                if not versions:
                    out[name] = False
                    continue
                commit = git(rf.repo(name), "rev-parse", f"v{versions[0]}^").strip()
                out[name] = bool(
                    conn.execute(
                        text(
                            'select count(*) from build_results where product = :p and "commit" = :c '
                            "and status = 'success'"
                        ),
                        {"p": name, "c": commit},
                    ).scalar_one()
                )
    finally:
        engine.dispose()
    return out


def reconciles(ctl: Controllers, since: float, until: float) -> tuple[list[Rec], list[dict]]:
    """The reconciles that ended in [since, until + 30 s] and the backoff events, from the logs."""
    recs, backoffs = [], []
    for i, (_, log) in enumerate(ctl.procs):
        for at, msg in log_records(log):
            if at < since or at > until + 30:
                continue
            if msg.get("event") == "reconcile":
                recs.append(
                    Rec(
                        msg["product"],
                        at - float(msg.get("duration") or 0),
                        at,
                        msg.get("outcome", ""),
                        msg.get("run"),
                        list(msg.get("waiting_on") or []),
                        i,
                    )
                )
            elif msg.get("event") == "backoff":
                backoffs.append({"at": round(at - since, 2), **msg})
    return sorted(recs, key=lambda r: r.start), backoffs


def wait_published(
    rf: RippleFleet, before: dict[str, set[str]], t0: float, timeout: float, ctl: Controllers
) -> tuple[dict[str, float], list[str]]:
    """Poll the file registry until every product of the ripple has a version it had not before; the
    seconds after ``t0`` each was first seen, and those that never were."""
    seen: dict[str, float] = {}
    names = sorted(rf.nodes)
    while time.time() - t0 < timeout:
        for name in names:
            if name not in seen and rf.versions(name) - before[name]:
                seen[name] = time.time() - t0
        if len(seen) == len(names):
            break
        ctl.check_alive()
        time.sleep(0.1)
    return seen, [n for n in names if n not in seen]


def run_ripple(
    rf: RippleFleet, ctl: Controllers, state_url: str, message: str, timeout: float, quiet: bool
) -> dict:
    """Trigger the root's release with ``message``, wait until every dependent published, settle, and
    collect the raw material of the figures."""
    before = {name: rf.versions(name) for name in rf.nodes}
    run0 = last_run(state_url)
    base = {name: git(rf.repo(name), "rev-parse", "HEAD").strip() for name in rf.nodes}
    commit_root(rf, message)
    t0 = time.time()
    answer = push_webhook(ctl.url, rf.repo(ROOT))
    say(f"  trigger: `{message}` on {ROOT}, push webhook -> queued {answer.get('queued')}", quiet)
    seen, missing = wait_published(rf, before, t0, timeout, ctl)
    makespan = max(seen.values()) if not missing else None
    if missing:
        say(f"  NOT published after {timeout:.0f} s: {', '.join(missing)}", quiet)
    else:
        say(f"  every product published a new version {makespan:.1f} s after the trigger", quiet)
    settled = settle(ctl, state_url, quiet_s=4.0, timeout=120)
    until = time.time()
    after = {name: rf.versions(name) for name in rf.nodes}
    acts = journal(state_url, run0)
    recs, backoffs = reconciles(ctl, t0 - 1, until)
    built = green_heads(rf, state_url, {n: sorted(after[n] - before[n]) for n in rf.nodes})
    healed = {
        n: [
            x
            for x in git(rf.repo(n), "log", "--format=%s", f"{base[n]}..HEAD").splitlines()
            if "fix template" in x
        ]
        for n in rf.nodes
    }
    plan = cmctl("plan", "--fleet", str(rf.fleet), "--detailed-exitcode")
    status = cmctl("status", "--fleet", str(rf.fleet), "--json")
    return {
        "t0": t0,
        "message": message,
        "seen": seen,
        "missing": missing,
        "makespan": makespan,
        "settled": settled,
        "new_versions": {n: sorted(after[n] - before[n]) for n in rf.nodes},
        "acts": acts,
        "built": built,
        "healed": {n: h for n, h in healed.items() if h},
        "stale": stale_requirements(rf, after),
        "recs": recs,
        "backoffs": backoffs,
        "plan_exit": plan.returncode,
        "plan_tail": plan.stdout.strip().splitlines()[-1:] if plan.stdout.strip() else [],
        "status": json.loads(status.stdout) if status.returncode == 0 else {},
    }


# --- the analysis ------------------------------------------------------------------------------------


def dag(acts: list[Act], rf: RippleFleet) -> dict[int, list[int]]:
    """Each action's predecessors (rows) in the DAG of what ran (see the module docstring)."""
    publisher = {rf.nodes[n].package: n for n in rf.nodes}
    by_product: dict[str, list[Act]] = defaultdict(list)
    for a in acts:
        by_product[a.product].append(a)

    def latest(product: str, kind: str, before: float, prefix: str | None = None) -> Act | None:
        found = [
            a
            for a in by_product.get(product, [])
            if a.kind == kind
            and a.status == "succeeded"
            and a.end <= before + 1e-3
            and (prefix is None or a.id == prefix)
        ]
        return max(found, key=lambda a: a.end) if found else None

    preds: dict[int, list[int]] = {}
    for a in acts:
        p: list[Act | None] = []
        mine = by_product[a.product]
        previous = [b for b in mine if b.end <= a.start + 1e-3 and b is not a]
        if a.kind == "change.propose" and isinstance(a.params.get("update"), dict):
            dep = a.params["update"].get("dependency") or publisher.get(a.params["update"].get("package"))
            p.append(latest(dep, "release.publish", a.start) if dep else None)
        elif a.kind == "change.merge":
            p.append(
                latest(a.product, "change.propose", a.start, a.id.replace("change.merge", "change.propose"))
            )
        elif a.kind == "build.run":
            p += [b for b in previous if b.kind == "change.merge" and b.status == "succeeded"]
        elif a.kind == "release.cut":  # after what landed its head: a build, or a proven update merged
            landed = [
                b for b in previous if b.kind in ("build.run", "change.merge") and b.status == "succeeded"
            ]
            p.append(max(landed, key=lambda b: b.end) if landed else None)
            node = rf.nodes.get(a.product)
            for dep in node.deps if node else ():
                p.append(latest(dep, "release.publish", a.start))
        elif a.kind == "release.publish":
            p.append(latest(a.product, "release.cut", a.start))
        elif previous:
            p.append(max(previous, key=lambda b: b.end))
        preds[a.row] = sorted({b.row for b in p if b is not None})
    return preds


def longest(acts: list[Act], preds: dict[int, list[int]]) -> tuple[float, dict[int, float]]:
    """The critical path: each action's earliest finish with no waiting at all (t = 0 at the trigger)."""
    by_row = {a.row: a for a in acts}
    finish: dict[int, float] = {}
    for a in sorted(acts, key=lambda a: a.start):
        start = max((finish[p] for p in preds[a.row] if p in finish), default=0.0)
        finish[a.row] = start + a.seconds
    del by_row
    return max(finish.values(), default=0.0), finish


def busy_profile(recs: list[Rec], a: float, b: float, step: float = 0.01) -> list[int]:
    """How many reconciles ran at each ``step`` of [a, b)."""
    n = max(0, int((b - a) / step))
    out = [0] * n
    for r in recs:
        lo, hi = max(a, r.start), min(b, r.end)
        if hi <= lo:
            continue
        for i in range(int((lo - a) / step), min(n, int((hi - a) / step) + 1)):
            out[i] += 1
    return out


def split_gap(
    recs: list[Rec],
    first: dict[int, float],
    a: float,
    b: float,
    pred: Act,
    succ: Act,
    slots: int,
    cross: bool,
) -> dict[str, float]:
    """Where the time between ``pred``'s end (``a``) and ``succ``'s start (``b``) went (see ``PARTS``);
    ``first``: each run's first action start."""
    out = dict.fromkeys(PARTS, 0.0)
    if b <= a:
        return out
    tail = next((r for r in recs if r.product == pred.product and r.run == pred.run), None)
    head = next((r for r in recs if r.product == succ.product and r.run == succ.run), None)
    lo = min(b, tail.end) if tail is not None else a
    hi = max(lo, head.start) if head is not None else b
    out["refresh"] = lo - a
    acting = min(b, max(hi, first.get(succ.run, b)))
    out["observe_plan"] = acting - hi
    out["earlier_actions"] = b - acting
    step = 0.01
    mine = [r for r in recs if r.product == succ.product and r is not head]
    others = [r for r in recs if r.product != succ.product]
    own = busy_profile(mine, lo, hi, step)
    busy = busy_profile(others, lo, hi, step)
    for i in range(len(busy)):
        t = lo + i * step
        if own[i]:
            out["own_reconciles"] += step
        elif cross and t < lo + EVENT_DELAY:
            out["event_delay"] += step
        elif busy[i] >= slots:
            out["queued"] += step
        else:
            out["idle"] += step
    return {k: round(v, 2) for k, v in out.items()}


def analyse(rf: RippleFleet, raw: dict, slots: int, capacity: int, machine: int) -> dict:
    """The figures of one ripple. ``slots``: reconciles at once; ``capacity``: actions at once
    (``slots`` x ``--parallelism``); ``machine``: the slots of the headline bound (this machine's CPUs)."""
    acts: list[Act] = raw["acts"]
    recs: list[Rec] = raw["recs"]
    t0 = raw["t0"]
    ripple_products = set(rf.nodes)
    mine = [a for a in acts if a.product in ripple_products]
    preds = dag(mine, rf)
    critical, _ = longest(mine, preds)
    first: dict[int, float] = {}
    for a in acts:
        first[a.run] = min(first.get(a.run, a.start), a.start)
    work = sum(a.seconds for a in mine)
    bound = max(critical, work / machine)
    bound_capacity = max(critical, work / capacity)
    makespan = raw["makespan"]
    end_journal = max((a.end for a in mine if a.kind == "release.publish"), default=t0) - t0
    by_row = {a.row: a for a in mine}

    # every dependent bumped (a merged update), built after it, released after that
    per_product = {}
    for name in rf.dependents:
        own = [a for a in mine if a.product == name]
        merged = [a for a in own if a.kind == "change.merge" and a.status == "succeeded"]
        built = raw["built"].get(name, False)
        cuts = [a for a in own if a.kind == "release.cut" and a.status == "succeeded"]
        pubs = [a for a in own if a.kind == "release.publish" and a.status == "succeeded"]
        failed = [a.id for a in own if a.status == "failed"]
        healed = raw["healed"].get(name, [])
        per_product[name] = {
            "bumped": len(merged),
            "built": built,
            "cuts": len(cuts),
            "publishes": len(pubs),
            "new_versions": raw["new_versions"].get(name, []),
            "failed": failed,
            "healed": healed,
        }
    duplicates = {
        n: {"versions": v["new_versions"], "cuts": v["cuts"]}
        for n, v in per_product.items()
        if len(v["new_versions"]) > 1 or v["cuts"] > 1
    }
    not_bumped = [n for n, v in per_product.items() if not v["bumped"]]
    stale = {n: takes for n, takes in raw["stale"].items() if takes}
    not_built = [n for n, v in per_product.items() if not v["built"]]
    not_released = [n for n, v in per_product.items() if not v["new_versions"]]

    # red products and their reasons, as status says
    red = {}
    for name, doc in (raw["status"].get("products") or {}).items():
        failed_facets = [f for f, s in (doc.get("facets") or {}).items() if s == "failed"]
        if failed_facets or doc.get("stuck"):
            red[name] = {
                "facets": failed_facets,
                "stuck": doc.get("stuck", ""),
                "last_failure": (doc.get("last_failure") or {}).get("message", "")
                if isinstance(doc.get("last_failure"), dict)
                else doc.get("last_failure"),
            }

    # hops: a product's publish -> the action that needed it first (a dependent's update proposal)
    hops = []
    for a in mine:
        for p in preds[a.row]:
            pred = by_row[p]
            if pred.product != a.product and a.kind == "change.propose":
                gap = a.start - pred.end
                hops.append(
                    {
                        "from": pred.id,
                        "to": a.id,
                        "gap": round(gap, 2),
                        **split_gap(recs, first, pred.end, a.start, pred, a, slots, cross=True),
                    }
                )

    # follow-ups: an action after its product's own action of an earlier reconcile (merge -> cut)
    follow_ups = []
    for a in mine:
        for p in preds[a.row]:
            pred = by_row[p]
            if pred.product == a.product and pred.run != a.run and a.start > pred.end:
                split = split_gap(recs, first, pred.end, a.start, pred, a, slots, cross=False)
                follow_ups.append({"from": pred.id, "to": a.id, "gap": round(a.start - pred.end, 2), **split})

    # the realized critical chain: back from the last publish, each step's latest-finishing predecessor
    chain = []
    last = max((a for a in mine if a.kind == "release.publish"), key=lambda a: a.end, default=None)
    node = last
    while node is not None:
        ps = [by_row[p] for p in preds[node.row]]
        pred = max(ps, key=lambda b: b.end) if ps else None
        if pred is None:
            gap = node.start - t0
            step = {
                "action": node.id,
                "seconds": round(node.seconds, 2),
                "after": "trigger",
                "gap": round(gap, 2),
            }
            trig = Act(-1, -1, "trigger", ROOT, "trigger", "succeeded", t0, t0, {})
            step |= split_gap(recs, first, t0, node.start, trig, node, slots, cross=True)
            step["refresh"] = 0.0
        else:
            cross = pred.product != node.product
            how = "hop" if cross else ("same reconcile" if pred.run == node.run else "next reconcile")
            step = {
                "action": node.id,
                "seconds": round(node.seconds, 2),
                "after": pred.id,
                "how": how,
                "gap": round(node.start - pred.end, 2),
            }
            if node.start > pred.end:
                step |= split_gap(recs, first, pred.end, node.start, pred, node, slots, cross=cross)
        chain.append(step)
        node = pred
    chain.reverse()

    window_end = t0 + (makespan if makespan is not None else end_journal)
    active = busy_profile(recs, t0, window_end)
    idle = sum(0.01 for n in active if n == 0)
    free_slots = sum(0.01 * max(0, slots - n) for n in active)
    outcomes = Counter(r.outcome for r in recs)
    reconcile_time = sum(
        min(r.end, window_end) - max(r.start, t0) for r in recs if r.end > t0 and r.start < window_end
    )
    gaps = {k: round(sum(h[k] for h in hops), 1) for k in PARTS}
    chain_gaps = {k: round(sum(s.get(k, 0.0) for s in chain), 1) for k in PARTS}
    kinds = Counter(a.kind for a in mine)
    kind_seconds = defaultdict(float)
    for a in mine:
        kind_seconds[a.kind] += a.seconds
    return {
        "release": raw["message"],
        "makespan_s": round(makespan, 1) if makespan is not None else None,
        "last_publish_in_journal_s": round(end_journal, 1),
        "critical_path_s": round(critical, 1),
        "work_s": round(work, 1),
        "slots": machine,
        "bound_s": round(bound, 1),
        "ratio": round(makespan / bound, 2) if makespan is not None and bound else None,
        "reconcile_slots": slots,
        "action_capacity": capacity,
        "bound_at_capacity_s": round(bound_capacity, 1),
        "ratio_at_capacity": round(makespan / bound_capacity, 2) if makespan is not None else None,
        "dependents": len(rf.dependents),
        "not_bumped": not_bumped,
        "not_taking_newest": stale,
        "not_built": not_built,
        "not_released": not_released,
        "missing": raw["missing"],
        "duplicates": duplicates,
        "red": red,
        "plan_exit_after": raw["plan_exit"],
        "plan_after": raw["plan_tail"],
        "healed": {n: v["healed"] for n, v in per_product.items() if v["healed"]},
        "failed_actions": {n: v["failed"] for n, v in per_product.items() if v["failed"]},
        "reconciles": len(recs),
        "reconciles_by_outcome": dict(outcomes),
        "reconcile_time_s": round(reconcile_time, 1),
        "action_time_s": round(work, 1),
        "controller_idle_s": round(idle, 1),
        "free_slot_s": round(free_slots, 1),
        "backoffs": raw["backoffs"],
        "actions_by_kind": dict(kinds),
        "actions_not_succeeded": dict(
            Counter(f"{a.kind} {a.status}" for a in mine if a.status != "succeeded")
        ),
        "action_seconds_by_kind": {k: round(v, 1) for k, v in sorted(kind_seconds.items())},
        "hops": sorted(hops, key=lambda h: -h["gap"]),
        "hop_gaps_s": gaps,
        "hop_gap_median_s": round(sorted(h["gap"] for h in hops)[len(hops) // 2], 2) if hops else None,
        "follow_ups": sorted(follow_ups, key=lambda h: -h["gap"]),
        "follow_up_gaps_s": {k: round(sum(h[k] for h in follow_ups), 1) for k in PARTS},
        "chain": chain,
        "chain_gaps_s": chain_gaps,
        "reconcile_log": [
            asdict(r) | {"start": round(r.start - t0, 2), "end": round(r.end - t0, 2)} for r in recs
        ],
        "actions": [
            {
                "id": a.id,
                "status": a.status,
                "run": a.run,
                "start": round(a.start - t0, 2),
                "end": round(a.end - t0, 2),
                "preds": [by_row[p].id for p in preds[a.row]],
                "message": a.message[:160],
            }
            for a in mine
        ],
    }


def show(fig: dict, quiet: bool) -> None:
    if quiet:
        return
    ms = fig["makespan_s"]
    print(
        f"  makespan {ms if ms is not None else 'n/a'} s "
        f"(last publish in the journal at {fig['last_publish_in_journal_s']} s)"
    )
    print(
        f"  lower bound {fig['bound_s']} s = max(critical path {fig['critical_path_s']} s, "
        f"work {fig['work_s']} s / "
        f"{fig['slots']} slots); ratio {fig['ratio']} (goal <= 1.25)"
    )
    print(
        f"  the deployment: {fig['reconcile_slots']} reconcile(s) at once, {fig['action_capacity']} actions "
        f"at once: bound {fig['bound_at_capacity_s']} s, ratio {fig['ratio_at_capacity']}"
    )
    ok = not (fig["not_bumped"] or fig["not_built"] or fig["not_released"])
    print(
        f"  {fig['dependents']} dependents: "
        + (
            "every one bumped, built and released"
            if ok
            else f"not bumped {fig['not_bumped']}, not built {fig['not_built']}, "
            f"not released {fig['not_released']}"
        )
    )
    print(
        f"  dependencies whose newest release a dependent does not take: {fig['not_taking_newest'] or 'none'}"
    )
    print(f"  duplicate releases: {fig['duplicates'] or 'none'}")
    print(
        f"  red or stuck after: {fig['red'] or 'none'}; "
        f"plan --detailed-exitcode after: {fig['plan_exit_after']} {fig['plan_after']}"
    )
    if fig["healed"]:
        print(f"  healed by a template: {fig['healed']}")
    if fig["failed_actions"]:
        print(f"  failed actions: {fig['failed_actions']}")
    print(
        f"  reconciles: {fig['reconciles']} {fig['reconciles_by_outcome']}; "
        f"backoffs: {len(fig['backoffs'])}; "
        f"reconcile time {fig['reconcile_time_s']} s, action time {fig['action_time_s']} s, "
        f"no reconcile running {fig['controller_idle_s']} s, free reconcile slot-seconds {fig['free_slot_s']}"
    )
    print(f"  actions: {fig['actions_by_kind']}; seconds: {fig['action_seconds_by_kind']}")
    if fig["actions_not_succeeded"]:
        print(f"  actions that did not succeed: {fig['actions_not_succeeded']}")
    print(
        f"  hops (publish -> dependent's first action): {len(fig['hops'])}, "
        f"median gap {fig['hop_gap_median_s']} s; "
        f"summed: {fig['hop_gaps_s']}"
    )
    print(
        f"  follow-up reconciles (an action after its own product's action of an earlier reconcile): "
        f"{len(fig['follow_ups'])}, summed gaps {fig['follow_up_gaps_s']}"
    )
    if fig["ratio"] is None or fig["ratio"] > 1.25:
        print("  where the time went on the critical chain (gap before each action, split):")
        for s in fig["chain"]:
            parts = {k: s[k] for k in PARTS if s.get(k)}
            print(
                f"    {s['action']:<48} {s['seconds']:6.2f} s after {s.get('how', s['after'])}: "
                f"gap {s['gap']:6.2f} s {parts}"
            )
        print(f"  chain gaps summed: {fig['chain_gaps_s']}")
        print("  largest hop gaps:")
        for h in fig["hops"][:6]:
            parts = {k: h[k] for k in PARTS if h.get(k)}
            print(f"    {h['from']} -> {h['to']}: {h['gap']} s {parts}")


# --- main --------------------------------------------------------------------------------------------


def one_store(args, store: str, workdir: Path, quiet: bool) -> dict:
    """Generate, set up and run both ripples with the state on ``store``."""
    root = workdir / store
    cluster = None
    state_url = None
    if store == "postgres":
        from servers.postgres import start_cluster

        cluster = start_cluster()
        state_url = cluster.url(cluster.new_database())
    try:
        rf = write_fleet(
            root,
            products=args.products,
            levels=args.levels,
            seed=args.seed,
            sleep=args.sleep,
            state_url=state_url,
        )
        if state_url is None:
            state_url = f"sqlite:///{rf.fleet / '.cmctl' / 'state.db'}"
        else:
            up = cmctl("db", "upgrade", "--fleet", str(rf.fleet))
            if up.returncode != 0:
                raise SystemExit(f"cmctl db upgrade failed:\n{up.stdout}{up.stderr}")
        levels = Counter(n.level for n in rf.nodes.values())
        langs = Counter(n.language for n in rf.nodes.values())
        say(
            f"[{store}] fleet at {rf.fleet}: {len(rf.nodes)} products "
            f"in levels {dict(sorted(levels.items()))}, "
            f"{dict(langs)}, builds {args.sleep[0]}-{args.sleep[1]} s, + the teacher",
            quiet,
        )
        prepared = setup(rf, quiet)
        procs, workers = (1, args.workers) if store == "sqlite" else (args.procs, args.workers)
        ctl = start_controllers(rf, root, args.interval, args.parallelism, procs, workers)
        out: dict = {"store": store, "procs": procs, "workers": workers, "setup": prepared, "ripples": []}
        try:
            took = settle(ctl, state_url, quiet_s=3.0, timeout=300)
            say(f"[{store}] controller(s) up, startup reconciles done ({took:.0f} s)", quiet)
            for message in ("feat: a new API beside the old one", "feat!: load is load_all"):
                say(f"[{store}] ripple of `{message}`", quiet)
                raw = run_ripple(rf, ctl, state_url, message, args.timeout, quiet)
                fig = analyse(rf, raw, ctl.slots, ctl.slots * args.parallelism, args.slots)
                show(fig, quiet)
                out["ripples"].append(fig)
        finally:
            ctl.stop()
        return out
    finally:
        if cluster is not None:
            cluster.stop()


def code_revision() -> str:
    """The project's commit, ``+dirty`` when the controller's files differ from it (others edit them)."""
    root = HERE.parent
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "controller"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    return head.stdout.strip() + ("+dirty" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=40, help="products in the ripple (the root included)")
    parser.add_argument("--levels", type=int, default=4, help="levels of dependsOn, the root's included")
    parser.add_argument("--quick", action="store_true", help="12 products, 3 levels, 0.3-1 s builds")
    parser.add_argument("--seed", type=int, default=35)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--procs", type=int, default=2, help="controller processes on PostgreSQL")
    parser.add_argument(
        "--workers", type=int, default=1, help="--workers of each process (on SQLite: threads of the one)"
    )
    parser.add_argument("--parallelism", type=int, default=2, help="the controller's actions at once")
    parser.add_argument("--slots", type=int, default=2, help="slots of the lower bound (this machine's CPUs)")
    parser.add_argument("--interval", default="0", help="the controller's resync interval (0: events only)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds a ripple may take")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where the fleet goes (default: a temp dir)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON document")
    parser.add_argument("--save", type=Path, default=None, help="also write that JSON document to this file")
    args = parser.parse_args()
    if args.quick:
        args.products, args.levels, args.sleep = 12, 3, (0.3, 1.0)
    else:
        args.sleep = (1.0, 4.0)
    if args.timeout is None:
        args.timeout = 240.0 if args.quick else 480.0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ripple-", dir="/tmp"))
    workdir.mkdir(parents=True, exist_ok=True)
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    code = code_revision()
    say(f"code {code}, {os.cpu_count()} CPUs, work in {workdir}", args.json)
    results = [one_store(args, store, workdir, args.json) for store in stores]
    doc = {
        "workdir": str(workdir),
        "cpus": os.cpu_count(),
        "code": code,
        "code_after": code_revision(),
        "results": results,
    }
    if args.save:
        args.save.write_text(json.dumps(doc, indent=1))
    if args.json:
        print(json.dumps(doc, indent=1))
    else:
        print(f"fleets, stores and controller logs kept in {workdir}")


if __name__ == "__main__":
    main()
