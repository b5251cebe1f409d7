"""Internal dependency updates end to end, with the real CLI on real git repos, a file registry and real
local builds: core has published 2.0.0; web's package.json takes ``^1.4.0`` and its policy is ``major``,
tool's policy is ``minor``. ``cmctl apply`` records the manifest bump as a change (kind ``update``), commits
it on ``change/update-.../web`` and proves it with web's own build; its merge, planned after the proof,
waits for the owner (the constitution holds a major update's merge); then web builds, cuts 1.0.1 (the
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


def apply(fleet: Path, ok: bool = True) -> dict:
    r = cmctl("apply", "--fleet", str(fleet), "--auto-approve", "--json")
    assert r.returncode == (0 if ok else 1), r.stdout + r.stderr
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

    # 2: the merge of a major update, planned after the proof, waits for the owner
    assert done[f"web/change.merge/{change}"]["verdict"] == "hold"
    assert done[f"web/change.merge/{change}"]["status"] == "blocked"
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


# --- a red update healed by a template a person's fix taught -----------------------------------------

STUB = (  # stands for installing acme-core: the version the manifest takes decides its API
    "import pathlib, sys, tomllib, types\n"
    "deps = tomllib.loads(pathlib.Path('pyproject.toml').read_text())['project']['dependencies']\n"
    "core = types.ModuleType('acme_core')\n"
    "if any(d.startswith('acme-core') and '>=2' in d for d in deps):\n"
    "    core.load_all = lambda: ['ok']  # 2.0 renamed load\n"
    "else:\n"
    "    core.load = lambda: ['ok']\n"
    "sys.modules['acme_core'] = core\n"
    "import app\n"
    "print(app.main())\n"
)


def _pyproject(name: str, core: str) -> str:
    return f'[project]\nname = "{name}"\nversion = "1.0.0"\ndependencies = ["acme-core{core}"]\n'


def test_a_red_update_is_healed_by_a_template_a_persons_fix_taught(tmp_path: Path):
    fleet = tmp_path / "fleet"
    (fleet / "products").mkdir(parents=True)
    spec = {"registries": {"local": {"type": "file", "path": "../registry"}}, "ci": {"default": "local"}}
    (fleet / "fleet.yaml").write_text(
        yaml.safe_dump({**ENV, "kind": "Fleet", "metadata": {"name": "heal-updates"}, "spec": spec})
    )
    rules = [{"id": "allow", "match": {"actions": ["build.*", "heal.*", "change.*"]}}]
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
    wheels = tmp_path / "registry" / "simple" / "acme-core"
    wheels.mkdir(parents=True)
    (wheels / "acme_core-1.4.0-py3-none-any.whl").write_bytes(b"1.4.0")
    _repo(tmp_path, "core", {"pyproject.toml": _pyproject("acme-core", "")}, ["v1.4.0"])
    # api moved to core 2 by hand first (red), web still takes 1.x and follows majors by itself
    api_v1 = "from acme_core import load\n\n\ndef main():\n    return load()\n"
    web_v1 = "from acme_core import load\n\n\ndef main():\n    items = load()\n    return sorted(items)\n"
    _repo(
        tmp_path,
        "api",
        {"pyproject.toml": _pyproject("api", ">=2.0,<3"), "check.py": STUB, "app.py": api_v1},
        [],
    )
    _repo(
        tmp_path,
        "web",
        {
            "pyproject.toml": _pyproject("web", ">=1.2,<2")
            + '[project.optional-dependencies]\nfast = ["acme_core[speedups] ~= 1.3"]  # named twice\n',
            "check.py": STUB,
            "app.py": web_v1,
        },
        [],
    )
    build = {"command": ["python3", "check.py"], "heal": {"strategies": ["template"]}}
    (fleet / "products" / "core.yaml").write_text(
        yaml.safe_dump(
            {
                **ENV,
                "kind": "Product",
                "metadata": {"name": "core"},
                "spec": {
                    "source": {"repo": "../repos/core"},
                    "language": "python",
                    "release": {"publish": [{"registry": "local", "package": "acme-core"}]},
                },
            }
        )
    )
    for name in ("api", "web"):
        product = {"source": {"repo": f"../repos/{name}"}, "language": "python", "build": build}
        product |= {"dependsOn": ["core"], "dependencies": {"update": {"policy": "major"}}}
        doc = {**ENV, "kind": "Product", "metadata": {"name": name}, "spec": product}
        (fleet / "products" / f"{name}.yaml").write_text(yaml.safe_dump(doc))
    git(fleet, "init", "-q", "-b", "main")
    git(fleet, "add", ".")
    git(fleet, "commit", "-qm", "fleet")

    # api is red; a person fixes it; its green build teaches the fleet a template
    first = apply(fleet, ok=False)
    assert first["api/build.run"]["status"] == "failed"
    assert not [a for a in first if "change." in a]  # api's range is ahead of core's releases: no downgrade
    api = tmp_path / "repos" / "api"
    (api / "app.py").write_text(api_v1.replace("load", "load_all"))
    git(api, "commit", "-qam", "fix: acme-core 2 renamed load to load_all")
    assert apply(fleet)["api/build.run"]["status"] == "succeeded"
    r = cmctl("swarm", "templates", "--fleet", str(fleet), "--json")
    assert r.returncode == 0 and "load_all" in r.stdout, r.stdout + r.stderr

    # core publishes 2.0.0: web's bump is red with core 2 alone, the template heals it on the same branch
    core = tmp_path / "repos" / "core"
    (core / "pyproject.toml").write_text(_pyproject("acme-core", "").replace("1.0.0", "2.0.0"))
    git(core, "commit", "-qam", "feat!: load is load_all")
    git(core, "tag", "-a", "v2.0.0", "-m", "v2.0.0")
    (wheels / "acme_core-2.0.0-py3-none-any.whl").write_bytes(b"2.0.0")
    change = "update-acme-core-2.0.0"
    proved = apply(fleet)
    assert proved[f"web/change.propose/{change}"]["status"] == "succeeded", proved
    # healed, it changes more than the manifests the gate saw: its merge waits for the next round's gate
    assert proved[f"web/change.merge/{change}"]["status"] == "noop"
    plan = json.loads(cmctl("plan", "--fleet", str(fleet), "--json").stdout)
    merge = next(a for a in plan["actions"] if a["id"] == f"web/change.merge/{change}")
    # (the template renames load in check.py too, beyond the failure's app.py: what the gate is shown for)
    assert {"app.py", "pyproject.toml"} <= set(merge["params"]["files"]) and merge["params"]["update"][
        "healed_by"
    ]
    assert "+from acme_core import load_all" in merge["params"]["diff"]
    assert apply(fleet)[f"web/change.merge/{change}"]["status"] == "succeeded"
    web = tmp_path / "repos" / "web"
    assert "load_all" in (web / "app.py").read_text()
    assert '["acme-core>=2.0,<3"]' in (web / "pyproject.toml").read_text()  # the clauses' order kept
    assert '"acme_core[speedups] ~=2.0"' in (web / "pyproject.toml").read_text()  # both, in one diff
    subjects = git(web, "log", "--format=%s", "-3").splitlines()
    assert subjects[:2] == [
        "fix(deps): adapt to update-acme-core-2.0.0 with fix template " + subjects[0].rsplit(" ", 1)[-1],
        "fix(deps): take acme-core 2.0.0",
    ]
