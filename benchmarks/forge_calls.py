"""What the forge integration costs (issue 33's measures), against the protocol-faithful GitHub server of
the tests (tests/servers/forges.py), all in this run:

* forge API calls while planning a product with nothing to do (the goal: at most 1);
* forge API calls per build (its pending and final statuses);
* seconds from a fleet pull request's webhook to its plan comment on the forge (the demo fleet: six
  products observed and planned twice, at base and at head), median of ``--runs``, and as a ratio to
  ``cmctl diff`` of the same two revisions in the same process (the floor: the plan itself).

Run from the project root::

    .venv/bin/python benchmarks/forge_calls.py [--runs 3] [--json]

Nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fastapi.testclient import TestClient  # noqa: E402

from codemonkeys.api import Context, FleetSession  # noqa: E402
from codemonkeys.demo import init_workspace  # noqa: E402
from codemonkeys.plandiff import PLAN_MARKER, diff_revisions  # noqa: E402
from codemonkeys.repos import run as git  # noqa: E402
from codemonkeys.service.api import create_app  # noqa: E402
from codemonkeys.service.controller import Controller, ControllerConfig  # noqa: E402
from codemonkeys.service.fleetsource import RemoteFleet  # noqa: E402
from servers.forges import ForgeServer  # noqa: E402

TOKEN, SECRET, REPO = "bench-forge-token-0123", "bench-webhook-secret-0123", "acme/fleet"
RULE = """\
    - id: text-releases-need-owner
      match: {actions: [release.cut], products: [acme-text]}
      hold: {approvals: 1, approvers: [maintainers]}
"""


def _forge(fleet: Path, server: ForgeServer) -> None:
    doc = yaml.safe_load((fleet / "fleet.yaml").read_text())
    doc["spec"]["git"] = {
        "forge": {
            "type": "github",
            "url": server.url,
            "repo": "acme/product",
            "fleetRepo": REPO,
            "credentials": {"tokenEnv": "CM_FORGE_TOKEN"},
        }
    }
    (fleet / "fleet.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    git(["commit", "-qam", "fleet: on the forge"], fleet)


def main() -> None:
    """Measure and print (or ``--json``) the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    context = Context.from_environ({**os.environ, "CM_FORGE_TOKEN": TOKEN})
    with tempfile.TemporaryDirectory() as tmp, ForgeServer("github", TOKEN) as server:
        server.add_repo(REPO)
        server.add_repo("acme/product")
        ws = init_workspace(Path(tmp) / "ws")
        fleet = ws.fleet
        _forge(fleet, server)
        fs = FleetSession.open(fleet, context)
        before = len(server.requests)
        fs.plan(["acme-text"])
        plan_calls = len(server.requests) - before
        plan = fs.plan(["acme-text"])
        build = next(a for a in plan.actions if a.id == "acme-text/build.run")
        before = len(server.requests)
        fs.apply(plan.model_copy(update={"actions": [build]}))
        build_calls = len(server.requests) - before

        bare = Path(tmp) / "fleet.git"
        git(["clone", "-q", "--bare", str(fleet), str(bare)], Path(tmp))
        base = git(["rev-parse", "HEAD"], fleet).strip()
        git(["checkout", "-q", "-b", "tighten"], fleet)
        path = fleet / "constitution.yaml"
        path.write_text(path.read_text().rstrip("\n") + "\n" + RULE)
        git(["commit", "-qam", "constitution: a hold"], fleet)
        head = git(["rev-parse", "HEAD"], fleet).strip()
        git(["push", "-q", "--force", str(bare), "HEAD:refs/pull/1/head"], fleet)
        server.add_pull(REPO, 1, head_sha=head, base_sha=base, head_ref="tighten", base_ref="main")
        ctl = Controller(
            ControllerConfig(
                fleet=fleet,
                remote=RemoteFleet(str(bare), "main", Path(tmp) / "home"),
                watch=False,
                webhook_secret=SECRET,
            ),
            context,
        )
        client = TestClient(create_app(ctl))
        body = json.dumps(
            {
                "action": "synchronize",
                "number": 1,
                "pull_request": {
                    "number": 1,
                    "head": {"sha": head, "repo": {"full_name": REPO}},
                    "base": {"ref": "main", "repo": {"full_name": REPO}},
                },
                "repository": {"clone_url": str(bare)},
            }
        ).encode()
        sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-GitHub-Event": "pull_request", "X-Hub-Signature-256": sig}
        to_comment, diffs = [], []
        for i in range(args.runs):
            marker = f"run {i}"
            path.write_text(path.read_text().rstrip("\n") + f"\n# {marker}\n")  # a new head each run
            git(["commit", "-qam", marker], fleet)
            git(["push", "-q", "--force", str(bare), "HEAD:refs/pull/1/head"], fleet)
            statuses = len(server.requests)
            start = time.perf_counter()
            client.post("/hooks/git", content=body, headers=headers)
            while not any(m == "POST" and "/statuses/" in p for m, p in server.requests[statuses:]):
                time.sleep(0.02)
            to_comment.append(time.perf_counter() - start)
            start = time.perf_counter()
            diff_revisions(
                ctl.config.remote.root, "refs/codemonkeys/base/1", "refs/codemonkeys/pull/1", context
            )
            diffs.append(time.perf_counter() - start)
        comments = [c for c in server.comments(REPO, 1) if c["body"].startswith(PLAN_MARKER)]
    doc = {
        "forge_calls_planning_a_product": plan_calls,
        "forge_calls_per_build": build_calls,
        "pull_to_comment_s": round(statistics.median(to_comment), 2),
        "diff_alone_s": round(statistics.median(diffs), 2),
        "pull_to_comment_vs_diff": round(statistics.median(to_comment) / statistics.median(diffs), 2),
        "plan_comments_on_the_pull_request": len(comments),
        "runs": args.runs,
    }
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    for key, value in doc.items():
        print(f"{key:<36} {value}")


if __name__ == "__main__":
    main()
