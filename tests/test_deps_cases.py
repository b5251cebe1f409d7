"""Golden cases as data for the dependency logic (tests/cases/conflicts/*.yaml): which fleet products a
release breaks, which pairs could no longer be installed together, and what a declared range admits
(PEP 440 by packaging, npm by node-semver, Cargo translated to npm semantics)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from codemonkeys.swarm.deps import Published, allows, breaks, conflicts, normalize, parse_manifest
from codemonkeys.vocab.enums import Ecosystem
from codemonkeys.vocab.facts import Requirement

CASES = Path(__file__).parent / "cases" / "conflicts"
FLEET_CASES = sorted(p for p in CASES.glob("*.yaml") if p.stem != "ranges")
RANGES = yaml.safe_load((CASES / "ranges.yaml").read_text())


def _published(name: str, doc: dict) -> Published:
    eco = Ecosystem(doc["ecosystem"])
    return Published(name, eco, frozenset(normalize(eco, p) for p in doc["packages"]))


@pytest.mark.parametrize("path", FLEET_CASES, ids=lambda p: p.stem)
def test_conflict_case(path: Path):
    case = yaml.safe_load(path.read_text())
    rel = case["released"]
    released = _published(rel["name"], rel)
    fleet = {n: _published(n, d) for n, d in case["fleet"].items()}
    requires = {
        n: [
            Requirement(
                ecosystem=released.ecosystem,
                package=normalize(released.ecosystem, r["package"]),
                range=r["range"],
            )
            for r in reqs
        ]
        for n, reqs in case["requires"].items()
    }
    version = str(rel["version"])
    got_breaks = sorted({b.product for b in breaks(released, version, requires)})
    published = [str(v) for v in rel["published"]]
    got_conflicts = [c.as_param() for c in conflicts(released, version, requires, fleet, published)]
    assert got_breaks == case["expected"]["breaks"], case["description"]
    assert got_conflicts == case["expected"]["conflicts"], case["description"]


@pytest.mark.parametrize(
    "ecosystem,range_,version,admits",
    [(eco, r, str(v), a) for eco, rows in RANGES["allows"].items() for r, v, a in rows],
)
def test_allows(ecosystem: str, range_: str, version: str, admits: bool):
    assert allows(Ecosystem(ecosystem), range_, version) is admits


@pytest.mark.parametrize("ecosystem,range_,version", [tuple(map(str, row)) for row in RANGES["unreadable"]])
def test_unreadable_ranges_raise(ecosystem: str, range_: str, version: str):
    with pytest.raises(
        ValueError, match=rf"^cannot read {re.escape(repr(range_))}( / .*)? as (PEP 440|a {ecosystem} )"
    ):
        allows(Ecosystem(ecosystem), range_, version)


def test_manifests_of_each_ecosystem():
    pyproject = (
        '[project]\nname = "web"\ndependencies = ["Acme_Core>=1.2,<2", "requests"]\n'
        "[project.optional-dependencies]\ncli = [\"acme.cli~=1.0; python_version >= '3.11'\"]\n"
    )
    reqs = {(r.package, r.range) for r in parse_manifest("pyproject.toml", pyproject)}
    assert reqs == {("acme-core", "<2,>=1.2"), ("requests", ""), ("acme-cli", "~=1.0")}
    txt = "# pinned\n-r base.txt\nacme-core==1.4.0  # lib\n--index-url x\n./local\n"
    assert [(r.package, r.range) for r in parse_manifest("requirements-dev.txt", txt)] == [
        ("acme-core", "==1.4.0")
    ]
    package_json = '{"dependencies": {"@Acme/Core": "^1.2.0"}, "peerDependencies": {"x": "file:../x"}}'
    assert [(r.ecosystem, r.package, r.range) for r in parse_manifest("package.json", package_json)] == [
        (Ecosystem.NPM, "@acme/core", "^1.2.0"),
        (Ecosystem.NPM, "x", "file:../x"),
    ]
    cargo = (
        '[package]\nname = "web"\n[dependencies]\nacme_core = "1.2"\n'
        'serde = { version = "1", features = [] }\n'
        'local = { path = "../local" }\ncore2 = { package = "acme-core2", version = "=2.0.0" }\n'
        "[target.'cfg(unix)'.dev-dependencies]\nacme-cli = \"~0.3\"\n"
    )
    assert {(r.package, r.range) for r in parse_manifest("Cargo.toml", cargo)} == {
        ("acme-core", "1.2"),
        ("serde", "1"),
        ("acme-core2", "=2.0.0"),
        ("acme-cli", "~0.3"),
    }
    assert parse_manifest("Cargo.toml", "not = [toml") == []
    assert parse_manifest("README.md", "acme-core>=1") == []
