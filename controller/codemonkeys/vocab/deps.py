"""Dependency ranges across the fleet (pure): does a declared range admit a version, whom does a release
break, which products could no longer install two fleet products together.

The ranges are judged by libraries, never by a resolver of ours: Python specifiers by ``packaging``
(PEP 440), npm ranges by ``node-semver`` (a port of npm's own ``semver`` package, so ``^ ~ x || -``
and npm's pre-release rules mean what they mean to npm), Cargo requirements translated to the same
npm semantics (Cargo's caret, tilde, wildcard and comparison rules coincide with npm's; a bare version
is a caret requirement and a comma joins clauses, as a space does in npm).

A pre-release version is judged inside a range's bounds (``include_prerelease``): a range that would
take 2.0.0 also takes 2.0.0-rc.1; a resolver's choice not to pick pre-releases by default is not a break.
A range none of the libraries can read (a path, a git URL, ``workspace:``) says nothing about versions:
it neither allows nor breaks (``allows`` raises ``ValueError``, ``breaks`` and ``conflicts`` skip it).

Imports no I/O (``packaging.utils`` would load ``subprocess``: names are normalized here, PEP 503).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from codemonkeys.vocab.enums import Ecosystem, Language
from codemonkeys.vocab.facts import Requirement

LANGUAGE_ECOSYSTEM = {
    Language.PYTHON: Ecosystem.PYPI,
    Language.NODE: Ecosystem.NPM,
    Language.RUST: Ecosystem.CARGO,
}

_PEP503 = re.compile(r"[-_.]+")
_CARGO_OP_SPACE = re.compile(r"^([<>=^~]+)\s+")


def normalize(ecosystem: Ecosystem, name: str) -> str:
    """A package name as its registry compares names: PEP 503 for Python, lowercase for npm, Cargo's
    ``-``/``_`` equivalence for crates."""
    name = name.strip()
    if ecosystem is Ecosystem.PYPI:
        return _PEP503.sub("-", name).lower()
    if ecosystem is Ecosystem.CARGO:
        return name.replace("_", "-").lower()
    return name.lower()


def cargo_to_npm(requirement: str) -> str:
    """A Cargo version requirement in npm range syntax: bare versions become caret requirements, the
    comma-joined clauses a space-joined (AND) npm range; ``*`` and ``""`` stay any version."""
    clauses = []
    for clause in requirement.split(","):
        clause = _CARGO_OP_SPACE.sub(r"\1", clause.strip())
        if clause and clause[0].isdigit():
            clause = "^" + clause
        if clause:
            clauses.append(clause)
    return " ".join(clauses) or "*"


def allows(ecosystem: Ecosystem, range_: str, version: str) -> bool:
    """Whether the declared ``range_`` admits ``version`` under the ecosystem's rules (see the module doc
    on pre-releases). ``ValueError`` if the range or the version cannot be read."""
    range_ = range_.strip()
    if ecosystem is Ecosystem.PYPI:
        try:
            return SpecifierSet(range_).contains(Version(version), prereleases=True)
        except (InvalidSpecifier, InvalidVersion) as exc:
            raise ValueError(f"cannot read {range_!r} / {version!r} as PEP 440: {exc}") from exc
    npm_range = cargo_to_npm(range_) if ecosystem is Ecosystem.CARGO else (range_ or "*")
    import nodesemver  # npm and cargo ranges only (its import: tens of ms every plan would pay)

    if nodesemver.valid_range(npm_range, loose=False) is None:
        raise ValueError(f"cannot read {range_!r} as a {ecosystem} version range")
    if nodesemver.valid(version, loose=False) is None:
        raise ValueError(f"cannot read {version!r} as a semver version")
    return bool(nodesemver.satisfies(version, npm_range, loose=False, include_prerelease=True))


def _excludes(req: Requirement, version: str) -> bool:
    try:
        return not allows(req.ecosystem, req.range, version)
    except ValueError:
        return False  # unreadable: says nothing about versions


@dataclass(frozen=True)
class Published:
    """A fleet product as a package: the ecosystem it publishes to and its packages' normalized names."""

    name: str
    ecosystem: Ecosystem
    packages: frozenset[str]

    def required_by(self, requires: Iterable[Requirement]) -> list[Requirement]:
        """The requirements among ``requires`` that name one of this product's packages."""
        return [r for r in requires if r.ecosystem is self.ecosystem and r.package in self.packages]


@dataclass(frozen=True)
class Break:
    """A dependent whose declared range excludes the new version."""

    product: str
    package: str
    range: str
    manifest: str = ""


@dataclass(frozen=True)
class Conflict:
    """``product`` installs the released package and ``with_``, whose own range on it (``range``)
    excludes the new version: the two can no longer be installed together at that version."""

    product: str
    with_: str
    range: str

    def as_param(self) -> dict[str, str]:
        """The plan's form: ``{product, with, range}``."""
        return {"product": self.product, "with": self.with_, "range": self.range}


def cargo_series(version: str) -> tuple[int, int, int]:
    """The semver-compatible series Cargo unifies a version into (one copy per series in a build):
    ``(major, 0, 0)`` from 1.0 on, ``(0, minor, 0)`` below, ``(0, 0, patch)`` for 0.0.x."""
    import nodesemver

    v = nodesemver.make_semver(version, loose=False)
    if v.major:
        return (v.major, 0, 0)
    return (0, v.minor, 0) if v.minor else (0, 0, v.patch)


def _cargo_coexists(req: Requirement, version: str, published: Sequence[str]) -> bool:
    """Cargo builds one copy per compatible series: a range that admits no published version of the new
    version's series is met by a copy of another series, next to the new version."""
    series = cargo_series(version)
    import nodesemver

    same = [v for v in published if nodesemver.valid(v, loose=False) and cargo_series(v) == series]
    return not any(allows(req.ecosystem, req.range, v) for v in same)


def breaks(released: Published, version: str, requires: Mapping[str, Sequence[Requirement]]) -> list[Break]:
    """The fleet products (``requires``: product -> its manifests' requirements) whose declared range on
    one of ``released``'s packages excludes ``version``, by product name (one entry per requirement)."""
    out = []
    for name in sorted(requires):
        if name == released.name:
            continue
        for req in released.required_by(requires[name]):
            if _excludes(req, version):
                out.append(Break(name, req.package, req.range, req.manifest))
    return out


def conflicts(
    released: Published,
    version: str,
    requires: Mapping[str, Sequence[Requirement]],
    fleet: Mapping[str, Published],
    published: Sequence[str] = (),
) -> list[Conflict]:
    """Pairs that could no longer be installed together: a product that requires ``released`` directly
    and another fleet product Y (``fleet``: product -> what it publishes) whose own requirement on
    ``released`` excludes ``version``. Sorted by product, then Y.

    Cargo links one copy per semver-compatible series, so there Y's range conflicts only when it admits
    a ``published`` version of the new version's series (then that series must unify without it)."""
    excluding: dict[str, list[Requirement]] = {}
    for name, reqs in requires.items():
        bad = [
            r
            for r in released.required_by(reqs)
            if _excludes(r, version)
            and not (r.ecosystem is Ecosystem.CARGO and _cargo_coexists(r, version, published))
        ]
        if name != released.name and bad:
            excluding[name] = bad
    out = []
    for name in sorted(requires):
        if name == released.name or not released.required_by(requires[name]):
            continue
        for other in sorted(excluding):
            if other == name or other not in fleet or not fleet[other].required_by(requires[name]):
                continue
            for req in excluding[other]:
                out.append(Conflict(name, other, req.range))
    return out


__all__ = [
    "LANGUAGE_ECOSYSTEM",
    "Break",
    "Conflict",
    "Published",
    "allows",
    "breaks",
    "cargo_series",
    "cargo_to_npm",
    "conflicts",
    "normalize",
]
