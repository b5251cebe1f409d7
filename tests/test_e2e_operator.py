"""Operator experience, for real: when something goes wrong the user is told why and can read the output.

* a broken test: ``cmctl logs`` shows the failing assertion, ``status`` its line, ``explain`` the red build
  (with its signature) and what waits on it;
* ``logs --follow`` streams a running build from another process's apply;
* a product repo that is a plain working copy is released into (and a dirty one is refused plainly);
* ``cmctl demo`` checks its prerequisites before doing anything;
* times carry their UTC offset; shell completion names products and actions.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from conftest import ROOT, cmctl
from test_e2e_engine import db

pytestmark = pytest.mark.slow


def break_a_test(ws: Workspace) -> None:
    repo = ws.repos / "acme-text"
    test = repo / "tests" / "test_slug.py"
    test.write_text(test.read_text().replace("assert ", "assert 'broken' == 'on purpose' and ", 1))
    git(["commit", "-qam", "fix: a change that breaks a test"], repo)


def test_a_red_build_is_explained_with_its_output(workspace: Workspace):
    fleet = str(workspace.fleet)
    assert cmctl("apply", "--fleet", fleet, "--auto-approve", "-p", "acme-text").returncode == 0
    break_a_test(workspace)
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", "-p", "acme-text")
    assert r.returncode == 1

    logs = cmctl("logs", "acme-text/build.run", "--fleet", fleet)
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout.startswith("$ python -m pytest -q\n")
    assert "AssertionError: assert ('broken' == 'on purpose'" in logs.stdout  # the failing assertion
    assert "acme-text/build.run run 2: failed" in logs.stderr

    status = json.loads(cmctl("status", "--json", "--fleet", fleet).stdout)
    failure = status["products"]["acme-text"]["last_failure"]["message"]
    assert "pytest_failure: tests/test_slug.py::test_basic - AssertionError: assert" in failure  # the cause
    assert datetime.fromisoformat(status["products"]["acme-text"]["observed_at"]).utcoffset() is not None
    assert status["last_run"]["started_at"].endswith("+00:00")

    why = json.loads(cmctl("explain", "acme-text", "--json", "--fleet", fleet).stdout)
    assert why["in_sync"] is False and why["facets"]["build"]["state"] == "failed"
    assert why["facets"]["release"]["state"] == "blocked"  # what waits on the red build
    assert "waiting: the build of" in why["facets"]["release"]["message"]
    red = next(o for o in why["obstacles"] if o["kind"] == "red build")
    assert red["signature"].startswith("pytest_failure: tests/test_slug.py::test_basic")
    assert any(
        o["kind"] == "last failure" and "cmctl logs acme-text/build.run" in o["message"]
        for o in why["obstacles"]
    )
    assert why["next"] == []  # nothing the controller can do: push a fix

    text = cmctl("explain", "acme-report", "--fleet", fleet)
    assert text.returncode == 0 and "dependency: acme-text is not in sync (build failed" in text.stdout

    nothing = cmctl("logs", "acme-text/announce.post", "--fleet", fleet)
    assert nothing.returncode == 1 and "no journaled action 'acme-text/announce.post'" in nothing.stderr
    unknown = cmctl("explain", "nobody", "--fleet", fleet)
    assert unknown.returncode == 1 and "unknown product(s): nobody" in unknown.stderr


def test_logs_follow_streams_a_running_build(workspace: Workspace):
    fleet = workspace.fleet
    product = fleet / "products" / "acme" / "acme-text.yaml"
    slow = 'command: [sh, -c, "echo one; sleep 2; echo two; sleep 2; echo three"]'
    text = product.read_text()
    assert "command: [python, -m, pytest, -q]" in text
    product.write_text(text.replace("command: [python, -m, pytest, -q]", slow))
    git(["commit", "-qam", "acme-text: a slow build"], fleet)
    env = {**os.environ, "NO_COLOR": "1"}
    apply = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "codemonkeys",
            "apply",
            "--fleet",
            str(fleet),
            "--auto-approve",
            "-p",
            "acme-text",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = []
            if (fleet / ".cmctl" / "state.db").exists():
                with db(workspace) as conn, contextlib.suppress(sqlite3.OperationalError):  # tables not yet
                    rows = conn.execute(
                        "select status, log from actions where action_id='acme-text/build.run'"
                    ).fetchall()
            if rows and rows[-1][0] == "running" and "one" in (rows[-1][1] or ""):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the build never showed up running")
        follow = cmctl("logs", "acme-text/build.run", "--follow", "--fleet", str(fleet), timeout=60)
    finally:
        apply.wait(timeout=120)
    assert follow.returncode == 0, follow.stderr
    assert "acme-text/build.run run 1: running" in follow.stderr  # it was running when follow started
    assert follow.stdout.index("one") < follow.stdout.index("two") < follow.stdout.index("three")
    assert follow.stdout.startswith("$ sh -c ")


def test_a_working_copy_is_released_into_and_a_dirty_one_is_refused_plainly(workspace: Workspace):
    fleet = str(workspace.fleet)
    repo = workspace.repos / "acme-text"
    git(["config", "--unset", "receive.denyCurrentBranch"], repo)  # a plain checkout, as users have
    (repo / "NOTES.md").write_text("notes\n")
    git(["add", "NOTES.md"], repo)
    git(["commit", "-qm", "feat: notes"], repo)
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", "-p", "acme-text")
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'version = "0.2.0"' in (repo / "pyproject.toml").read_text()  # the checkout was updated too
    assert "v0.2.0" in git(["tag", "--list"], repo).split()
    assert git(["status", "--porcelain"], repo) == ""

    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nwork in progress\n")  # uncommitted
    (repo / "MORE.md").write_text("more\n")
    git(["add", "MORE.md"], repo)
    git(["commit", "-qm", "feat: more"], repo)
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", "-p", "acme-text")
    assert r.returncode == 1
    assert "is a working copy with uncommitted changes on main: commit or stash them" in r.stderr
    assert "v0.3.0" not in git(["tag", "--list"], repo).split()  # nothing half-done at the source
    assert "work in progress" in (repo / "README.md").read_text()  # the user's edit is untouched


def test_demo_checks_its_prerequisites_before_doing_anything(tmp_path: Path):
    """A core-only install (no [demo] extra) and a PATH without node, npm and cargo."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-e",
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert pip.returncode == 0, pip.stderr
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(
        subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip()
    )
    demo = tmp_path / "demo"
    r = subprocess.run(
        [str(venv / "bin" / "cmctl"), "demo", "--dir", str(demo)],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path), "NO_COLOR": "1", "COLUMNS": "200"},
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1
    assert "need tools that are not installed (nothing was done)" in r.stderr
    for missing in (
        "python module pytest",
        "python module mkdocs",
        "python module ansible_runner",
        "program node",
        "program npm",
        "program cargo",
    ):
        assert missing in r.stderr, r.stderr
    assert "pip install 'codemonkeys[demo]'" in r.stderr and "program git" not in r.stderr
    assert not demo.exists()  # no half-made workspace


def test_shell_completion_names_products_and_actions(workspace: Workspace):
    fleet = str(workspace.fleet)
    env = {"_CMCTL_COMPLETE": "complete_bash", "CMCTL_FLEET": fleet}
    products = cmctl(env={**env, "COMP_WORDS": "cmctl explain acme-", "COMP_CWORD": "2"})
    assert products.stdout.split() == ["acme-cli", "acme-report", "acme-text"]
    assert cmctl("apply", "--fleet", fleet, "--auto-approve", "-p", "acme-text").returncode == 0
    actions = cmctl(env={**env, "COMP_WORDS": "cmctl logs acme-text/b", "COMP_CWORD": "2"})
    assert actions.stdout.split() == ["acme-text/build.run"]
    shown = cmctl("--show-completion", "bash")
    assert shown.returncode == 0 and "_CMCTL_COMPLETE=complete_bash" in shown.stdout
