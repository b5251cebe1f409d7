"""Build results as commit statuses (issue 33) on a real demo workspace: the real local build of a product
whose fleet names a forge posts `pending`, then `success` (green) or `failure` (red) on the built commit
to that forge's protocol-faithful server (tests/servers/forges.py), for GitHub, GitLab and Gitea alike,
linked to the action's page on the dashboard; the token comes by reference and never appears in the
journal; a forge that refuses leaves the build's verdict as it was and says why in its log; a product
with nothing to do costs no forge call."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from codemonkeys.api import Context, FleetSession
from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from servers.forges import ForgeServer
from test_e2e_engine import commit

TOKEN = "forge-token-for-statuses-0123"
DASHBOARD = "https://cm.example.com"


def _forge(workspace: Workspace, server: ForgeServer, kind: str, repo: str) -> None:
    path = workspace.fleet / "fleet.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["spec"].setdefault("git", {})["forge"] = {
        "type": kind,
        "url": server.url,
        "repo": repo,
        "credentials": {"tokenEnv": "CM_FORGE_TOKEN"},
        "dashboardUrl": DASHBOARD,
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    git(["commit", "-qam", f"fleet: statuses to {kind}"], workspace.fleet)


def _build_only(fs: FleetSession, product: str):
    plan = fs.plan([product])
    build = next(a for a in plan.actions if a.id == f"{product}/build.run")
    return plan.model_copy(update={"actions": [build]}), build.params["commit"]


@pytest.mark.parametrize("kind", ["github", "gitlab", "gitea"])
def test_a_build_posts_its_status_to_the_products_forge(workspace: Workspace, kind: str):
    repo = "acme/acme-text"
    with ForgeServer(kind, TOKEN) as server:
        server.add_repo(repo)
        _forge(workspace, server, kind, repo)
        fs = FleetSession.open(workspace.fleet, Context.from_environ({**os.environ, "CM_FORGE_TOKEN": TOKEN}))
        plan, sha = _build_only(fs, "acme-text")
        applied = fs.apply(plan)
        assert applied.report.ok, applied.report
        said = server.statuses(repo, sha)
        states = [s.get("state") or s["status"] for s in said]  # GitLab and Gitea answer `status`
        assert states[0] == "pending" and states[-1] == "success", said
        last = said[-1]
        run = applied.report.run_id
        assert last["target_url"] == f"{DASHBOARD}/runs/{run}/actions/acme-text/build.run"
        assert (last.get("context") or last.get("name")) == "codemonkeys/build"
        assert "passed" in last["description"]
        logs = fs.logs("acme-text/build.run")
        assert logs["status"] == "succeeded" and "[forge]" not in logs["log"]
        assert TOKEN not in json.dumps(logs) and TOKEN not in json.dumps(fs.audit(limit=None))
        calls = len(server.requests)
        fs.plan(["acme-text"])  # observing and planning the product: the forge is not asked anything
        assert len(server.requests) == calls


def test_a_red_build_fails_on_the_forge_and_a_refusing_forge_changes_no_verdict(workspace: Workspace):
    repo = "globex/globex-widgets"
    red = {
        "test/broken.test.js": "import test from 'node:test';\nimport assert from 'node:assert';\n"
        "test('broken', () => assert.equal(1, 2));\n"
    }
    commit(workspace.repos / "globex-widgets", red, "feat: a failing test")
    with ForgeServer("github", TOKEN) as server:
        server.add_repo(repo)
        _forge(workspace, server, "github", repo)
        fs = FleetSession.open(workspace.fleet, Context.from_environ({**os.environ, "CM_FORGE_TOKEN": TOKEN}))
        plan, sha = _build_only(fs, "globex-widgets")
        assert not fs.apply(plan).report.ok
        assert [s["state"] for s in server.statuses(repo, sha)] == ["pending", "failure"]
        assert "AssertionError" in server.statuses(repo, sha)[-1]["description"]

        # a wrong token: the forge refuses; the build's own verdict (green acme-text) stands
        fs = FleetSession.open(
            workspace.fleet, Context.from_environ({**os.environ, "CM_FORGE_TOKEN": "wrong-token-0000"})
        )
        plan, sha = _build_only(fs, "acme-text")
        applied = fs.apply(plan)
        assert applied.report.ok, applied.report
        logs = fs.logs("acme-text/build.run")
        assert f"[forge] commit status not posted: GitHub {repo}: 401 Bad credentials" in logs["log"]
        assert server.statuses(repo, sha) == []  # refused: nothing recorded on the forge
