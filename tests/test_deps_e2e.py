"""Dependency conflicts on real manifests in real git repos, through observe -> plan -> gate (the shipped
constitution) -> explain, for a Python, an npm and a Rust fleet: core cuts 1.5.0; web's declared range
excludes it (it breaks), cli's admits it (it does not), app installs core and web (a conflict)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.observe import Observer
from codemonkeys.vocab.plan import Verdict

ROOT = Path(__file__).resolve().parents[1]
LANG = {"python": "python", "npm": "node", "cargo": "rust"}


def _pyproject(name: str, version: str, deps: list[str]) -> str:
    return f'[project]\nname = "{name}"\nversion = "{version}"\ndependencies = {json.dumps(deps)}\n'


def _package_json(name: str, version: str, deps: dict, peers: dict | None = None) -> str:
    doc = {"name": name, "version": version, "dependencies": deps}
    if peers:
        doc["peerDependencies"] = peers
    return json.dumps(doc, indent=2) + "\n"


def _cargo(name: str, version: str, deps: dict[str, str]) -> str:
    lines = "".join(f"{k} = {v}\n" for k, v in deps.items())
    return f'[package]\nname = "{name}"\nversion = "{version}"\nedition = "2021"\n\n[dependencies]\n{lines}'


# product -> (package name, files at HEAD); core's own version file is written at 1.4.0
MANIFESTS = {
    "python": {
        "core": ("acme-core", {"pyproject.toml": _pyproject("acme-core", "1.4.0", [])}),
        "web": ("acme_web", {"pyproject.toml": _pyproject("acme_web", "1.0.0", ["Acme_Core>=1.2,<1.5"])}),
        "cli": (
            "acme-cli",
            {"pyproject.toml": _pyproject("acme-cli", "1.0.0", []), "requirements.txt": "acme-core>=1.2\n"},
        ),
        "app": (
            "acme-app",
            {
                "pyproject.toml": _pyproject("acme-app", "1.0.0", ["acme-core>=1", "acme-cli"]),
                "requirements-prod.txt": "# pinned for production\nacme.web==1.0.0\n",
            },
        ),
    },
    "npm": {
        "core": ("@acme/core", {"package.json": _package_json("@acme/core", "1.4.0", {})}),
        "web": (
            "@acme/web",
            {"package.json": _package_json("@acme/web", "1.0.0", {}, {"@acme/core": "~1.4.0"})},
        ),
        "cli": ("@acme/cli", {"package.json": _package_json("@acme/cli", "1.0.0", {"@acme/core": "^1.2.0"})}),
        "app": (
            "@acme/app",
            {
                "package.json": _package_json(
                    "@acme/app", "1.0.0", {"@acme/core": "^1.5.0", "@acme/web": "^1.0.0"}
                )
            },
        ),
    },
    "cargo": {
        "core": ("acme-core", {"Cargo.toml": _cargo("acme-core", "1.4.0", {})}),
        "web": ("acme-web", {"Cargo.toml": _cargo("acme-web", "1.0.0", {"acme-core": '"=1.4.0"'})}),
        "cli": ("acme-cli", {"Cargo.toml": _cargo("acme-cli", "1.0.0", {"acme_core": '"1.2"'})}),
        "app": (
            "acme-app",
            {
                "Cargo.toml": _cargo(
                    "acme-app",
                    "1.0.0",
                    {"acme-core": '"1.5"', "web": '{ package = "acme-web", version = "1" }'},
                )
            },
        ),
    },
}


def _git(cwd: Path, *args: str) -> None:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "HOME": str(cwd),
    }
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def _repo(path: Path, files: dict[str, str], later: str | None = None) -> None:
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")
    for name, text in files.items():
        (path / name).write_text(text)
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "chore: initial")
    _git(path, "tag", "v1.4.0" if later else "v1.0.0")
    if later:
        (path / "NEWS").write_text("a feature\n")
        _git(path, "add", "-A")
        _git(path, "commit", "-q", "-m", later)


def _fleet(tmp: Path, ecosystem: str) -> Path:
    fleet = tmp / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: deps}\n"
        "spec:\n  registries:\n    local: {type: file, path: ../registry}\n  ci: {default: local}\n"
    )
    shutil.copy(ROOT / "constitution" / "default.yaml", fleet / "constitution.yaml")
    docs = []
    for name, (package, files) in MANIFESTS[ecosystem].items():
        core = name == "core"
        _repo(tmp / "repos" / name, files, "feat: a feature" if core else None)
        docs.append(
            f"apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {{name: {name}}}\nspec:\n"
            f"  source: {{repo: ../repos/{name}}}\n  language: {LANG[ecosystem]}\n"
            f"  release: {{publish: [{{registry: local, package: '{package}'}}]}}\n"
        )
    (fleet / "products" / "all.yaml").write_text("---\n".join(docs))
    # core 1.4.0 is in the registry (Cargo's rule needs the published versions of its series)
    crates = tmp / "registry" / "crates" / "acme-core"
    crates.mkdir(parents=True)
    (crates / "acme-core-1.4.0.crate").write_bytes(b"")
    _git(fleet, "init", "-q", "-b", "main")
    _git(fleet, "add", "-A")
    _git(fleet, "commit", "-q", "-m", "fleet")
    return fleet


EXPECTED_CONFLICT = {
    "python": {"product": "app", "with": "web", "range": "<1.5,>=1.2"},
    "npm": {"product": "app", "with": "web", "range": "~1.4.0"},
    "cargo": {"product": "app", "with": "web", "range": "=1.4.0"},
}


@pytest.mark.parametrize("ecosystem", ["python", "npm", "cargo"])
def test_a_release_that_breaks_a_dependent_is_held_and_explained(tmp_path: Path, ecosystem: str):
    fleet = _fleet(tmp_path, ecosystem)
    fs = FleetSession.open(fleet, Context.from_environ())
    plan = fs.plan()
    cut = next(a for a in plan.actions if a.id == "core/release.cut")
    assert cut.params["version"] == "1.5.0"
    assert cut.params["breaks"] == ["web"]  # cli's range admits 1.5.0: not named
    assert cut.params["conflicts"] == [EXPECTED_CONFLICT[ecosystem]]
    assert "breaks web" in cut.reason and "app with web" in cut.reason
    assert cut.decision.verdict is Verdict.HOLD
    assert cut.decision.rule == "release-that-breaks-a-dependent-needs-a-maintainer"
    # a plan of core alone still reads the others' manifests
    alone = next(a for a in fs.plan(["core"]).actions if a.id == "core/release.cut")
    assert alone.params["breaks"] == ["web"] and alone.decision.verdict is Verdict.HOLD
    obstacles = [o["message"] for o in fs.explain("core")["obstacles"] if o["kind"] == "dependency conflict"]
    assert obstacles == [
        "core/release.cut: 1.5.0 is outside the declared range of web",
        f"core/release.cut: app could no longer install 1.5.0 next to web "
        f"(which needs {EXPECTED_CONFLICT[ecosystem]['range']})",
    ]


def test_the_observer_reads_every_manifest_at_head_and_keeps_fleet_packages(tmp_path: Path):
    fleet = _fleet(tmp_path, "python")
    fs = FleetSession.open(fleet, Context.from_environ())
    git = Observer(fs.desired, fs.store, fs.context).observe_git("app")
    assert [(r.package, r.range, r.manifest) for r in git.requires] == [
        ("acme-core", ">=1", "pyproject.toml"),
        ("acme-cli", "", "pyproject.toml"),
        ("acme-web", "==1.0.0", "requirements-prod.txt"),  # named by the tree, read in a second batch
    ]


def test_a_release_every_dependent_admits_goes_through(tmp_path: Path):
    fleet = _fleet(tmp_path, "python")
    web = tmp_path / "repos" / "web"
    (web / "pyproject.toml").write_text(_pyproject("acme_web", "1.0.0", ["acme-core>=1.2,<2"]))
    _git(web, "commit", "-q", "-am", "build: admit acme-core 1.x")
    fs = FleetSession.open(fleet, Context.from_environ())
    cut = next(a for a in fs.plan(["core"]).actions if a.id == "core/release.cut")
    assert cut.params["breaks"] == [] and cut.params["conflicts"] == []
    assert cut.decision.verdict is Verdict.ALLOW
