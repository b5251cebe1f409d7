"""build.run's Jenkins failure paths against the Jenkins-REST-compatible test server (which really clones the
repo at COMMIT and runs the Jenkinsfile's sh steps), planned and applied by a ``FleetSession`` on a
one-product fleet built on Jenkins:

- a build still queued after the queue timeout is a transient failure (retried) naming the job and the
  server; the retry follows the same queue item (Jenkins merges identical requests): no second build;
- a build running past the build timeout is stopped on Jenkins (it ends ABORTED) and is a failed
  build.run naming it, not retried, with no build result recorded;
- a build commit without a Jenkinsfile (added in a later ``[skip ci]`` commit) is a failed build.run
  saying where to start from, and Jenkins is not touched.

The two timeouts are the actuator's module constants, shortened for the test (``QUEUE_TIMEOUT``, 600 s,
and ``STOP_GRACE``, the 60 s past ``build.timeout`` during which the Jenkinsfile's own timeout may act).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.facets.build import jenkins as build_jenkins
from codemonkeys.repos import run as git
from need import need_module
from servers.jenkins.launch import JenkinsServer, start_jenkins
from solo_fleet import IDENT

pytestmark = pytest.mark.slow

DEADLINE = 60.0  # how long the test waits for the server to finish stopping a build
SLEEPER = "pipeline {\n  agent any\n  stages {\n    stage('Test') {\n      steps {\n        sh 'sleep 300'\n"
SLEEPER += "      }\n    }\n  }\n}\n"


@pytest.fixture(scope="module")
def jenkins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JenkinsServer]:
    """A test Jenkins that starts builds half a second after they are queued."""
    need_module("jenkins", "pip install 'codemonkeys[jenkins]'")
    with start_jenkins(tmp_path_factory.mktemp("jenkins-home")) as server:
        yield server


@pytest.fixture
def stuck_jenkins(tmp_path: Path) -> Iterator[JenkinsServer]:
    """A test Jenkins whose queued builds wait an hour before they start."""
    need_module("jenkins", "pip install 'codemonkeys[jenkins]'")
    with start_jenkins(tmp_path / "jenkins-home", quiet_period=3600) as server:
        yield server


def jenkins_fleet(root: Path, server: JenkinsServer, name: str, commits: list[tuple[dict[str, str], str]]):
    """A fleet of one product, ``name`` (a repo of ``commits``: files and message each), built on
    ``server`` with a 1 s build timeout, allowed to build; a session on it and the product's commits."""
    repo = root / "repos" / name
    repo.mkdir(parents=True)
    git(["init", "-q", "-b", "main"], repo)
    heads = []
    for files, message in commits:
        for file, text in files.items():
            (repo / file).write_text(text)
        git(["add", "-A"], repo)
        git([*IDENT, "commit", "-qm", message], repo)
        heads.append(git(["rev-parse", "HEAD"], repo))
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: f}\nspec:\n"
        f"  ci:\n    default: jenkins\n    jenkins:\n      url: {server.url}\n"
        "      userEnv: CM_JENKINS_USER\n      tokenEnv: CM_JENKINS_TOKEN\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec:\n  default: deny\n"
        "  rules:\n    - id: allow-builds\n      match: {actions: [build.run]}\n"
    )
    (fleet / "products" / f"{name}.yaml").write_text(
        f"apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {{name: {name}}}\nspec:\n"
        f"  source: {{repo: ../repos/{name}}}\n  language: python\n"
        "  build: {command: [python, -m, pytest], timeout: 1}\n"
    )
    git(["init", "-q", "-b", "main"], fleet)
    git(["add", "-A"], fleet)
    git([*IDENT, "commit", "-qm", "fleet"], fleet)
    env = {**os.environ, "CM_JENKINS_USER": server.user, "CM_JENKINS_TOKEN": server.token}
    return FleetSession.open(fleet, Context.from_environ(env)), heads


def journal(fs: FleetSession) -> list[tuple]:
    """Every journaled action: (action, status, attempts, message)."""
    with sqlite3.connect(fs.desired.state_dir / "state.db") as conn:
        return conn.execute("select action_id, status, attempts, message from actions order by id").fetchall()


def build_results(fs: FleetSession) -> list[tuple]:
    with sqlite3.connect(fs.desired.state_dir / "state.db") as conn:
        return conn.execute("select product, status from build_results").fetchall()


def test_a_build_still_queued_after_the_queue_timeout_is_retried_on_the_same_item(
    stuck_jenkins: JenkinsServer, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(build_jenkins, "QUEUE_TIMEOUT", 1.0)
    fs, _ = jenkins_fleet(tmp_path, stuck_jenkins, "queued", [({"Jenkinsfile": SLEEPER}, "feat: queued")])
    plan = fs.plan()
    assert [a.id for a in plan.actions] == ["queued/build.run"], plan.actions
    report = fs.apply(plan, retries=2, retry_wait=0.01).report
    message = f"job queued: still queued after 1s on Jenkins {stuck_jenkins.url}"
    outcome = report.outcomes["queued/build.run"]
    assert (str(outcome.status), outcome.attempts, outcome.message) == ("failed", 2, message)
    assert journal(fs) == [("queued/build.run", "failed", 2, message)]
    client = stuck_jenkins.client()
    queue = client.get_queue_info()
    assert [item["task"]["name"] for item in queue] == ["queued"], queue  # one item: the retry merged into it
    assert client.get_job_info("queued")["nextBuildNumber"] == 1  # nothing started
    assert build_results(fs) == []


def test_a_build_past_its_timeout_is_stopped_on_jenkins_and_fails(
    jenkins: JenkinsServer, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(build_jenkins, "STOP_GRACE", 0.0)
    fs, _ = jenkins_fleet(tmp_path, jenkins, "slow", [({"Jenkinsfile": SLEEPER}, "feat: slow")])
    report = fs.apply(fs.plan(), retries=3, retry_wait=0.01).report
    message = "job slow #1: stopped after the 1s build timeout"
    outcome = report.outcomes["slow/build.run"]
    assert (str(outcome.status), outcome.attempts, outcome.message) == ("failed", 1, message)  # not retried
    assert journal(fs) == [("slow/build.run", "failed", 1, message)]
    client = jenkins.client()
    deadline = time.monotonic() + DEADLINE
    while (info := client.get_build_info("slow", 1))["building"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (info["building"], info["result"]) == (False, "ABORTED"), info  # stopped, not left running
    assert client.get_job_info("slow")["nextBuildNumber"] == 2  # one build only
    assert build_results(fs) == []  # no result recorded for the commit


def test_a_build_commit_without_a_jenkinsfile_fails_saying_where_to_start(
    jenkins: JenkinsServer, tmp_path: Path
):
    fs, (built, _) = jenkins_fleet(
        tmp_path,
        jenkins,
        "bare",
        [({"README.md": "bare\n"}, "feat: bare"), ({"Jenkinsfile": SLEEPER}, "ci: a Jenkinsfile [skip ci]")],
    )
    plan = fs.plan()
    (action,) = plan.actions
    assert (action.id, action.params) == ("bare/build.run", {"commit": built}), (
        action
    )  # [skip ci] is not built
    report = fs.apply(plan, retries=3, retry_wait=0.01).report
    message = (
        f"no Jenkinsfile at {built[:12]}: Jenkins builds the repo's Jenkinsfile; start from "
        "resources/jenkins/Jenkinsfile.python"
    )
    outcome = report.outcomes["bare/build.run"]
    assert (str(outcome.status), outcome.attempts, outcome.message) == ("failed", 1, message)
    assert journal(fs) == [("bare/build.run", "failed", 1, message)]
    assert not jenkins.client().job_exists("bare")  # Jenkins untouched: no job, no build
    assert build_results(fs) == []
