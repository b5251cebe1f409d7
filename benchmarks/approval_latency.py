"""Approval latency (issue 28): from an approval to the approved action running under a controller.

Run from the project root::

    .venv/bin/python benchmarks/approval_latency.py                  # 10 approvals per series
    .venv/bin/python benchmarks/approval_latency.py --approvals 5

A demo workspace without acme-web (as the tests' ``demo_template_lite``), a constitution rule that
holds acme-text's ``release.cut`` for the owner, and a real controller process (``cmctl controller run
--fleet F --listen 127.0.0.1:PORT --interval 180s --log-json``). One untimed warm-up approval releases
the cut the demo starts with. Then, per approval round:

1. a ``fix: round N`` commit to the acme-text product repo (a new patch release to cut), and
   ``POST /api/products/acme-text/reconcile``;
2. wait until the controller has built that commit (its ``reconcile`` log events, the build facet's
   message naming the commit) and holds the cut (``/api/products``: release state ``held``), so that
   every round times the same thing: an approval of an idle product (an approval given while the build
   runs stands too, since it binds to what the cut acts on, but its cut then waits for the build);
3. t0; the approval; t1 when it returns; t2 when the fleet's audit log (``.cmctl/state.db``, table
   ``audit``, read-only, polled every 50 ms) shows ``action.started`` of ``acme-text/release.cut`` after t0.

Series, interleaved round by round (so the machine's load drifts over all of them alike):

* (a) ``cmctl approve acme-text/release.cut --as owner --json --fleet .`` (a subprocess, from the
  fleet directory), nothing else happening;
* (b) the same while a background thread commits one unrelated change (``NOTES.md``) to the fleet repo
  every 2 s (each commit reloads the fleet and queues every product);
* (c) the dashboard's Approve: ``POST /api/actions/acme-text/release.cut/approve`` (the API token,
  ``{"approver": "owner", "comment": ...}``), in the controller's process, nothing else happening;
* (d) the dashboard's Approve with the commit stream.

Printed per series: p50 and p95 (linear interpolation between order statistics) of t2 - t0 (what the
person waits for), of t2 - t1 (the controller's pickup after the command or request returned), of
t1 - t0 (the command or request itself) and of the audit log's own timestamps from ``approval.given``
to ``action.started`` and from t0 to ``action.started``'s timestamp (the action may start before
``cmctl approve`` returns: it reports after recording); the ratio of each series' p50 to its quiet
baseline measured in the same run; the load average (os.getloadavg) over the run. An approval the
controller never acts on within ``--timeout`` seconds is reported with the controller's log lines and
the audit records after it. If the first round of each series projects the run past ``--budget``
seconds, the run drops to 5 approvals per series and says so. Nothing is asserted; figures are
wall-clock on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from codemonkeys.demo import init_workspace
from codemonkeys.repos import run as git

TOKEN = "approval-latency-benchmark-token"
PRODUCT = "acme-text"
ACTION = f"{PRODUCT}/release.cut"
HOLD = """\
    - id: bench-acme-text-cut-needs-owner
      description: acme-text's releases wait for the owner (benchmarks/approval_latency.py)
      match: {actions: [release.cut], products: [acme-text]}
      hold: {approvals: 1, approvers: [maintainers]}
"""
SERIES = {
    "a": ("cmctl approve, quiet", "cmctl", False),
    "b": ("cmctl approve, fleet commit every 2 s", "cmctl", True),
    "c": ("dashboard POST, quiet", "dashboard", False),
    "d": ("dashboard POST, fleet commit every 2 s", "dashboard", True),
}
BASELINE = {"a": "a", "b": "a", "c": "c", "d": "c"}


@dataclass
class Sample:
    series: str
    round: int
    total: float | None  # t2 - t0
    call: float  # t1 - t0
    pickup: float | None  # t2 - t1
    audit: float | None  # approval.given -> action.started, audit timestamps
    stamped: float | None  # action.started's own timestamp - t0 (it may precede t1)
    note: str = ""


class Controller:
    """A real ``cmctl controller run`` process and what its --log-json output says."""

    def __init__(self, fleet: Path, log: Path, interval: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._offset = 0
        self.events: list[dict] = []
        env = {**os.environ, "CMCTL_API_TOKEN": TOKEN, "NO_COLOR": "1"}
        argv = [sys.executable, "-m", "codemonkeys", "controller", "run", "--fleet", str(fleet)]
        argv += ["--listen", f"127.0.0.1:{port}", "--interval", interval, "--log-json"]
        self.proc = subprocess.Popen(argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
        self.http = httpx.Client(timeout=60)
        self.wait(lambda: self.http.get(f"{self.url}/readyz").status_code == 200, 60, "readyz")

    def read_log(self) -> list[dict]:
        """The JSON events logged since the last call (all of them are kept in ``events``)."""
        with self.log.open("rb") as f:
            f.seek(self._offset)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1
        self._offset += end
        new = []
        for line in chunk[:end].decode(errors="replace").splitlines():
            try:
                msg = json.loads(line).get("msg")
            except (ValueError, AttributeError):
                continue
            if isinstance(msg, dict) and "event" in msg:
                new.append(msg)
        self.events += new
        return new

    def count(self, event: str, product: str | None = None) -> int:
        self.read_log()
        return sum(
            1 for e in self.events if e["event"] == event and (product is None or e.get("product") == product)
        )

    def facets(self, product: str = PRODUCT) -> dict:
        rows = self.http.get(f"{self.url}/api/products").json()
        return next(p for p in rows if p["name"] == product)["facets"]

    def reconcile(self, product: str = PRODUCT) -> None:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        r = self.http.post(f"{self.url}/api/products/{product}/reconcile", headers=auth)
        r.raise_for_status()

    def wait(self, check, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the controller exited: {self.log.read_text()[-3000:]}")
            try:
                if check():
                    return
            except (httpx.HTTPError, StopIteration):  # not answering, or not observed yet
                pass
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {what}; controller log:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> int | None:
        """SIGTERM, and the exit code (None if it did not stop within 60 s)."""
        self.http.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            return None


class CommitStream:
    """A thread committing one unrelated change (NOTES.md) to the fleet repo every ``period`` seconds."""

    def __init__(self, fleet: Path, period: float = 2.0) -> None:
        self.fleet, self.period = fleet, period
        self.commits, self.errors = 0, []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            try:
                (self.fleet / "NOTES.md").write_text(f"note {self.commits}\n")
                git(["add", "NOTES.md"], self.fleet)
                git(["commit", "-qm", f"notes {self.commits}"], self.fleet)
                self.commits += 1
            except Exception as exc:  # recorded and reported; the stream goes on
                self.errors.append(str(exc)[:200])
            due += self.period
            self._stop.wait(max(0.0, due - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


class Audit:
    """The fleet's audit log, read-only."""

    def __init__(self, fleet: Path) -> None:
        self.conn = sqlite3.connect(f"file:{fleet / '.cmctl' / 'state.db'}?mode=ro", uri=True)

    def query(self, sql: str, *args) -> list[tuple]:
        for _ in range(100):
            try:
                return self.conn.execute(sql, args).fetchall()
            except sqlite3.OperationalError:  # locked by a writer for a moment
                time.sleep(0.01)
        return self.conn.execute(sql, args).fetchall()

    def last_seq(self) -> int:
        return self.query("select coalesce(max(seq), 0) from audit")[0][0]

    def first(self, event: str, after: int) -> tuple[int, str] | None:
        rows = self.query(
            "select seq, at from audit where seq > ? and event = ? and action_id = ? order by seq limit 1",
            after,
            event,
            ACTION,
        )
        return rows[0] if rows else None

    def since(self, after: int) -> list[tuple]:
        return self.query(
            "select seq, at, actor, event, action_id, data from audit where seq > ? order by seq", after
        )


def lite_workspace(root: Path):
    """The demo without acme-web, and the rule that holds acme-text's cuts for the owner."""
    ws = init_workspace(root)
    git(["rm", "-q", "products/acme/acme-web.yaml"], ws.fleet)
    path = ws.fleet / "constitution.yaml"
    path.write_text(path.read_text().rstrip("\n") + "\n" + HOLD)
    git(["commit", "-qam", "benchmark: without acme-web; hold acme-text's cuts"], ws.fleet)
    return ws


def held_at(ctl: Controller, head: str) -> bool:
    """The controller's last observation of acme-text has the build of ``head`` green and its cut held."""
    facets = ctl.facets()
    build, release = facets.get("build", {}), facets.get("release", {})
    return (
        build.get("state") == "in_sync"
        and head[:12] in build.get("message", "")
        and release.get("state") == "held"
    )


def settle(ctl: Controller, repo: Path, n: int) -> None:
    """Commit ``fix: round n`` to acme-text, ask for a reconcile, and wait until one settled with the
    new cut held."""
    before = ctl.count("reconcile", PRODUCT)
    (repo / "src" / "acme_text" / "_round.py").write_text(f'"""Benchmark round."""\n\nROUND = {n}\n')
    git(["add", "-A"], repo)
    git(["commit", "-qm", f"fix: round {n}"], repo)
    head = git(["rev-parse", "HEAD"], repo)
    ctl.reconcile()
    ctl.wait(lambda: ctl.count("reconcile", PRODUCT) > before and held_at(ctl, head), 240, f"round {n} held")


def released(ctl: Controller, after: int) -> None:
    """Wait until the reconcile that ran the cut finished and acme-text's release is in sync again."""
    ctl.wait(
        lambda: (
            ctl.count("reconcile", PRODUCT) > after
            and ctl.facets().get("release", {}).get("state") == "in_sync"
        ),
        240,
        "the release in sync after the cut",
    )


def approve(ctl: Controller, fleet: Path, how: str, n: int) -> tuple[float, float, str]:
    """Give the approval; returns t0, t1 and a note when it did not say it would be acted on."""
    if how == "cmctl":
        argv = [sys.executable, "-m", "codemonkeys", "approve", ACTION, "--as", "owner", "--json"]
        env = {**os.environ, "NO_COLOR": "1"}
        t0 = time.monotonic()
        r = subprocess.run([*argv, "--fleet", "."], cwd=fleet, env=env, capture_output=True, text=True)
        t1 = time.monotonic()
        if r.returncode != 0:
            return t0, t1, f"cmctl approve exit {r.returncode}: {r.stderr.strip()[-300:]}"
        said = json.loads(r.stdout)
        if said.get("verdict") != "allow" or said.get("controller_will_act") is not True:
            keys = ("verdict", "message", "controller_will_act", "why")
            return t0, t1, "cmctl approve said " + json.dumps({k: said.get(k) for k in keys})
        return t0, t1, ""
    body = {"approver": "owner", "comment": f"benchmark round {n}"}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    t0 = time.monotonic()
    r = ctl.http.post(f"{ctl.url}/api/actions/{ACTION}/approve", json=body, headers=auth)
    t1 = time.monotonic()
    if r.status_code != 200:
        return t0, t1, f"POST approve {r.status_code}: {r.text[:300]}"
    if r.json().get("verdict") != "allow":
        return t0, t1, "POST approve said " + r.text[:300]
    return t0, t1, ""


def stamp(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


def one_round(ctl: Controller, audit: Audit, ws, key: str, n: int, k: int, timeout: float) -> Sample:
    """Approval ``n`` of series ``key``, the ``k``-th of the run."""
    settle(ctl, ws.repos / PRODUCT, k)
    base = audit.last_seq()
    reconciles = ctl.count("reconcile", PRODUCT)
    wall0 = time.time()
    t0, t1, note = approve(ctl, ws.fleet, SERIES[key][1], n)
    started = None
    while time.monotonic() - t0 < timeout:
        started = audit.first("action.started", base)
        if started is not None:
            break
        time.sleep(0.05)
    t2 = time.monotonic()
    if started is None:
        ctl.read_log()
        lines = [json.dumps(e) for e in ctl.events if e.get("product") in (PRODUCT, None)][-15:]
        records = [str(r) for r in audit.since(base)]
        note = (note + "; " if note else "") + f"no action.started within {timeout:.0f} s"
        print(f"  round {n} ({key}): {note}", file=sys.stderr)
        print("  controller log (last events):\n    " + "\n    ".join(lines), file=sys.stderr)
        print("  audit records since the approval:\n    " + "\n    ".join(records), file=sys.stderr)
        return Sample(key, n, None, t1 - t0, None, None, None, note)
    given = audit.first("approval.given", base)
    gap = stamp(started[1]) - stamp(given[1]) if given else None
    released(ctl, reconciles)
    return Sample(key, n, t2 - t0, t1 - t0, t2 - t1, gap, stamp(started[1]) - wall0, note)


def quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def report(samples: list[Sample], loads: list[float], stream: CommitStream, planned: int, note: str) -> None:
    print(f"\napprovals per series: {planned}{note}")
    print("seconds; p50 / p95 over the series' approvals; ratio = p50 of total / p50 of its quiet baseline")
    print(
        "total: until the audit poll saw action.started; pickup: from the command's return (0 when it had\n"
        "started already); given->started and started@ - t0: from the audit records' own timestamps"
    )
    head = f"{'series':42} {'n':>3} {'total t2-t0':>15} {'pickup t2-t1':>15} {'call t1-t0':>15}"
    print(head + f" {'given->started':>15} {'started@ - t0':>15} {'ratio':>6}")
    p50 = {}
    for key in SERIES:
        ok = [s for s in samples if s.series == key and s.total is not None]
        if ok:
            p50[key] = quantile([s.total for s in ok], 0.5)
    for key, (label, _, _) in SERIES.items():
        mine = [s for s in samples if s.series == key]
        ok = [s for s in mine if s.total is not None]

        def cell(values: list[float]) -> str:
            return f"{quantile(values, 0.5):6.2f} / {quantile(values, 0.95):6.2f}" if values else "-"

        base = BASELINE[key]
        ratio = f"{p50[key] / p50[base]:6.2f}" if key in p50 and base in p50 else "     -"
        missed = len(mine) - len(ok)
        print(
            f"{key} {label:40} {len(ok):>3} {cell([s.total for s in ok]):>15} "
            f"{cell([s.pickup for s in ok]):>15} {cell([s.call for s in mine]):>15} "
            f"{cell([s.audit for s in ok if s.audit is not None]):>15} "
            f"{cell([s.stamped for s in ok]):>15} {ratio}"
            + (f"   ({missed} never acted on)" if missed else "")
        )
    if "a" in p50 and "c" in p50:
        print(f"dashboard vs cmctl, quiet (c/a p50 of total): {p50['c'] / p50['a']:.2f}")
    odd = [s for s in samples if s.note]
    for s in odd:
        print(f"  round {s.round} ({s.series}): {s.note}")
    print(
        f"fleet commits by the stream: {stream.commits}"
        + (f", {len(stream.errors)} failed" if stream.errors else "")
    )
    la = os.getloadavg()
    print(
        f"load (1-min avg, sampled per round, 2 cores shared): min {min(loads):.2f}, "
        f"median {quantile(loads, 0.5):.2f}, max {max(loads):.2f}; at the end 1/5/15 min: "
        f"{la[0]:.2f} {la[1]:.2f} {la[2]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--approvals", type=int, default=10, help="approvals per series")
    parser.add_argument("--budget", type=float, default=900, help="drop to 5 approvals past this (s)")
    parser.add_argument("--interval", default="180s", help="the controller's resync --interval")
    parser.add_argument("--timeout", type=float, default=120, help="wait this long for the action (s)")
    parser.add_argument("--keep", help="work in this new directory and keep it (workspace, controller log)")
    args = parser.parse_args()
    began = time.monotonic()
    loads = [os.getloadavg()[0]]
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        ws = lite_workspace(Path(tmp) / "ws")
        ctl = Controller(ws.fleet, Path(tmp) / "controller.log", args.interval)
        stream = CommitStream(ws.fleet)
        code, aborted, planned, note = None, None, args.approvals, ""
        try:
            # the demo's own first cut of acme-text, held once its build is green: approve it untimed
            # (a warm-up; given before the build turned green, it would lapse)
            head = git(["rev-parse", "HEAD"], ws.repos / PRODUCT)
            ctl.wait(lambda: held_at(ctl, head), 300, "the first cut held")
            audit = Audit(ws.fleet)
            after = ctl.count("reconcile", PRODUCT)
            approve(ctl, ws.fleet, "dashboard", 0)
            released(ctl, after)
            setup = time.monotonic() - began
            print(f"setup (workspace, controller, first convergence, warm-up): {setup:.0f} s")
            n = 0
            while n < planned:
                n += 1
                cycle = time.monotonic()
                for i, key in enumerate(("a", "c", "b", "d")):
                    if key == "b":
                        stream.start()
                        time.sleep(3)  # the stream under way
                    samples.append(one_round(ctl, audit, ws, key, n, 4 * (n - 1) + i + 1, args.timeout))
                    loads.append(os.getloadavg()[0])
                    s = samples[-1]
                    total = f"{s.total:.2f}" if s.total is not None else "never"
                    print(f"round {n} {key}: total {total} s, call {s.call:.2f} s", flush=True)
                stream.stop()
                time.sleep(3)  # the reloads the last commits queued drain
                spent = time.monotonic() - cycle
                projected = time.monotonic() - began + spent * (planned - n)
                if n == 1 and planned > 5 and projected > args.budget:
                    planned = 5
                    note = f" (reduced from {args.approvals}: the first round projected {projected:.0f} s)"
        except Exception as exc:  # report what was measured, then the error
            aborted = exc
        finally:
            stream.stop()
            code = ctl.stop()
        if samples:
            report(samples, loads, stream, planned, note)
        print(f"controller stopped with SIGTERM: exit {code}; run took {time.monotonic() - began:.0f} s")
    if aborted is not None:
        raise SystemExit(f"aborted: {aborted}")


if __name__ == "__main__":
    main()
