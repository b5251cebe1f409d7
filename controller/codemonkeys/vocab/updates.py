"""Internal dependency updates (pure): which fleet releases a product's manifests do not take yet, how far
each is (patch, minor, major), the range that takes it, and a whole ripple's waves.

A product's manifest names a fleet package with a range (``Requirement``). When the package's product has
published a version the range excludes, the range is rewritten to take it, keeping its style: each lower
bound or caret / tilde / exact version gets the new version (with as many components as it had, so
``~=1.2`` becomes ``~=2.0``; ``==`` and exact npm versions get all of them), each upper bound the next
breaking version (the next major, the next minor below 1.0), wildcards the new series (``==1.*`` ->
``==2.*``). A rewrite that still excludes the version falls back to the ecosystem's plain form
(``>=V,<NEXT``, ``^V``, ``V``). Pre-releases are never proposed.

How far: against the newest published version the old range takes (else the range's lower bound):
a higher major is ``major``, and so is a higher minor below 1.0 (semver's 0.x rule, which npm's caret and
Cargo follow); a higher minor is ``minor``; else ``patch``. ``spec.dependencies.update.policy`` says how far
a product follows on its own: ``none`` < ``patch`` < ``minor`` < ``major``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version

from codemonkeys.vocab.deps import allows
from codemonkeys.vocab.enums import Ecosystem, UpdatePolicy
from codemonkeys.vocab.facts import Requirement

_ORDER = {UpdatePolicy.NONE: 0, UpdatePolicy.PATCH: 1, UpdatePolicy.MINOR: 2, UpdatePolicy.MAJOR: 3}
_VERSION = re.compile(r"\d+(?:\.(?:\d+|[*xX]))*")


def covers(policy: UpdatePolicy, level: str) -> bool:
    """Whether ``policy`` lets a product take an update of ``level`` (patch | minor | major) by itself."""
    return _ORDER[policy] >= _ORDER[UpdatePolicy(level)]


def _release3(v: Version) -> list[int]:
    return [*v.release, 0, 0][:3]


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def stable(versions: Sequence[str]) -> list[str]:
    """The versions that are neither pre-releases nor unreadable, oldest first."""
    ok = [(v, parsed) for v in versions if (parsed := _version(v)) is not None and not parsed.is_prerelease]
    return [v for v, _ in sorted(ok, key=lambda pair: pair[1])]


def takes(ecosystem: Ecosystem, range_: str, version: str) -> bool:
    """Whether ``range_`` admits ``version`` (``vocab.deps.allows``); a range no library reads (a path, a
    URL, ``workspace:``) says nothing about versions: True, so it is never rewritten."""
    try:
        return allows(ecosystem, range_, version)
    except ValueError:
        return True  # a range no library reads (a path, a URL) says nothing: never rewritten


_CLAUSE = re.compile(rf"(===|==|~=|!=|>=|<=|>|<|\^|~|=)?\s*v?({_VERSION.pattern})")


def _lower_bound(range_: str) -> Version | None:
    """The highest lower bound a range states (``>=``, ``>``, ``~=``, ``==``, ``^``, ``~``, a bare version;
    over every clause and alternative), None when it states only upper bounds or nothing readable."""
    found = []
    for part in re.split(r"\s*(?:\|\||,)\s*|\s+(?=[<>=~^!\d])", range_.strip()):
        m = _CLAUSE.fullmatch(part.strip())
        if m and (m.group(1) or "") not in ("<", "<=", "!="):
            found.append(_version(re.sub(r"[*xX]", "0", m.group(2))))
    found = [v for v in found if v is not None]
    return max(found) if found else None


def _without_exclusions(range_: str) -> str:
    """A PEP 440 range without its ``!=`` clauses (a release a maintainer excluded on purpose)."""
    return ",".join(c for c in range_.split(",") if not c.strip().startswith("!="))


def level(ecosystem: Ecosystem, range_: str, version: str, published: Sequence[str] = ()) -> str:
    """How far ``version`` is from what ``range_`` takes now: ``patch``, ``minor`` or ``major`` (see the
    module docstring)."""
    taken = [v for v in stable(published) if takes(ecosystem, range_, v) and v != version]
    base = _version(taken[-1]) if taken else _lower_bound(range_)
    new = _version(version)
    if base is None or new is None:
        return "major"  # nothing to compare with: the cautious answer
    b = _release3(base)
    n = _release3(new)
    if n[0] != b[0] or (n[0] == 0 and n[1] != b[1]):
        return "major"
    if ecosystem is not Ecosystem.PYPI and n[0] == 0 and n[1] == 0 and n[2] != b[2]:
        return "major"  # ^0.0.3 takes 0.0.3 only: npm's and Cargo's caret
    return "minor" if n[1] != b[1] else "patch"


def newer(ecosystem: Ecosystem, range_: str, version: str, published: Sequence[str] = ()) -> bool:
    """Whether ``range_`` excludes ``version`` as too new (not as excluded on purpose by ``!=``, and not
    because the range is ahead of every release, written for a version still to come): the version is
    newer than every ``published`` version the range takes, or, when it takes none, than the range's
    lower bound."""
    new = _version(version)
    if new is None:
        return False
    if (
        ecosystem is Ecosystem.PYPI
        and "!=" in range_
        and takes(ecosystem, _without_exclusions(range_), version)
    ):
        return False
    taken = [v for v in stable(published) if takes(ecosystem, range_, v)]
    if taken:
        return new > Version(taken[-1])
    base = _lower_bound(range_)
    return base is None or new > base


def _next_breaking(version: str) -> str:
    v = _release3(Version(version))
    return f"{v[0] + 1}.0.0" if v[0] else f"0.{v[1] + 1}.0"


def _literal(old: str, version: str, exact: bool) -> str:
    """``version`` written as ``old`` was: as many components, wildcards in place (``1.*`` -> ``2.*``)."""
    parts, new = old.split("."), version.split(".")
    if exact and not any(p in "*xX" for p in parts):
        return version
    out = []
    for i, part in enumerate(parts):
        out.append(part if part in ("*", "x", "X") else (new[i] if i < len(new) else "0"))
    return ".".join(out)


def _rewrite_clause(clause: str, version: str, ecosystem: Ecosystem) -> str:
    m = re.match(r"^\s*(===|==|~=|!=|>=|<=|>|<|\^|~|=)?\s*(.*?)\s*$", clause)
    if m is None:
        return clause
    op, rest = m.group(1) or "", m.group(2)
    found = _VERSION.match(rest)
    if found is None or op == "!=":
        return clause
    old = found.group(0)
    if op in ("<", "<="):
        parts = _next_breaking(version).split(".")
        keep = max(old.count(".") + 1, 1 if parts[0] != "0" else 2)
        return f"<{'.'.join(parts[:keep])}{rest[len(old) :]}"
    exact = op in ("==", "===", "=") or (not op and ecosystem is Ecosystem.NPM and old.count(".") == 2)
    return f"{op}{_literal(old, version, exact)}{rest[len(old) :]}"


def _fallback(ecosystem: Ecosystem, version: str) -> str:
    if ecosystem is Ecosystem.PYPI:
        nxt = _next_breaking(version)
        upper = nxt.removesuffix(".0") if nxt.startswith("0.") else nxt.removesuffix(".0.0")
        return f">={version},<{upper}"
    return f"^{version}" if ecosystem is Ecosystem.NPM else version


def bump_range(ecosystem: Ecosystem, range_: str, version: str) -> str:
    """A range in ``range_``'s style that takes ``version`` (see the module docstring); ``range_`` itself
    when it takes it already."""
    if takes(ecosystem, range_, version):
        return range_
    if "||" not in range_:
        sep = "," if ecosystem is not Ecosystem.NPM else " "
        clauses = range_.split(",") if ecosystem is not Ecosystem.NPM else range_.split()
        joined = (", " if ecosystem is Ecosystem.CARGO else sep).join(
            _rewrite_clause(c, version, ecosystem).strip() for c in clauses
        )
        if joined and takes(ecosystem, joined, version):
            return joined
    return _fallback(ecosystem, version)


@dataclass(frozen=True)
class Update:
    """One fleet package a product's manifests should take at a newer version: where it is named, the
    range there and its rewrite, how far the version is, and the product that publishes it."""

    package: str
    ecosystem: Ecosystem
    version: str
    level: str  # patch | minor | major
    dependency: str  # the fleet product that publishes the package
    edits: tuple[tuple[str, str, str], ...]  # (manifest, old range, new range) per manifest naming it

    @property
    def change(self) -> str:
        """The change id of its proposal: ``update-<package>-<version>``, safe in a branch name."""
        package = re.sub(r"[^A-Za-z0-9._-]+", "-", self.package).strip("-.")
        version = re.sub(r"[^A-Za-z0-9._-]+", "-", self.version)
        full = f"update-{package}-{version}"
        if len(full) <= 32:
            return full
        tag = hashlib.sha256(self.package.encode()).hexdigest()[:6]  # the package stays told apart
        room = max(0, 32 - len("update-") - len(tag) - len(version) - 2)
        return f"update-{package[:room]}-{tag}-{version}"[:32]

    def as_param(self) -> dict:
        """What the plan, an approver and CEL (``action.params.update``) see."""
        return {
            "package": self.package,
            "ecosystem": str(self.ecosystem),
            "version": self.version,
            "level": self.level,
            "dependency": self.dependency,
            "manifests": [{"manifest": m, "from": old, "to": new} for m, old, new in self.edits],
        }


def newest(registries: Sequence[Sequence[str]]) -> str | None:
    """The newest stable version every one of a product's registries has (None: none has one)."""
    if not registries:
        return None
    common = set(registries[0]).intersection(*map(set, registries[1:]))
    found = stable(sorted(common))
    return found[-1] if found else None


def pending(
    requires: Sequence[Requirement],
    publishers: Mapping[tuple[Ecosystem, str], str],
    released: Mapping[str, tuple[str, Sequence[str]]],
) -> list[Update]:
    """The updates a product's ``requires`` need: per fleet package (``publishers``: (ecosystem, package)
    -> the product publishing it) whose product's newest version (``released``: product -> (newest,
    every published version)) a range excludes as too new (``newer``), one ``Update`` covering every
    manifest naming it."""
    by_package: dict[tuple[Ecosystem, str], list[Requirement]] = {}
    for r in requires:
        by_package.setdefault((r.ecosystem, r.package), []).append(r)
    out = []
    for (ecosystem, package), reqs in sorted(by_package.items()):
        dependency = publishers.get((ecosystem, package))
        if dependency is None or dependency not in released:
            continue
        version, every = released[dependency]
        edits = []
        levels = []
        for r in reqs:
            if takes(ecosystem, r.range, version) or not newer(ecosystem, r.range, version, every):
                continue
            edits.append((r.manifest, r.range, bump_range(ecosystem, r.range, version)))
            levels.append(level(ecosystem, r.range, version, every))
        if edits:
            worst = max(levels, key=lambda lv: _ORDER[UpdatePolicy(lv)])
            out.append(Update(package, ecosystem, version, worst, dependency, tuple(edits)))
    return out


@dataclass
class Step:
    """One product in a ripple: the updates it takes, whether its policy lets it (``why`` says why not),
    the wave it is in (1: right after the root's release) and the version it releases then."""

    product: str
    wave: int
    updates: list[Update] = field(default_factory=list)
    blocked: str = ""  # non-empty: the product does not follow by itself, and why
    releases: str | None = None


def ripple(
    root: str,
    version: str,
    requires: Mapping[str, Sequence[Requirement]],
    publishes: Mapping[str, tuple[Ecosystem, frozenset[str]]],
    policies: Mapping[str, UpdatePolicy],
    current: Mapping[str, str | None],
    published: Mapping[str, Sequence[str]] | None = None,
) -> list[Step]:
    """The waves of a release of ``root`` at ``version`` through the fleet: each product whose manifests
    then need an update (``pending``), in waves (a product waits for every updated dependency it takes),
    the next patch of its ``current`` version released once it is updated, which its own dependents may
    need in turn. The updates its policy covers are taken (the planner proposes those); a product whose
    policy covers none is listed with why, and stops the ripple there. ``publishes``: product ->
    (ecosystem, its packages); ``published``: product -> its versions.

    A worklist over the requirers of each newly released product: a product is worked out again whenever
    something it requires is released later in the ripple, so its step and wave never depend on the order
    of names; a cycle of manifests stops at as many waves as there are products."""
    published = published or {}
    publishers = {(eco, pkg): name for name, (eco, pkgs) in publishes.items() for pkg in pkgs}
    requirers: dict[str, set[str]] = {}  # a releasing product -> the products whose manifests name it
    for name, reqs in requires.items():
        for r in reqs:
            if (dep := publishers.get((r.ecosystem, r.package))) is not None and dep != name:
                requirers.setdefault(dep, set()).add(name)
    released: dict[str, tuple[str, Sequence[str]]] = {root: (version, [*published.get(root, ()), version])}
    wave_of = {root: 0}
    steps: dict[str, Step] = {}
    todo = set(requirers.get(root, ()))
    while todo:
        name = min(todo)
        todo.discard(name)
        if name == root:
            continue
        updates = pending(requires[name], publishers, released)
        if not updates:
            continue
        wave = 1 + max(wave_of[u.dependency] for u in updates)
        if wave > len(requires) + 1:
            continue  # a cycle of manifests: no further wave
        policy = policies.get(name, UpdatePolicy.NONE)
        taken = [u for u in updates if covers(policy, u.level)]
        step = Step(name, wave, taken or updates)
        if not taken:
            u = updates[0]
            step.blocked = f"policy {policy}: {u.package} {u.version} is a {u.level} update"
        else:
            base = current.get(name)
            step.releases = _next_patch(base) if base else None
        before = steps.get(name)
        if before is not None and (before.wave, before.updates, before.blocked) == (
            step.wave,
            step.updates,
            step.blocked,
        ):
            continue
        steps[name], wave_of[name] = step, wave
        if step.releases is not None:
            released[name] = (step.releases, [*published.get(name, ()), step.releases])
            todo |= requirers.get(name, set())
    return sorted(steps.values(), key=lambda s: (s.wave, s.product))


def _next_patch(version: str) -> str | None:
    v = _version(version)
    if v is None:
        return None
    major, minor, patch = _release3(v)
    return f"{major}.{minor}.{patch + 1}"


__all__ = [
    "Step",
    "Update",
    "UpdatePolicy",
    "bump_range",
    "covers",
    "level",
    "newer",
    "newest",
    "pending",
    "ripple",
    "stable",
    "takes",
]
