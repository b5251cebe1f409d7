"""`cmctl fleet ripple PRODUCT [VERSION]` on a real fleet of real git repos publishing to a file registry:
core's next release is a major (2.0.0); lib's range excludes it and its policy is major, so lib takes it in
wave 1 and releases 1.1.1, which app (pinned to lib 1.1.0, policy patch) takes in wave 2; cli's policy
is minor, so it is listed as blocked; web's range already takes 2.0.0 and tool names no fleet package:
neither is listed. Predicted durations come from the store's recorded samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from announce_fleet import git
from codemonkeys.api import ApiError, FleetSession
from codemonkeys.context import Context
from conftest import cmctl


def _pyproject(package: str, version: str, deps: list[str]) -> str:
    return f'[project]\nname = "{package}"\nversion = "{version}"\ndependencies = {json.dumps(deps)}\n'


# product -> (package, version tagged and published (None: no release), its dependencies, update policy,
# a commit after the tag)
PRODUCTS = {
    "core": ("acme-core", "1.4.0", [], None, "feat!: drop the old API"),
    "lib": ("acme-lib", "1.1.0", ["acme-core>=1.2,<2"], "major", None),
    "app": ("acme-app", "0.3.0", ["acme-lib==1.1.0"], "patch", None),
    "cli": ("acme-cli", "1.0.0", ["acme-core>=1.2,<2"], "minor", None),
    "web": ("acme-web", None, ["acme-core>=1"], "major", None),  # releases nothing
    "tool": ("acme-tool", "0.1.0", ["requests>=2"], "major", None),
}


def _fleet(tmp: Path) -> Path:
    fleet = tmp / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: ripple}\n"
        "spec:\n  registries:\n    local: {type: file, path: ../registry}\n  ci: {default: local}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\nspec: {default: allow}\n"
    )
    docs = []
    for name, (package, version, deps, follows, later) in PRODUCTS.items():
        repo = tmp / "repos" / name
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main")
        (repo / "pyproject.toml").write_text(_pyproject(package, version or "0.0.0", deps))
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "chore: initial")
        depends = [p for p, spec in PRODUCTS.items() if any(d.startswith(spec[0]) for d in deps)]
        doc = (
            f"apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {{name: {name}}}\nspec:\n"
            f"  source: {{repo: ../repos/{name}}}\n  language: python\n  dependsOn: {json.dumps(depends)}\n"
            + (f"  dependencies: {{update: {{policy: {follows}}}}}\n" if follows else "")
        )
        if version is None:
            docs.append(doc)
            continue
        git(repo, "tag", f"v{version}")
        if later:
            (repo / "NEWS").write_text(later + "\n")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", later)
        published = tmp / "registry" / "simple" / package
        published.mkdir(parents=True)
        (published / f"{package.replace('-', '_')}-{version}.tar.gz").write_bytes(b"")
        docs.append(doc + f"  release: {{publish: [{{registry: local, package: {package}}}]}}\n")
    (fleet / "products" / "all.yaml").write_text("---\n".join(docs))
    git(fleet, "init", "-q", "-b", "main")
    git(fleet, "add", "-A")
    git(fleet, "commit", "-q", "-m", "fleet")
    return fleet


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Path:
    """The fleet, with durations on record: lib's own runs, and only a build for app."""
    root = _fleet(tmp_path_factory.mktemp("ripple"))
    fs = FleetSession.open(root, Context.from_environ())
    runs = [("lib", "change.propose", 40.0), ("lib", "release.cut", 5.0), ("lib", "release.publish", 3.0)]
    runs += [("app", "build.run", 20.0), ("app", "release.cut", 4.0), ("app", "release.publish", 2.0)]
    for product, kind, seconds in runs:
        for n in range(3):
            fs.store.record_duration(
                product=product, kind=kind, ci="local", status="succeeded", seconds=seconds, hour=n
            )
    return root


def test_a_major_ripples_through_the_chain_and_stops_at_a_minor_policy(fleet: Path):
    r = cmctl("fleet", "ripple", "core", "--fleet", str(fleet), "-o", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["format"] == "codemonkeys.ripple/v1"
    assert (doc["root"], doc["version"], doc["version_from"]) == ("core", "2.0.0", "next version")
    assert doc["packages"] == ["acme-core"] and doc["unread"] == {}
    steps = {s["product"]: s for s in doc["steps"]}
    assert [(s["wave"], s["product"]) for s in doc["steps"]] == [(1, "cli"), (1, "lib"), (2, "app")]
    lib = steps["lib"]
    assert lib["follows"] is True and lib["blocked"] == "" and lib["releases"] == "1.1.1"
    assert lib["updates"] == [
        {
            "package": "acme-core",
            "ecosystem": "pypi",
            "version": "2.0.0",
            "level": "major",
            "dependency": "core",
            "manifests": [{"manifest": "pyproject.toml", "from": "<2,>=1.2", "to": "<3,>=2.0"}],
        }
    ]
    cli = steps["cli"]
    assert cli["follows"] is False and cli["releases"] is None and cli["policy"] == "minor"
    assert cli["blocked"] == "policy minor: acme-core 2.0.0 is a major update"
    app = steps["app"]
    assert app["follows"] is True and app["releases"] == "0.3.1"
    assert app["updates"][0]["level"] == "patch" and app["updates"][0]["dependency"] == "lib"
    assert app["updates"][0]["manifests"] == [
        {"manifest": "pyproject.toml", "from": "==1.1.0", "to": "==1.1.1"}
    ]
    assert (doc["bumped"], doc["waves"], doc["blocked"]) == (2, 2, 1)
    # predictions: lib's own runs; app's proposal from its own build (before the fleet's proposals)
    assert lib["predicted"] == pytest.approx(
        {"change.propose": 40.0, "release.cut": 5.0, "release.publish": 3.0}
    )
    assert app["predicted_basis"] == {
        "build.run": "product",
        "release.cut": "product",
        "release.publish": "product",
    }
    assert app["ends_s"] == pytest.approx(lib["predicted_s"] + app["predicted_s"])
    assert doc["predicted_s"] == pytest.approx(app["ends_s"]) and doc["unpredicted"] == 0
    assert cli["predicted_s"] is None


def test_the_table_by_wave_ends_with_a_summary(fleet: Path):
    r = cmctl("fleet", "ripple", "core", "--fleet", str(fleet))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "core 2.0.0 (next version; acme-core)"
    assert lines[1].split() == ["wave", "product", "takes", "then", "releases"]
    rows = [line.split(None, 2) for line in lines[2:5]]
    assert [row[:2] for row in rows] == [["1", "cli"], ["1", "lib"], ["2", "app"]]
    assert "acme-core <2,>=1.2 -> <3,>=2.0 (major)" in lines[3] and "follows" in lines[3]
    assert lines[3].rstrip().endswith("1.1.1")
    assert "blocked: policy minor: acme-core 2.0.0 is a major update" in lines[2]
    assert "acme-lib ==1.1.0 -> ==1.1.1 (patch)" in lines[4] and lines[4].rstrip().endswith("0.3.1")
    assert lines[5] == "2 products bumped in 2 waves, 1 blocked; predicted 1m14s along the longest path"


def test_a_given_version_a_suspended_product_and_a_root_without_dependents(fleet: Path):
    fs = FleetSession.open(fleet, Context.from_environ())
    minor = fs.ripple("core", "1.5.0")
    assert (minor.version, minor.version_from, minor.steps) == ("1.5.0", "given", [])  # every range takes 1.x
    fs.suspend("lib", "test")
    try:
        steps = fs.ripple("core").steps
    finally:
        fs.resume("lib", "test")
    assert [(s.product, s.follows, s.blocked) for s in steps] == [
        ("cli", False, "policy minor: acme-core 2.0.0 is a major update"),
        ("lib", False, "suspended: it never acts by itself"),
    ]  # app is not reached: lib releases nothing
    alone = fs.ripple("tool")
    assert (alone.version, alone.version_from, alone.steps) == ("0.1.0", "newest published", [])
    with pytest.raises(ApiError, match="'two' is not a version"):
        fs.ripple("core", "two")
    with pytest.raises(ApiError, match="web publishes no package another product's manifest could name"):
        fs.ripple("web")


def test_an_unknown_product_is_an_error(fleet: Path):
    r = cmctl("fleet", "ripple", "lbi", "--fleet", str(fleet))
    assert r.returncode == 1 and r.stdout == ""
    assert "error: unknown product(s): lbi (did you mean lib?)" in r.stderr, r.stderr
