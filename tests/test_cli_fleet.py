"""`cmctl fleet ls` on the demo fleet: every product with company, labels, facets, version and last run;
selectors narrow it (names, globs, company, label, language, dependsOn); a bad selector exits 1."""

from __future__ import annotations

import json

from codemonkeys.demo import Workspace
from conftest import cmctl


def ls(ws: Workspace, *args: str) -> list[dict]:
    r = cmctl("fleet", "ls", "--json", "--fleet", str(ws.fleet), *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def names(ws: Workspace, *args: str) -> list[str]:
    return [row["name"] for row in ls(ws, *args)]


def test_fleet_ls_lists_and_selects(full_workspace: Workspace):
    workspace = full_workspace
    every = ["acme-cli", "acme-report", "acme-text", "acme-web", "globex-hash", "globex-widgets"]
    rows = ls(workspace)
    assert [r["name"] for r in rows] == every
    assert all(r["facets"] == {} and r["last_run"] is None for r in rows)  # nothing observed yet
    assert {r["name"]: r["company"] for r in rows}["globex-hash"] == "globex"

    assert names(workspace, "--select", "company=globex") == ["globex-hash", "globex-widgets"]
    assert names(workspace, "--select", "acme-*,label=tier=app") == ["acme-cli", "acme-web"]
    assert names(workspace, "-s", "dependsOn=acme-text") == ["acme-cli", "acme-report"]
    assert names(workspace, "-s", "dependsOn=acme-text", "-s", "globex-hash") == [
        "acme-cli",
        "acme-report",
        "globex-hash",
    ]
    assert names(workspace, "-s", "language=python") == [r["name"] for r in rows if r["language"] == "python"]

    assert (
        cmctl("apply", "--auto-approve", "-p", "acme-text", "--fleet", str(workspace.fleet)).returncode == 0
    )
    text = ls(workspace, "-s", "acme-text")[0]
    assert text["in_sync"] is True and set(text["facets"]) == {"build", "docs", "release"}
    assert text["version"] and text["last_run"]["status"] == "succeeded"

    table = cmctl("fleet", "ls", "--fleet", str(workspace.fleet), "-s", "globex-*")
    assert table.returncode == 0 and "globex-widgets" in table.stdout and "2 product(s)" in table.stdout

    bad = cmctl("fleet", "ls", "--fleet", str(workspace.fleet), "-s", "colour=red")
    assert bad.returncode == 1 and "unknown selector key 'colour'" in bad.stderr
