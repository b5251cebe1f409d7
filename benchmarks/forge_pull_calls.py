"""What pull-request mode costs in forge API calls (issue 33's measure), per forge, against the
protocol-faithful servers of the tests (tests/servers/forges.py) backed by the demo's real acme-text
repository, all in this run:

* planning acme-text with nothing open on the forge (the goal: at most 1 call);
* planning it while its release pull request is open (the reconcile of a product that waits on the forge);
* opening the release pull request (the apply that cuts it);
* merging it through the forge and tagging (the apply after the review), then planning the product in sync.

Run from the project root::

    .venv/bin/python benchmarks/forge_pull_calls.py [--json]

Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from codemonkeys.api import Context, FleetSession  # noqa: E402
from codemonkeys.demo import init_workspace  # noqa: E402
from codemonkeys.repos import run as git  # noqa: E402
from servers.forges import ForgeServer  # noqa: E402

TOKEN, REPO, PRODUCT = "bench-forge-token-0123", "acme/acme-text", "acme-text"


def _calls(server: ForgeServer, step) -> int:
    before = len(server.requests)
    step()
    return len(server.requests) - before


def measure(kind: str, root: Path) -> dict[str, int]:
    """The forge calls of each step of one release through a pull request on ``kind``."""
    ws = init_workspace(root / "ws")
    source = ws.repos / PRODUCT
    with ForgeServer(kind, TOKEN) as server:
        server.add_repo(REPO, git_dir=source)
        path = ws.fleet / "products" / "acme" / f"{PRODUCT}.yaml"
        doc = yaml.safe_load(path.read_text())
        forge = {"type": kind, "url": server.url, "repo": REPO, "credentials": {"tokenEnv": "CM_FORGE_TOKEN"}}
        doc["spec"]["git"] = {"mode": "pull-request", "forge": forge}
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        git(["commit", "-qam", "releases by pull request"], ws.fleet)
        fs = FleetSession.open(ws.fleet, Context.from_environ({**os.environ, "CM_FORGE_TOKEN": TOKEN}))
        out = {"plan, nothing open": _calls(server, lambda: fs.plan([PRODUCT]))}
        out["apply: build, docs, open the release pull request"] = _calls(
            server, lambda: fs.apply(fs.plan([PRODUCT]))
        )
        out["plan, release pull request open"] = _calls(server, lambda: fs.plan([PRODUCT]))
        out["apply: merge it, tag, publish"] = _calls(server, lambda: fs.apply(fs.plan([PRODUCT])))
        fs.apply(fs.plan([PRODUCT]))  # the merge commit's build
        out["plan, in sync"] = _calls(server, lambda: fs.plan([PRODUCT]))
    return out


def main() -> None:
    """Measure and print (or ``--json``) the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {}
    for kind in ("github", "gitlab", "gitea"):
        with tempfile.TemporaryDirectory() as tmp:
            results[kind] = measure(kind, Path(tmp))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    steps = list(results["github"])
    print(f"{'forge API calls':52} " + " ".join(f"{k:>7}" for k in results))
    for step in steps:
        print(f"{step:52} " + " ".join(f"{results[k][step]:>7}" for k in results))


if __name__ == "__main__":
    main()
