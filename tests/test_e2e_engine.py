"""End to end on a demo workspace with the real CLI: real git repos, real builds (pytest, node, cargo),
real mkdocs, real packaging into the file registry.

Covers: convergence, idempotent re-apply, stale plans refused, crash (kill -9) and resume without
repeated side effects, failure isolation, concurrent apply refused, audit tamper detection, secrets.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from conftest import cmctl

pytestmark = pytest.mark.slow

RELEASED = {  # the `workspace` fixture's five products (the demo without acme-web)
    "acme-cli": "1.0.1",
    "acme-report": "0.1.0",
    "acme-text": "0.2.0",
    "globex-hash": "0.1.1",
    "globex-widgets": "0.4.0",
}
RELEASED_FULL = {**RELEASED, "acme-web": "0.1.0"}  # the whole demo (`full_workspace`)


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(["add", "-A"], repo)
    git(["commit", "-q", "-m", message], repo)
    return git(["rev-parse", "HEAD"], repo)


def db(ws: Workspace) -> sqlite3.Connection:
    return sqlite3.connect(ws.fleet / ".cmctl" / "state.db")


def plan_json(ws: Workspace) -> dict:
    r = cmctl("plan", "--json", "--fleet", str(ws.fleet))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def start_apply(ws: Workspace) -> subprocess.Popen:
    """A real `cmctl apply` in the background, one action at a time."""
    argv = [
        sys.executable,
        "-m",
        "codemonkeys",
        "apply",
        "--fleet",
        str(ws.fleet),
        "--auto-approve",
        "--parallelism",
        "1",
    ]
    with open(ws.root / "apply.log", "wb") as log:  # read when the apply ends too early
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)


def wait_for_count(ws: Workspace, proc: subprocess.Popen, sql: str, timeout: float) -> int:
    """Poll the state database until ``sql`` (a count) is positive; 0 if ``proc`` ended or time ran out."""
    state = ws.fleet / ".cmctl" / "state.db"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if state.exists():
            try:
                with db(ws) as conn:
                    count = conn.execute(sql).fetchone()[0]
            except sqlite3.OperationalError:  # the schema is being created
                count = 0
            if count:
                return count
        time.sleep(0.05)
    return 0


def release_commits(repo: Path) -> list[str]:
    return [s for s in git(["log", "--format=%s"], repo).splitlines() if s.startswith("chore(release)")]


def test_apply_converges_and_reapply_is_a_noop(full_workspace: Workspace, tmp_path: Path):
    workspace = full_workspace
    fleet = str(workspace.fleet)
    assert cmctl("plan", "--fleet", fleet, "--detailed-exitcode").returncode == 2
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", "--parallelism", "3")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Apply complete" in r.stdout
    again = cmctl("plan", "--fleet", fleet, "--detailed-exitcode")
    assert again.returncode == 0, again.stdout
    assert "6 products in sync, 0 drifting" in again.stdout

    for name, version in RELEASED_FULL.items():
        repo = workspace.repos / name
        assert f"v{version}" in git(["tag", "--list"], repo).split()
        assert release_commits(repo) == [f"chore(release): {name} {version}"]
        assert f"## {version}" in (repo / "CHANGELOG.md").read_text()
        assert git(["status", "--porcelain"], repo) == ""  # the maintainer's checkout moved with the push
    assert 'version = "0.2.0"' in (workspace.repos / "acme-text" / "pyproject.toml").read_text()
    assert '"version": "0.4.0"' in (workspace.repos / "globex-widgets" / "package.json").read_text()
    for host in ("staging-1", "production-1", "production-2"):  # acme-web deployed, each host its port
        port = (workspace.hosts / host / "port").read_text().strip()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            assert r.read().decode().strip() == "ok 0.1.0"
    assert 'version = "0.1.1"' in (workspace.repos / "globex-hash" / "Cargo.lock").read_text()

    # pip can install from the file registry (PEP 503 layout)
    dl = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-cache-dir",
            "-d",
            str(tmp_path / "dl"),
            "--index-url",
            (workspace.registry / "simple").as_uri(),
            "acme-text==0.2.0",
        ],
        capture_output=True,
        text=True,
    )
    assert dl.returncode == 0, dl.stderr
    assert any(p.name.startswith("acme_text-0.2.0") for p in (tmp_path / "dl").iterdir())
    assert (workspace.registry / "npm/@globex/widgets/-/globex-widgets-0.4.0.tgz").is_file()
    assert (workspace.registry / "crates/globex-hash/globex-hash-0.1.1.crate").is_file()
    assert (workspace.fleet / ".cmctl/sites/acme-text/index.html").is_file()

    r = cmctl("apply", "--fleet", fleet, "--auto-approve")
    assert r.returncode == 0 and "nothing to apply" in r.stdout
    status = json.loads(cmctl("status", "--json", "--fleet", fleet).stdout)
    assert all(p["in_sync"] for p in status["products"].values())
    assert cmctl("audit", "verify", "--fleet", fleet).returncode == 0


def test_feat_commit_makes_a_new_minor_release(workspace: Workspace):
    fleet = str(workspace.fleet)
    assert cmctl("apply", "--fleet", fleet, "--auto-approve", "--product", "acme-text").returncode == 0
    repo = workspace.repos / "acme-text"
    commit(
        repo,
        {"src/acme_text/extra.py": '"""Extra."""\n\n\ndef shout(s: str) -> str:\n    return s.upper()\n'},
        "feat: add shout",
    )
    doc = plan_json(workspace)
    ids = [a["id"] for a in doc["actions"] if a["product"] == "acme-text"]
    # a new public function: the API changed, so the docs are rebuilt too (living docs)
    assert ids == [
        "acme-text/build.run",
        "acme-text/docs.build",
        "acme-text/release.cut",
        "acme-text/release.publish/local",
    ]
    cut = next(a for a in doc["actions"] if a["id"] == "acme-text/release.cut")
    assert cut["params"]["version"] == "0.3.0" and cut["params"]["previous"] == "0.2.0"
    assert not doc["products"]["acme-text"]["in_sync"]


def test_stale_plan_is_refused(workspace: Workspace, tmp_path: Path):
    fleet = str(workspace.fleet)
    plan_file = tmp_path / "plan.json"
    r = cmctl("plan", "--fleet", fleet, "--out", str(plan_file))
    assert r.returncode == 0
    commit(workspace.repos / "globex-hash", {"NOTES.md": "notes\n"}, "fix: a late fix")
    r = cmctl("apply", str(plan_file), "--fleet", fleet)
    assert r.returncode == 1
    assert "stale" in r.stderr
    with db(workspace) as conn:
        assert conn.execute("select count(*) from runs").fetchone()[0] == 0
    assert git(["tag", "--list"], workspace.repos / "acme-text").split() == ["v0.1.0"]
    # a fresh saved plan applies
    r = cmctl("plan", "--fleet", fleet, "--out", str(plan_file), "--product", "globex-hash")
    r = cmctl("apply", str(plan_file), "--fleet", fleet)
    assert r.returncode == 0, r.stdout + r.stderr


def test_kill_9_mid_apply_then_resume_repeats_nothing(workspace: Workspace):
    fleet = str(workspace.fleet)
    proc = start_apply(workspace)
    cut = "select count(*) from actions where kind='release.cut' and status='succeeded'"
    killed_after = wait_for_count(workspace, proc, cut, timeout=300)
    if killed_after:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert killed_after, (
        "the apply finished before it could be killed: " + (workspace.root / "apply.log").read_text()[-3000:]
    )
    with db(workspace) as conn:
        assert conn.execute("select status from runs").fetchall() == [("running",)]

    r = cmctl("apply", "--fleet", fleet, "--auto-approve")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "interrupted" in r.stderr
    assert cmctl("plan", "--fleet", fleet, "--detailed-exitcode").returncode == 0
    with db(workspace) as conn:
        assert [s for (s,) in conn.execute("select status from runs order by id")] == [
            "interrupted",
            "succeeded",
        ]
    for name, version in RELEASED.items():
        repo = workspace.repos / name
        assert release_commits(repo) == [f"chore(release): {name} {version}"], name  # no duplicate commit
        assert git(["tag", "--list", f"v{version}"], repo) == f"v{version}"
    files = sorted(p.name for p in (workspace.registry / "simple" / "acme-text").iterdir())
    assert files == ["acme_text-0.2.0-py3-none-any.whl", "acme_text-0.2.0.tar.gz", "index.html"]


def test_failing_product_is_isolated(workspace: Workspace):
    fleet = str(workspace.fleet)
    commit(
        workspace.repos / "globex-widgets",
        {
            "test/broken.test.js": "import test from 'node:test';\nimport assert from 'node:assert';\n"
            "test('broken', () => assert.equal(1, 2));\n"
        },
        "feat: a feature with a failing test",
    )
    r = cmctl("apply", "--fleet", fleet, "--auto-approve")
    assert r.returncode == 1
    assert "globex-widgets/build.run" in r.stderr and "failed" in r.stderr
    assert git(["tag", "--list"], workspace.repos / "globex-widgets").split() == ["v0.3.0"]
    for name in ("acme-text", "acme-report", "acme-cli", "globex-hash"):
        assert f"v{RELEASED[name]}" in git(["tag", "--list"], workspace.repos / name).split()
    with db(workspace) as conn:
        rows = dict(conn.execute("select action_id, status from actions where product='globex-widgets'"))
    assert rows["globex-widgets/build.run"] == "failed"
    assert rows["globex-widgets/release.cut"] == "skipped"
    doc = plan_json(workspace)
    widgets = doc["products"]["globex-widgets"]
    assert widgets["facets"]["build"]["state"] == "failed"
    assert widgets["facets"]["release"]["state"] == "blocked"
    assert not [a for a in doc["actions"] if a["product"] == "globex-widgets"]  # a red build is not re-run
    status = json.loads(cmctl("status", "--json", "--fleet", fleet).stdout)
    assert status["products"]["globex-widgets"]["last_failure"]["action"] == "globex-widgets/build.run"
    with db(workspace) as conn:  # the swarm learned the failure's signature
        sigs = conn.execute("select product, ci, summary from signatures").fetchall()
    assert sigs and all(p == "globex-widgets" and ci == "local" for p, ci, _ in sigs)
    assert any("broken" in summary for _, _, summary in sigs), sigs


def test_concurrent_apply_is_refused(workspace: Workspace):
    fleet = str(workspace.fleet)
    first = start_apply(workspace)
    started = wait_for_count(
        workspace, first, "select count(*) from runs where status='running'", timeout=120
    )
    assert started, "the first apply never started"
    second = cmctl("apply", "--fleet", fleet, "--auto-approve")
    assert first.wait(timeout=600) == 0
    assert second.returncode == 1
    assert "another apply is running" in second.stderr


def test_applies_of_other_products_proceed_side_by_side(workspace: Workspace):
    """Applies lock the products they act on (a file per product), not the fleet: while someone holds
    acme-text, an apply of globex-hash proceeds and one of acme-text is refused, naming it."""
    from codemonkeys.engine import product_lock
    from codemonkeys.load import load_fleet

    fleet = str(workspace.fleet)
    desired, _ = load_fleet(workspace.fleet)
    held = product_lock(desired, "acme-text")
    held.acquire()
    try:
        other = cmctl("apply", "--fleet", fleet, "--auto-approve", "--product", "globex-hash")
        busy = cmctl("apply", "--fleet", fleet, "--auto-approve", "--product", "acme-text")
    finally:
        held.release()
    assert other.returncode == 0, other.stdout + other.stderr
    assert busy.returncode == 1 and "another apply is running on product acme-text" in busy.stderr


def test_audit_tampering_is_detected(workspace: Workspace):
    fleet = str(workspace.fleet)
    assert cmctl("apply", "--fleet", fleet, "--auto-approve", "--product", "globex-hash").returncode == 0
    assert cmctl("audit", "verify", "--fleet", fleet).returncode == 0
    with db(workspace) as conn:
        conn.execute("update audit set actor='mallory' where seq=3")
    r = cmctl("audit", "verify", "--fleet", fleet)
    assert r.returncode == 1
    assert "broken at record 3" in r.stderr


def test_secrets_never_reach_journal_plan_or_audit(workspace: Workspace):
    secret = "s3cr3t-token-value-42"
    fleet_yaml = workspace.fleet / "fleet.yaml"
    fleet_yaml.write_text(
        fleet_yaml.read_text().replace(
            "      path: ../registry\n",
            "      path: ../registry\n      credentials:\n        tokenEnv: DEMO_TOKEN\n",
        )
    )
    cli = workspace.fleet / "products" / "acme" / "acme-report.yaml"
    cli.write_text(
        cli.read_text().replace(
            "    command: [python, -m, pytest, -q]\n  release:\n    publish:\n"
            "      - registry: local\n        package: acme-cli",
            '    command: [sh, -c, "echo token=$DEMO_TOKEN; python -m pytest -q"]\n'
            # a sandboxed build sees only what it declares: here the secret, by reference
            "    env: {DEMO_TOKEN: {secretRef: demo-token}}\n"
            "  release:\n    publish:\n      - registry: local\n        package: acme-cli",
        )
    )
    assert "DEMO_TOKEN" in cli.read_text()
    env = {"DEMO_TOKEN": secret, "CMCTL_SECRET_DEMO_TOKEN": secret}
    r = cmctl("plan", "--json", "--fleet", str(workspace.fleet), env=env)
    assert secret not in r.stdout
    r = cmctl("apply", "--fleet", str(workspace.fleet), "--auto-approve", "--product", "acme-cli", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert secret not in r.stdout + r.stderr
    with db(workspace) as conn:
        log = conn.execute("select log from actions where action_id='acme-cli/build.run'").fetchone()[0]
        dump = "\n".join(
            str(row)
            for table in ("actions", "audit", "build_results", "runs")
            for row in conn.execute(f"select * from {table}")
        )
    assert "token=***" in log
    assert secret not in dump


def test_tour_from_the_fleet_directory_with_a_saved_plan(workspace: Workspace):
    """As the README tour does it: cwd is the fleet repo, no --fleet, a saved plan applied later."""
    cwd = workspace.fleet
    r = cmctl("plan", "--out", "plan.json", "--detailed-exitcode", cwd=cwd)
    assert r.returncode == 2, r.stderr
    r = cmctl("apply", "plan.json", cwd=cwd)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "now, of the 5 products applied to: 5 products in sync, 0 drifting" in r.stdout
    status = json.loads(cmctl("status", "--json", cwd=cwd).stdout)
    assert all(p["in_sync"] for p in status["products"].values())
    assert not (cwd / ".cmctl" / ".cmctl").exists()
