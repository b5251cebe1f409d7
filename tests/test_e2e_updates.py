"""Internal dependency updates end to end, with the real CLI on real git repos, a file registry and real
local builds: core has published 2.0.0; web's package.json takes ``^1.4.0`` and its policy is ``major``,
tool's policy is ``minor``. ``cmctl apply`` records the manifest bump as a change (kind ``update``), commits
it on ``change/update-.../web`` and proves it with web's own build; the next apply merges it (the
constitution holds a major update's merge until the owner approves); then web builds, cuts 1.0.1 (the
``fix(deps)`` commit is a patch) and publishes it. tool is never proposed anything, and a converged fleet
plans nothing more (a merged update is never proposed again)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from announce_fleet import git
from conftest import cmctl

ENV = {"apiVersion": "codemonkeys.dev/v1"}
CHECK = (
    "const deps = require('./package.json').dependencies;\n"
    "console.log('building against @acme/core', deps['@acme/core']);\n"
)


def _package(name: str, version: str, deps: dict[str, str]) -> str:
    return json.dumps({"name": name, "version": version, "dependencies": deps}, indent=2) + "\n"


def _repo(root: Path, name: str, files: dict[str, str], tags: list[str]) -> None:
    repo = root / "repos" / name
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for path, text in files.items():
        (repo / path).write_text(text)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", f"feat: {name}")
    for tag in tags:
        git(repo, "tag", "-a", tag, "-m", tag)


def write_fleet(root: Path) -> Path:
    fleet = root / "fleet"
    (fleet / "products").mkdir(parents=True)
    spec = {"registries": {"local": {"type": "file", "path": "../registry"}}, "ci": {"default": "local"}}
    (fleet / "fleet.yaml").write_text(
        yaml.safe_dump({**ENV, "kind": "Fleet", "metadata": {"name": "updates"}, "spec": spec})
    )
    rules = [
        {"id": "allow-pipeline", "match": {"actions": ["build.run", "release.*"]}},
        {
            "id": "majors-wait-for-the-owner",
            "match": {"actions": ["change.merge"]},
            "hold": {"when": 'action.params.kind == "update" && action.params.update.level == "major"'},
        },
        {"id": "allow-changes", "match": {"actions": ["change.*"]}},
    ]
    (fleet / "constitution.yaml").write_text(
        yaml.safe_dump(
            {
                **ENV,
                "kind": "Constitution",
                "metadata": {"name": "c"},
                "spec": {"default": "deny", "rules": rules},
            }
        )
    )
    npm = root / "registry" / "npm" / "@acme" / "core" / "-"
    npm.mkdir(parents=True)
    for v in ("1.4.0", "2.0.0"):
        (npm / f"acme-core-{v}.tgz").write_bytes(b"published by core's release")
    _repo(root, "core", {"package.json": _package("@acme/core", "2.0.0", {})}, ["v2.0.0"])
    for name in ("web", "tool"):
        files = {
            "package.json": _package(f"@acme/{name}", "1.0.0", {"@acme/core": "^1.4.0"}),
            "check.js": CHECK,
        }
        _repo(root, name, files, ["v1.0.0"])
    (root / "registry" / "npm" / "@acme" / "web" / "-").mkdir(parents=True)
    (root / "registry" / "npm" / "@acme" / "web" / "-" / "acme-web-1.0.0.tgz").write_bytes(b"1.0.0")
    for name in ("core", "web", "tool"):
        product: dict = {
            "source": {"repo": f"../repos/{name}"},
            "language": "node",
            "release": {"publish": [{"registry": "local", "package": f"@acme/{name}"}]},
        }
        if name != "core":
            product |= {
                "dependsOn": ["core"],
                "build": {"command": ["node", "check.js"]},
                "dependencies": {"update": {"policy": "major" if name == "web" else "minor"}},
            }
        doc = {**ENV, "kind": "Product", "metadata": {"name": name}, "spec": product}
        (fleet / "products" / f"{name}.yaml").write_text(yaml.safe_dump(doc))
    (root / "registry" / "npm" / "@acme" / "tool" / "-").mkdir(parents=True)
    (root / "registry" / "npm" / "@acme" / "tool" / "-" / "acme-tool-1.0.0.tgz").write_bytes(b"1.0.0")
    git(fleet, "init", "-q", "-b", "main")
    git(fleet, "add", ".")
    git(fleet, "commit", "-qm", "fleet")
    return fleet


def apply(fleet: Path) -> dict:
    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    out: dict[str, dict] = {}
    for event in map(json.loads, r.stdout.splitlines()):
        if event["type"] in ("planned", "action_done"):
            out.setdefault(event["action"], {}).update(event)
    return out


def test_a_release_is_taken_by_its_dependents_by_their_policy(tmp_path: Path):
    fleet = write_fleet(tmp_path)
    change = "update-acme-core-2.0.0"
    web = tmp_path / "repos" / "web"

    plan = json.loads(cmctl("plan", "--fleet", str(fleet), "--json").stdout)
    ids = [a["id"] for a in plan["actions"]]
    assert f"web/change.propose/{change}" in ids
    assert not [i for i in ids if i.startswith("tool/change.")]  # a major is beyond tool's minor policy
    propose = next(a for a in plan["actions"] if a["id"] == f"web/change.propose/{change}")
    assert propose["params"]["update"]["manifests"] == [
        {"manifest": "package.json", "from": "^1.4.0", "to": "^2.0.0"}
    ]

    # 1: recorded, committed on its branch (main untouched), proven green by web's own build
    done = apply(fleet)
    assert done[f"web/change.propose/{change}"]["status"] == "succeeded"
    assert "^1.4.0" in (web / "package.json").read_text()
    branch = git(web, "show", f"change/{change}/web:package.json")
    assert json.loads(branch)["dependencies"] == {"@acme/core": "^2.0.0"}
    assert git(web, "log", "-1", "--format=%s", f"change/{change}/web").strip() == (
        "fix(deps): take @acme/core 2.0.0"
    )

    # 2: the merge of a major update waits for the owner
    held = apply(fleet)
    assert held[f"web/change.merge/{change}"]["verdict"] == "hold"
    assert "status" not in held[f"web/change.merge/{change}"]
    r = cmctl("approve", f"web/change.merge/{change}", "--fleet", str(fleet), "--as", "owner")
    assert r.returncode == 0, r.stdout + r.stderr
    merged = apply(fleet)
    assert merged[f"web/change.merge/{change}"]["status"] == "succeeded"
    assert json.loads((web / "package.json").read_text())["dependencies"] == {"@acme/core": "^2.0.0"}

    # 3: web's own release follows: built, cut as a patch, published
    released = apply(fleet)
    assert released["web/release.cut"]["status"] == "succeeded"
    assert (tmp_path / "registry" / "npm" / "@acme" / "web" / "-" / "acme-web-1.0.1.tgz").is_file()
    assert "take @acme/core 2.0.0" in (web / "CHANGELOG.md").read_text()

    # converged: nothing more, the merged update is not proposed again, tool was never touched
    final = json.loads(cmctl("plan", "--fleet", str(fleet), "--json").stdout)
    assert [a["id"] for a in final["actions"]] == []
    assert "^1.4.0" in (tmp_path / "repos" / "tool" / "package.json").read_text()
    assert git(tmp_path / "repos" / "tool", "branch", "--list", "change/*").strip() == ""
