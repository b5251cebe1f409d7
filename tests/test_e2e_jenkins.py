"""The demo fleet on the Jenkins backend, against the Jenkins-REST-compatible test server (which really
clones the repo at COMMIT and runs the Jenkinsfile's sh steps): jobs are created in company folders,
builds are triggered and followed, results are observed in one request per folder, the fleet converges;
a failing test gives a red build and blocks the release; bad credentials fail clearly."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from codemonkeys.ci.jenkins import render_jenkinsfile
from codemonkeys.context import Context
from codemonkeys.demo import Workspace
from codemonkeys.load import load_fleet
from codemonkeys.repos import run as git
from conftest import cmctl
from servers.jenkins.launch import start_jenkins
from test_e2e_engine import commit, db

pytestmark = pytest.mark.slow

PRODUCTS = ["-p", "acme-text", "-p", "globex-widgets"]


@pytest.fixture
def jenkins(tmp_path: Path, monkeypatch):
    # the server runs sh steps with its own environment: our interpreter (with pytest) comes first
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    with start_jenkins(tmp_path / "jenkins-home") as server:
        yield server


def on_jenkins(ws: Workspace, server, with_jenkinsfile=("acme-text", "globex-widgets")) -> dict[str, str]:
    """Switch the fleet to ci: jenkins and give products a Jenkinsfile from our templates."""
    fleet = ws.fleet / "fleet.yaml"
    fleet.write_text(
        fleet.read_text().replace(
            "  ci:\n    default: local\n",
            f"  ci:\n    default: jenkins\n    jenkins:\n      url: {server.url}\n"
            "      userEnv: CM_JENKINS_USER\n      tokenEnv: CM_JENKINS_TOKEN\n",
        )
    )
    git(["commit", "-qam", "build on Jenkins"], ws.fleet)
    desired, diags = load_fleet(ws.fleet)
    assert desired is not None, diags
    for name in with_jenkinsfile:
        commit(
            ws.repos / name,
            {"Jenkinsfile": render_jenkinsfile(desired.products[name], Context.from_environ().resources)},
            "ci: add Jenkinsfile",
        )
    return {"CM_JENKINS_USER": server.user, "CM_JENKINS_TOKEN": server.token}


def test_demo_converges_on_jenkins(workspace: Workspace, jenkins):
    env = on_jenkins(workspace, jenkins, with_jenkinsfile=("acme-text",))
    fleet = str(workspace.fleet)
    doc = json.loads(cmctl("plan", "--json", "--fleet", fleet, *PRODUCTS, env=env).stdout)
    widgets = [a for a in doc["actions"] if a["product"] == "globex-widgets"]
    assert [(a["id"], a["params"].get("jenkinsfile")) for a in widgets] == [
        ("globex-widgets/build.run", "generate")
    ]
    assert doc["products"]["globex-widgets"]["facets"]["release"]["state"] == "blocked"
    first = cmctl("apply", "--fleet", fleet, "--auto-approve", *PRODUCTS, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "acme/acme-text #1 passed" in first.stderr
    repo = workspace.repos / "globex-widgets"
    assert git(["log", "-1", "--format=%s"], repo) == "ci: add a Jenkinsfile for globex-widgets"
    assert "sh 'npm test'" in (repo / "Jenkinsfile").read_text()
    # the second round releases what waited for the generated Jenkinsfile
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", *PRODUCTS, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "v0.4.0" in git(["tag", "--list"], repo).split()
    assert jenkins.token not in r.stdout + r.stderr
    client = jenkins.client()
    assert client.job_exists("acme/acme-text") and client.job_exists("globex/globex-widgets")
    info = client.get_build_info("acme/acme-text", 1)
    params = {p["name"]: p["value"] for a in info["actions"] if a for p in a.get("parameters", [])}
    head = git(["rev-parse", "HEAD~1"], workspace.repos / "acme-text")  # the commit before the release commit
    assert info["result"] == "SUCCESS" and params["COMMIT"] == head
    assert "passed" in client.get_build_console_output("acme/acme-text", 1)

    again = cmctl("plan", "--fleet", fleet, "--detailed-exitcode", *PRODUCTS, env=env)
    assert again.returncode == 0, again.stdout + again.stderr  # observed green through the batch request
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", *PRODUCTS, env=env)
    assert r.returncode == 0 and "nothing to apply" in r.stdout
    assert client.get_job_info("acme/acme-text")["nextBuildNumber"] == 2  # no second build


def test_failing_tests_give_a_red_build_and_no_release(workspace: Workspace, jenkins):
    env = on_jenkins(workspace, jenkins)
    commit(
        workspace.repos / "globex-widgets",
        {
            "test/broken.test.js": "import test from 'node:test';\nimport assert from 'node:assert';\n"
            "test('broken', () => assert.equal(1, 2));\n"
        },
        "feat: a feature with a failing test",
    )
    fleet = str(workspace.fleet)
    r = cmctl("apply", "--fleet", fleet, "--auto-approve", *PRODUCTS, env=env)
    assert r.returncode == 1
    # a test failure is confirmed by one re-run of the same commit (build.confirmRed: 1) before it is red
    assert "globex/globex-widgets #2 of" in r.stderr and "ended FAILURE" in r.stderr
    assert git(["tag", "--list"], workspace.repos / "globex-widgets").split() == ["v0.3.0"]
    assert "v0.2.0" in git(["tag", "--list"], workspace.repos / "acme-text").split()
    doc = json.loads(cmctl("plan", "--json", "--fleet", fleet, *PRODUCTS, env=env).stdout)
    widgets = doc["products"]["globex-widgets"]["facets"]
    assert widgets["build"]["state"] == "failed" and widgets["release"]["state"] == "blocked"
    with db(workspace) as conn:
        log = conn.execute("select log from actions where action_id='globex-widgets/build.run'").fetchone()[0]
    assert "Finished: FAILURE" in log and "re-run 1 (#2)" in log
    with db(workspace) as conn:  # the failure signature is stored per build, for the swarm
        sigs = conn.execute(
            "select ci, build_url, summary from signatures where product='globex-widgets'"
        ).fetchall()
    assert sigs and all(ci == "jenkins" and url and "/globex-widgets/" in url for ci, url, _ in sigs)
    assert any("broken" in summary for _, _, summary in sigs), sigs


def test_bad_jenkins_token_fails_clearly(workspace: Workspace, jenkins):
    env = on_jenkins(workspace, jenkins)
    env["CM_JENKINS_TOKEN"] = "wrong-token-123456"
    r = cmctl("plan", "--json", "--fleet", str(workspace.fleet), "-p", "acme-text", env=env)
    doc = json.loads(r.stdout)
    build = doc["products"]["acme-text"]["facets"]["build"]
    assert build["state"] == "unknown"
    assert jenkins.url in build["message"] and "refused the credentials" in build["message"]
    assert "wrong-token-123456" not in r.stdout + r.stderr
