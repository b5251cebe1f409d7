"""A fleet pull request planned in a comment (issue 33, Atlantis style), end to end in process: a
controller following the demo fleet by URL gets GitHub's signed `pull_request` webhook, fetches the pull
request's head (`refs/pull/N/head`, as the forge keeps it), plans base and head as `cmctl diff` does,
and keeps one comment current on the pull request of the forge's protocol-faithful server, with a
`codemonkeys/plan` status on the head; a second push updates that comment instead of adding one; a
person's comment is left alone; a head that does not load is said in the comment and fails the status."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from codemonkeys.context import Context
from codemonkeys.demo import Workspace
from codemonkeys.plandiff import PLAN_CONTEXT, PLAN_MARKER
from codemonkeys.repos import run as git
from codemonkeys.service.api import create_app
from codemonkeys.service.controller import Controller, ControllerConfig
from codemonkeys.service.fleetsource import RemoteFleet
from servers.forges import ForgeServer
from test_work_in_progress import HOLD_RULE

TOKEN, SECRET = "fleet-forge-token-0123456", "fleet-webhook-secret-0123"
REPO = "acme/fleet"


def _wait(check, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError("timed out")


def _push_pull(fleet: Path, bare: Path, number: int) -> str:
    """Push the fleet's HEAD as pull request ``number``'s head, as the forge keeps it."""
    head = git(["rev-parse", "HEAD"], fleet).strip()
    git(["push", "-q", "--force", str(bare), f"HEAD:refs/pull/{number}/head"], fleet)
    return head


def _event(bare: Path, number: int, head: str, action: str, head_repo: str = REPO) -> tuple[bytes, dict]:
    body = json.dumps(
        {
            "action": action,
            "number": number,
            "pull_request": {
                "number": number,
                "head": {"sha": head, "ref": "tighten", "repo": {"full_name": head_repo}},
                "base": {"ref": "main", "repo": {"full_name": REPO}},
            },
            "repository": {"full_name": REPO, "clone_url": str(bare)},
        }
    ).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-GitHub-Event": "pull_request", "X-Hub-Signature-256": signature}


def test_a_fleet_pull_request_gets_its_plan_in_one_comment(workspace: Workspace, tmp_path: Path):
    fleet = workspace.fleet
    with ForgeServer("github", TOKEN) as server:
        server.add_repo(REPO)
        doc = yaml.safe_load((fleet / "fleet.yaml").read_text())
        doc["spec"]["git"] = {
            "forge": {
                "type": "github",
                "url": server.url,
                "fleetRepo": REPO,
                "statuses": False,
                "credentials": {"tokenEnv": "CM_FORGE_TOKEN"},
            }
        }
        (fleet / "fleet.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
        git(["commit", "-qam", "fleet: on the forge"], fleet)
        bare = tmp_path / "fleet.git"
        git(["clone", "-q", "--bare", str(fleet), str(bare)], tmp_path)
        base = git(["rev-parse", "HEAD"], fleet).strip()

        # the pull request: acme-text's releases now need the owner's approval
        git(["checkout", "-q", "-b", "tighten"], fleet)
        path = fleet / "constitution.yaml"
        path.write_text(path.read_text().rstrip("\n") + "\n" + HOLD_RULE)
        git(["commit", "-qam", "constitution: text releases need the owner"], fleet)
        head = _push_pull(fleet, bare, 1)
        server.add_pull(REPO, 1, head_sha=head, base_sha=base, head_ref="tighten", base_ref="main")
        server.add_comment(REPO, 1, "LGTM once the plan is in", user="ann")
        server.add_comment(REPO, 1, PLAN_MARKER + "\nno change, trust me", user="mallory")  # not ours

        context = Context.from_environ({**os.environ, "CM_FORGE_TOKEN": TOKEN})
        remote = RemoteFleet(str(bare), "main", tmp_path / "home")
        config = ControllerConfig(fleet=fleet, remote=remote, watch=False, webhook_secret=SECRET)
        ctl = Controller(config, context)
        client = TestClient(create_app(ctl))

        # from a fork: its files would choose what the controller connects to: refused, nothing planned
        fork_body, fork_headers = _event(bare, 1, head, "opened", head_repo="mallory/fleet")
        r = client.post("/hooks/git", content=fork_body, headers=fork_headers)
        assert r.status_code == 202 and r.json()["fleet"] is True and "plan" not in r.json(), r.text

        body, headers = _event(bare, 1, head, "opened")
        r = client.post("/hooks/git", content=body, headers=headers)
        assert r.status_code == 202 and r.json()["fleet"] is True and r.json()["plan"] == "queued", r.text

        def ours() -> list[dict]:
            return [
                c
                for c in server.comments(REPO, 1)
                if c["body"].startswith(PLAN_MARKER) and c["user"]["login"] == server.user
            ]

        mine = _wait(ours)
        assert len(mine) == 1
        first = mine[0]["body"]
        assert "| added | `text-releases-need-owner` |" in first and "1 rule added" in first, first
        [status] = _wait(lambda: [s for s in server.statuses(REPO, head) if s["context"] == PLAN_CONTEXT])
        assert status["state"] == "success" and status["description"] == "plan changes", status

        # a second push to the pull request: the same comment, now saying what the new head does
        path.write_text(
            path.read_text().replace(HOLD_RULE, HOLD_RULE.replace("approvals: 1", "approvals: 2"))
        )
        git(["commit", "-qam", "constitution: two approvals"], fleet)
        head2 = _push_pull(fleet, bare, 1)
        body, headers = _event(bare, 1, head2, "synchronize")
        assert client.post("/hooks/git", content=body, headers=headers).json()["plan"] == "queued"
        _wait(lambda: any(s["context"] == PLAN_CONTEXT for s in server.statuses(REPO, head2)))
        comments = server.comments(REPO, 1)
        assert [c["user"]["login"] for c in comments].count("ann") == 1  # the person's comment stays
        [forged] = [c for c in comments if c["user"]["login"] == "mallory"]
        assert forged["body"].endswith("no change, trust me")  # a marker in another's comment: not edited
        mine = ours()
        assert len(mine) == 1 and mine[0]["body"] != first, mine
        assert "pull/1` `" + head2[:12] in mine[0]["body"]  # it speaks of the new head

        # a head whose constitution does not parse: said in the comment, the status fails
        path.write_text(path.read_text() + "  rules: [\n")
        git(["commit", "-qam", "constitution: broken"], fleet)
        head3 = _push_pull(fleet, bare, 1)
        body, headers = _event(bare, 1, head3, "synchronize")
        client.post("/hooks/git", content=body, headers=headers)
        [broken] = _wait(lambda: [s for s in server.statuses(REPO, head3) if s["context"] == PLAN_CONTEXT])
        assert broken["state"] == "failure"
        [mine] = ours()
        assert "does not load" in mine["body"] and "constitution.yaml" in mine["body"]
        assert TOKEN not in json.dumps(server.comments(REPO, 1))
