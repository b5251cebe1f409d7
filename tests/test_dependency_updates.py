"""Internal dependency updates, the pure parts: a range rewritten to take a fleet dependency's new version
in its own style and how far the version is (``tests/cases/updates/ranges.yaml``), the rewrite applied to
real manifest layouts (``manifests.yaml``, checked again by ``parse_manifest``), the diff ``git apply``
takes, what a product needs now, and a ripple's waves through a fleet."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from codemonkeys.swarm.deps import manifest_diff, parse_manifest, retarget
from codemonkeys.vocab.deps import allows
from codemonkeys.vocab.enums import Ecosystem, UpdatePolicy
from codemonkeys.vocab.facts import Requirement
from codemonkeys.vocab.updates import Update, bump_range, covers, level, newer, newest, pending, ripple

CASES = Path(__file__).parent / "cases" / "updates"
RANGES = yaml.safe_load((CASES / "ranges.yaml").read_text())
MANIFESTS = yaml.safe_load((CASES / "manifests.yaml").read_text())


@pytest.mark.parametrize(("eco", "old", "version", "new", "how_far"), RANGES["cases"], ids=lambda v: str(v))
def test_a_range_is_rewritten_in_its_style_and_takes_the_version(eco, old, version, new, how_far):
    ecosystem = Ecosystem(eco)
    assert bump_range(ecosystem, old, version) == new
    assert allows(ecosystem, new, version)
    assert level(ecosystem, old, version, RANGES["published"]) == how_far


@pytest.mark.parametrize("case", MANIFESTS, ids=lambda c: c["path"])
def test_a_manifest_keeps_everything_but_the_range(case):
    eco = Ecosystem(case["ecosystem"])
    got = retarget(case["path"], case["before"], eco, case["package"], case["to"], case["from"])
    assert got == case["after"]
    ranges = {r.range for r in parse_manifest(case["path"], got) if r.package == case["package"]}
    to = str(SpecifierSet(case["to"])) if eco is Ecosystem.PYPI else case["to"]
    assert to in ranges  # as the observer will read it back


def test_the_diff_applies_with_git_also_without_a_last_newline(tmp_path: Path):
    repo = tmp_path / "r"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "sub").mkdir()
    old = '{"dependencies": {"@acme/core": "^1.2.0"}}'  # no newline at the end
    (repo / "sub" / "package.json").write_text(old)
    new = retarget("sub/package.json", old, Ecosystem.NPM, "@acme/core", "^2.0.0")
    diff = manifest_diff("sub/package.json", old, new)
    assert manifest_diff("sub/package.json", old, old) == ""
    (tmp_path / "p.diff").write_text(diff)
    subprocess.run(["git", "apply", str(tmp_path / "p.diff")], cwd=repo, check=True)
    assert (repo / "sub" / "package.json").read_text() == new


def test_what_a_product_needs_now():
    reqs = [
        Requirement(
            ecosystem=Ecosystem.PYPI, package="acme-core", range="<2,>=1.2", manifest="pyproject.toml"
        ),
        Requirement(ecosystem=Ecosystem.PYPI, package="acme-core", range=">=1", manifest="requirements.txt"),
        Requirement(ecosystem=Ecosystem.PYPI, package="acme-kit", range=">=1", manifest="pyproject.toml"),
        Requirement(ecosystem=Ecosystem.PYPI, package="acme-kit", range=">=2", manifest="setup.txt"),  # ahead
        Requirement(ecosystem=Ecosystem.PYPI, package="requests", range="<2", manifest="pyproject.toml"),
    ]
    publishers = {(Ecosystem.PYPI, "acme-core"): "core", (Ecosystem.PYPI, "acme-kit"): "kit"}
    released = {"core": ("2.0.0", ["1.4.0", "2.0.0"]), "kit": ("1.1.0", ["1.0.0", "1.1.0"])}
    (u,) = pending(reqs, publishers, released)  # requirements.txt and kit take theirs; requests is not ours
    assert (u.package, u.version, u.level, u.dependency) == ("acme-core", "2.0.0", "major", "core")
    assert u.edits == (("pyproject.toml", "<2,>=1.2", "<3,>=2.0"),)
    assert u.change == "update-acme-core-2.0.0"
    assert newest([["1.0.0", "2.0.0", "2.1.0rc1"], ["1.0.0", "2.0.0"]]) == "2.0.0"
    assert newest([["1.0.0", "2.0.0"], ["1.0.0"]]) == "1.0.0"  # not in every registry yet
    assert [covers(p, "minor") for p in UpdatePolicy] == [False, False, True, True]


def test_a_ripple_goes_through_the_fleet_in_waves():
    def req(package: str, range_: str) -> Requirement:
        return Requirement(ecosystem=Ecosystem.NPM, package=package, range=range_, manifest="package.json")

    publishes = {n: (Ecosystem.NPM, frozenset({f"@a/{n}"})) for n in ("core", "mid", "app", "tool", "leaf")}
    requires = {
        "mid": [req("@a/core", "^1.0.0")],
        "app": [req("@a/mid", "1.0.0"), req("@a/core", "^2.0.0")],  # exact pin on mid: waits for it
        "tool": [req("@a/core", "~1.0.0")],
        "leaf": [req("@a/tool", "^1.0.0")],
    }
    policies = {"mid": UpdatePolicy.MAJOR, "app": UpdatePolicy.PATCH, "tool": UpdatePolicy.MINOR}
    current = {"mid": "1.0.0", "app": "3.1.0", "tool": "1.0.0", "leaf": "0.1.0"}
    steps = ripple("core", "2.0.0", requires, publishes, policies, current)
    assert [(s.product, s.wave, s.releases, s.blocked) for s in steps] == [
        ("mid", 1, "1.0.1", ""),
        ("tool", 1, None, "policy minor: @a/core 2.0.0 is a major update"),
        ("app", 2, "3.1.1", ""),  # mid 1.0.1 is a patch: within app's policy
    ]
    assert [u.edits for u in steps[2].updates] == [(("package.json", "1.0.0", "1.0.1"),)]


def test_what_is_not_an_update():
    # a release a maintainer excluded on purpose is never taken by itself
    assert not newer(Ecosystem.PYPI, "!=1.5.0,<2,>=1.2", "1.5.0", ["1.2.0", "1.4.0", "1.5.0"])
    assert newer(Ecosystem.PYPI, "!=1.5.0,<2,>=1.2", "2.0.0", ["1.4.0", "1.5.0", "2.0.0"])
    # a range ahead of every release is not taken back; one with only an upper bound is behind
    assert not newer(Ecosystem.PYPI, "<3,>=2.0", "1.4.0", ["1.4.0"])
    assert newer(Ecosystem.PYPI, "<2", "2.0.0", ["2.0.0"])
    # long names keep their version and stay apart in the change id (a 32-character column)
    ids = {
        Update(p, Ecosystem.NPM, v, "patch", "d", ()).change
        for p in ("@acme/design-system-tokens", "@acme/design-system-tokenz")
        for v in ("1.4.0", "1.5.0", "10.12.3", "10.12.4")
    }
    assert len(ids) == 8 and all(len(i) <= 32 and i.endswith(("1.4.0", "1.5.0", ".3", ".4")) for i in ids)


@pytest.mark.parametrize("app", ["aapp", "zapp"])
def test_a_ripple_does_not_depend_on_the_names(app):
    def req(package: str, range_: str) -> Requirement:
        return Requirement(ecosystem=Ecosystem.NPM, package=package, range=range_, manifest="package.json")

    publishes = {n: (Ecosystem.NPM, frozenset({f"@a/{n}"})) for n in ("core", "lib", app)}
    requires = {"lib": [req("@a/core", "1.0.0")], app: [req("@a/core", "1.0.0"), req("@a/lib", "1.0.0")]}
    policies = {"lib": UpdatePolicy.MAJOR, app: UpdatePolicy.MAJOR}
    steps = ripple("core", "2.0.0", requires, publishes, policies, {"lib": "1.0.0", app: "1.0.0"})
    assert [(s.product, s.wave, [u.package for u in s.updates]) for s in steps] == [
        ("lib", 1, ["@a/core"]),
        (app, 2, ["@a/core", "@a/lib"]),  # waits for lib's 1.0.1 too, whatever its name
    ]
