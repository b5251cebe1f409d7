"""Heal, end to end, beyond the acceptance scenario (tests/test_e2e_heal.py, whose fleet and helpers are
reused here).

1. On Jenkins: the products build on the Jenkins-REST-compatible test server (``ci: jenkins``, a
   Jenkinsfile in each repo). A person fixes one product; the Jenkins green build of the fix teaches a
   template; another product is healed with it, the heal commit proven by a Jenkins build of that very
   commit, merged, its branch deleted, with zero LLM calls. The controller's own environment has no
   ``CORE_LIBS``: only the job's (the Jenkinsfile's ``environment`` block) does, so a build that did not
   run on Jenkins could not go green.
2. Crash safety: a real ``cmctl apply`` is killed with SIGKILL three times during one heal: while the
   heal commit is pushed to its branch (the attempt is on record, its heal commit not yet: the resume
   re-creates the very same commit), while it is proving (its build runs), and while ``heal.merge``
   pushes to main (a pre-receive hook in the product repo holds those pushes so the windows are
   observable; the held push lands after the kill, so main has the heal while nothing recorded the
   merge). The next applies finish the heal with the one attempt and the one heal commit, one merge
   lands, no second heal branch appears, and the audit chain verifies.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from codemonkeys.api import FleetSession
from codemonkeys.ci.jenkins import render_jenkinsfile
from codemonkeys.context import Context
from codemonkeys.load import load_fleet
from codemonkeys.repos import run as git
from conftest import cmctl
from need import need_module
from test_e2e_heal import PRODUCTS, commit, converge, heads, make_fleet, session
from test_e2e_jenkins import jenkins  # noqa: F401  (the fixture: the test Jenkins, our python on PATH)

pytestmark = pytest.mark.slow


# --- 1. heal on Jenkins -----------------------------------------------------------------------------


def on_jenkins(fleet: Path, tmp: Path, server) -> FleetSession:
    """Switch the heal fleet to ``ci: jenkins`` and give every product a Jenkinsfile whose job
    environment has ``CORE_LIBS``; a session whose own environment has the Jenkins credentials and no
    ``CORE_LIBS``."""
    doc = fleet / "fleet.yaml"
    doc.write_text(
        doc.read_text().replace(
            "spec:\n",
            f"spec:\n  ci:\n    default: jenkins\n    jenkins:\n      url: {server.url}\n"
            "      userEnv: CM_JENKINS_USER\n      tokenEnv: CM_JENKINS_TOKEN\n",
            1,
        )
    )
    desired, diags = load_fleet(fleet)
    assert desired is not None, diags
    base = Context.from_environ()
    for name in PRODUCTS:
        script = render_jenkinsfile(desired.products[name], base.resources)
        # the test Jenkins exports a Jenkinsfile's `environment` to the sh steps, as Jenkins does
        script = script.replace(
            "  agent any\n",
            f"  agent any\n  environment {{\n    CORE_LIBS = '{tmp / 'core-libs'}'\n  }}\n",
            1,
        )
        assert "CORE_LIBS = " in script
        commit(tmp / "repos" / name, {"Jenkinsfile": script}, "ci: build on Jenkins")
    env = {k: v for k, v in base.env.items() if k not in ("OLLAMA_HOST", "CORE_LIBS")}
    env |= {"CM_JENKINS_USER": server.user, "CM_JENKINS_TOKEN": server.token}
    return FleetSession.open(fleet, replace(base, env=env))


def jenkins_builds(server, job: str) -> list[tuple[str, str]]:
    """(COMMIT parameter, result) of every build of ``job``, oldest first."""
    client = server.client()
    out = []
    for number in sorted(b["number"] for b in client.get_job_info(job)["builds"]):
        info = client.get_build_info(job, number)
        params = {p["name"]: p["value"] for a in info["actions"] if a for p in a.get("parameters", [])}
        out.append((params.get("COMMIT", ""), info["result"]))
    return out


def test_heal_on_jenkins_from_a_human_fix_proven_by_a_jenkins_build(
    tmp_path: Path,
    ollama_scripted,
    jenkins,  # noqa: F811
):
    need_module("jenkins", "python-jenkins is a test dependency: pip install -e '.[test]'")
    fleet = make_fleet(tmp_path, ollama_scripted.url, ollama_scripted.model)
    fs = on_jenkins(fleet, tmp_path, jenkins)
    converge(fs)
    assert all(p.in_sync for p in fs.plan().products.values())
    assert [r for _, r in jenkins_builds(jenkins, "billing")] == ["SUCCESS"]

    # billing moves to core-lib 2.0 and goes red on Jenkins; a person fixes it
    billing = tmp_path / "repos" / "billing"
    red = commit(billing, {"core-lib.version": "2\n"}, "build: core-lib 2.0")
    converge(fs, rounds=1)
    assert fs.plan().products["billing"].facets["build"].observed == "red"
    fixed = PRODUCTS["billing"]["billing.py"].replace("compute_total", "calculate_total")
    fix = commit(billing, {"billing.py": fixed}, "fix: core-lib 2.0 renamed compute_total")
    history = converge(fs, rounds=1)
    assert history == [{"billing/build.run": "succeeded"}]
    assert jenkins_builds(jenkins, "billing")[1:] == [(red, "FAILURE"), (fix, "SUCCESS")]
    (template,) = fs.templates()  # learned from the Jenkins green build of the person's fix
    assert template["origin"] == template["origin"] | {"kind": "human", "product": "billing", "commit": fix}
    assert (template["successes"], template["failures"]) == (1, 0)

    # shop moves to 2.0: red on Jenkins with the same error; healed from the template, proven on Jenkins
    shop = tmp_path / "repos" / "shop"
    before = commit(shop, {"core-lib.version": "2\n"}, "build: core-lib 2.0")
    ollama_scripted.reset()
    history = converge(fs)
    assert ollama_scripted.llm_calls() == 0
    ran = [aid for rnd in history for aid in rnd]
    assert ran == ["shop/build.run", "shop/build.heal", "shop/heal.merge"], history
    (attempt,) = fs.heal_attempts("shop")
    assert (attempt["strategy"], attempt["template"], attempt["status"]) == (
        "template",
        template["id"],
        "merged",
    )
    heal_commit = attempt["heal_commit"]
    # built BY JENKINS: the job's build list has the red commit (red) and the heal commit (green), once
    assert jenkins_builds(jenkins, "shop")[1:] == [(before, "FAILURE"), (heal_commit, "SUCCESS")]
    console = jenkins.client().get_build_console_output("shop", 3)
    assert f"Checking out Revision {heal_commit}" in console and "1 passed" in console
    head, branches = heads(tmp_path, "shop")
    assert (head, branches) == (heal_commit, ["main"])  # fast-forwarded; the heal branch deleted
    assert git(["rev-parse", f"{head}~1"], shop) == before
    assert "calculate_total" in git(["show", f"{head}:shop/cart.py"], shop)
    plan = fs.plan()
    assert plan.products["shop"].in_sync and not plan.actions  # main's head: observed green on Jenkins
    assert len(jenkins_builds(jenkins, "shop")) == 3  # the merged commit is not built again
    (template,) = fs.templates()
    assert (template["successes"], template["failures"]) == (2, 0)
    events = [r["event"] for r in fs.audit(limit=None)]
    assert events.count("heal.merged") == 1 and "swarm.template.learned" in events


# --- 2. crash safety: kill -9 while a heal is pushed, proven, merged ---------------------------------

SLOW_TEST = (
    "import pathlib\nimport time\n\n\ndef test_slow_when_flagged():\n"
    "    if (pathlib.Path(__file__).parents[1] / 'slow.flag').exists():\n        time.sleep(3)\n"
)
# Holds one push of a heal branch or of main (when the test asked for it with a hold-<what> file in the
# repo's git dir): writes the commit being pushed to held-<what>, sleeps while the test kills the apply,
# then lets the push go on: the killed apply's push still lands (nothing reads its output), as it may
# in real life.
HOLD_HOOK = """#!/bin/sh
while read old new ref; do
  case "$ref" in
    refs/heads/heal/*) what=heal ;;
    refs/heads/main) what=main ;;
    *) continue ;;
  esac
  if [ -e "{git_dir}/hold-$what" ]; then
    rm -f "{git_dir}/hold-$what"
    echo "$new" > "{git_dir}/held-$what.tmp" && mv "{git_dir}/held-$what.tmp" "{git_dir}/held-$what"
    sleep 4
  fi
done
exit 0
"""


def apply_in_background(fleet: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """A real `cmctl apply` of the whole fleet, one action at a time, its output appended to ``log``."""
    argv = [sys.executable, "-m", "codemonkeys", "apply", "--fleet", str(fleet), "--auto-approve"]
    with log.open("ab") as out:
        return subprocess.Popen([*argv, "--parallelism", "1"], env=env, stdout=out, stderr=out)


def kill_when(proc: subprocess.Popen, ready, what: str, log: Path, timeout: float = 120):
    """SIGKILL ``proc`` as soon as ``ready()`` returns something truthy (returned); fails if the apply
    ended first or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        found = ready()
        if found:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return found
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    pytest.fail(f"the apply ended (rc {proc.returncode}) before {what}:\n{log.read_text()[-3000:]}")


def wait_for_ref(repo: Path, ref: str, commit: str, timeout: float = 30) -> None:
    """Wait until the orphaned push of a killed apply has moved ``ref`` to ``commit``."""
    deadline = time.monotonic() + timeout
    while git(["rev-parse", "--verify", "--quiet", ref], repo, check=False) != commit:
        assert time.monotonic() < deadline, f"{ref} never reached {commit[:12]}"
        time.sleep(0.05)


def attempts(fleet: Path, product: str) -> list[tuple]:
    """(n, status, heal_commit, branch) of the product's heal attempts, read by SQL as an operator would."""
    try:
        with sqlite3.connect(fleet / ".cmctl" / "state.db") as conn:
            return conn.execute(
                "select n, status, heal_commit, branch from heal_attempts where product=? order by id",
                (product,),
            ).fetchall()
    except sqlite3.OperationalError:  # locked by the writer for a moment
        return []


def test_kill_9_while_a_heal_is_pushed_proven_and_merged_then_resume(tmp_path: Path, ollama_scripted):
    fleet = make_fleet(tmp_path, ollama_scripted.url, ollama_scripted.model)
    fs = session(fleet, tmp_path)
    converge(fs)
    billing, shop = tmp_path / "repos" / "billing", tmp_path / "repos" / "shop"
    commit(billing, {"core-lib.version": "2\n"}, "build: core-lib 2.0")
    converge(fs, rounds=1)
    fixed = PRODUCTS["billing"]["billing.py"].replace("compute_total", "calculate_total")
    commit(billing, {"billing.py": fixed}, "fix: core-lib 2.0 renamed compute_total")
    converge(fs, rounds=1)
    (template,) = fs.templates()

    # shop moves to 2.0 (red) with a test that is slow while slow.flag exists: proving takes seconds
    red = commit(
        shop,
        {"core-lib.version": "2\n", "slow.flag": "", "tests/test_slow.py": SLOW_TEST},
        "build: core-lib 2.0",
    )
    assert converge(fs, rounds=1) == [{"shop/build.run": "failed"}]
    git_dir = shop / ".git"
    hook = git_dir / "hooks" / "pre-receive"
    hook.write_text(HOLD_HOOK.replace("{git_dir}", str(git_dir)))
    hook.chmod(0o755)
    # the builds import core-lib from a directory of the test, outside the sandbox (as in test_e2e_heal)
    env = {**os.environ, "CORE_LIBS": str(tmp_path / "core-libs"), "NO_COLOR": "1", "CMCTL_UNSANDBOXED": "1"}
    env.pop("OLLAMA_HOST", None)
    log = tmp_path / "apply.log"

    # kill 1: the heal commit is being pushed to its branch; the attempt (with its patch) is on record
    (git_dir / "hold-heal").touch()
    proc = apply_in_background(fleet, env, log)
    made = kill_when(
        proc,
        lambda: (git_dir / "held-heal").exists() and (git_dir / "held-heal").read_text().strip(),
        "the heal branch was pushed",
        log,
    )
    ((n, status, heal_commit, branch),) = attempts(fleet, "shop")
    assert (n, status, heal_commit) == (1, "proving", None)
    wait_for_ref(shop, branch, made)  # the killed apply's push lands after all: the branch exists

    # kill 2: the heal commit is proving (its build runs); re-created identically by the resume
    proc = apply_in_background(fleet, env, log)
    row = kill_when(
        proc,
        lambda: [a for a in attempts(fleet, "shop") if a[1] == "proving" and a[2]],
        "the heal was proving",
        log,
    )
    assert row == [(1, "proving", made, branch)]  # the same commit the killed apply had made
    assert git(["rev-parse", branch], shop) == made

    # kill 3: heal.merge is pushing the proven commit to main
    (git_dir / "hold-main").touch()
    for _ in range(3):  # the resumed proof, then the merge (an apply runs one plan)
        proc = apply_in_background(fleet, env, log)
        held = git_dir / "held-main"
        deadline = time.monotonic() + 120
        while proc.poll() is None and not held.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        if held.exists():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            break
        assert proc.wait(timeout=120) == 0, log.read_text()[-3000:]
    assert held.read_text().strip() == made  # a fast-forward of main to the heal commit
    assert attempts(fleet, "shop") == [(1, "green", made, branch)]
    wait_for_ref(shop, "refs/heads/main", made)  # main moved, but heal.merge recorded nothing

    # resume until nothing runs
    for _ in range(4):
        r = cmctl(
            "apply",
            "--fleet",
            str(fleet),
            "--auto-approve",
            env={"CORE_LIBS": env["CORE_LIBS"], "CMCTL_UNSANDBOXED": "1"},
        )
        assert r.returncode == 0, r.stdout + r.stderr
        if "nothing to apply" in r.stdout:
            break
    else:
        pytest.fail("the fleet did not converge after the kills")

    assert attempts(fleet, "shop") == [(1, "merged", made, branch)]
    (attempt,) = fs.heal_attempts("shop", red)
    assert (attempt["strategy"], attempt["template"]) == ("template", template["id"])
    head, branches = heads(tmp_path, "shop")
    assert (head, branches) == (made, ["main"])
    assert git(["for-each-ref", "refs/heads/heal/"], shop) == ""
    log_main = git(["log", "--format=%H %P", "main"], shop).splitlines()
    assert [line.split()[0] for line in log_main].count(made) == 1
    assert all(len(line.split()) <= 2 for line in log_main)  # no merge commit either
    assert git(["log", "--format=%H", "--grep=Heal-Attempt:", "main"], shop).split() == [made]
    # no second heal branch ever appeared: every heal record names the one branch and commit
    heal_records = [r for r in fs.audit("shop", limit=None) if r["event"].startswith("heal.")]
    assert [r["event"] for r in heal_records].count("heal.merged") == 1
    assert {(r["data"]["branch"], r["data"]["heal_commit"]) for r in heal_records} == {(branch, made)}
    with sqlite3.connect(fleet / ".cmctl" / "state.db") as conn:
        runs = [s for (s,) in conn.execute("select status from runs order by id")]
    assert runs.count("interrupted") >= 3, runs
    (template,) = fs.templates()
    assert (template["successes"], template["failures"]) == (2, 0)
    assert fs.plan().products["shop"].in_sync
    verify = cmctl("audit", "verify", "--fleet", str(fleet))
    assert verify.returncode == 0, verify.stdout + verify.stderr
