"""Dependencies across the fleet: manifests -> requirements, and resolver conflicts seen in build logs.

Pure: text in, values out. ``parse_manifest`` reads the requirements of one manifest (``pyproject.toml``
``[project] dependencies`` and optional dependencies, ``requirements*.txt``, ``package.json``
dependencies / peer / optional / dev, ``Cargo.toml`` ``[dependencies]``, dev, build and per-target
tables, string or ``{version = ..., package = ...}``); names are normalized as their registry compares
them. The range logic (``allows``, ``breaks``, ``conflicts``) lives in ``vocab/deps.py`` so the
planner can use it, and is re-exported here.

``resolver_conflicts`` finds what a dependency resolver refused in a console log: pip's
``ResolutionImpossible`` ("Cannot install A and B because these package versions have conflicting
dependencies" + "The conflict is caused by"), npm's ``ERESOLVE`` ("Could not resolve dependency: peer
X@"^1" from Y@2") and cargo's "failed to select a version for ...", with the versions involved.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from codemonkeys.vocab.deps import (
    Break,
    Conflict,
    Published,
    allows,
    breaks,
    cargo_to_npm,
    conflicts,
    normalize,
)
from codemonkeys.vocab.enums import Ecosystem
from codemonkeys.vocab.facts import Requirement

MANIFESTS = ("pyproject.toml", "requirements.txt", "package.json", "Cargo.toml")
_REQUIREMENTS_TXT = re.compile(r"^requirements[-_.\w]*\.txt$")
_NPM_SECTIONS = ("dependencies", "peerDependencies", "optionalDependencies", "devDependencies")
_CARGO_SECTIONS = ("dependencies", "dev-dependencies", "build-dependencies")


def is_manifest(filename: str) -> bool:
    """Whether a file name (no directory) is a manifest ``parse_manifest`` reads."""
    return filename in MANIFESTS or bool(_REQUIREMENTS_TXT.match(filename))


def _pep508(lines: Iterable[str], manifest: str) -> list[Requirement]:
    out = []
    for line in lines:
        try:
            req = Pep508(line)
        except InvalidRequirement:
            continue  # an option, a URL or a path: no version range to judge
        out.append(
            Requirement(
                ecosystem=Ecosystem.PYPI,
                package=normalize(Ecosystem.PYPI, req.name),
                range=str(req.specifier),
                manifest=manifest,
            )
        )
    return out


def _pyproject(text: str, manifest: str) -> list[Requirement]:
    project = tomllib.loads(text).get("project", {})
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines += list(extra)
    return _pep508(lines, manifest)


def _requirements_txt(text: str, manifest: str) -> list[Requirement]:
    lines = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    return _pep508(lines, manifest)


def _package_json(text: str, manifest: str) -> list[Requirement]:
    doc = json.loads(text)
    out: dict[str, Requirement] = {}
    for section in _NPM_SECTIONS:
        for name, spec in (doc.get(section) or {}).items():
            if isinstance(spec, str):
                key = normalize(Ecosystem.NPM, name)
                out.setdefault(
                    key,
                    Requirement(ecosystem=Ecosystem.NPM, package=key, range=spec.strip(), manifest=manifest),
                )
    return list(out.values())


def _cargo_tables(doc: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for section in _CARGO_SECTIONS:
        yield doc.get(section) or {}
    for target in (doc.get("target") or {}).values():
        for section in _CARGO_SECTIONS:
            yield target.get(section) or {}


def _cargo_toml(text: str, manifest: str) -> list[Requirement]:
    out: dict[str, Requirement] = {}
    for table in _cargo_tables(tomllib.loads(text)):
        for key, spec in table.items():
            name, version = key, spec
            if isinstance(spec, dict):
                name, version = spec.get("package", key), spec.get("version")
            if not isinstance(version, str):
                continue  # a path, git or workspace dependency without a version requirement
            package = normalize(Ecosystem.CARGO, name)
            out.setdefault(
                package,
                Requirement(
                    ecosystem=Ecosystem.CARGO, package=package, range=version.strip(), manifest=manifest
                ),
            )
    return list(out.values())


def parse_manifest(path: str, text: str) -> list[Requirement]:
    """The requirements one manifest declares (``path`` names it; its base name picks the format).
    A manifest that cannot be parsed declares nothing (``ValueError`` is not raised: HEAD may be broken)."""
    base = path.rsplit("/", 1)[-1]
    parsers = {"pyproject.toml": _pyproject, "package.json": _package_json, "Cargo.toml": _cargo_toml}
    parser = parsers.get(base) or (_requirements_txt if _REQUIREMENTS_TXT.match(base) else None)
    if parser is None:
        return []
    try:
        return parser(text, path)
    except (ValueError, TypeError, AttributeError):  # tomllib / json errors are ValueErrors
        return []


def parse_manifests(
    files: Mapping[str, str], packages: Mapping[Ecosystem, set[str]] | None = None
) -> list[Requirement]:
    """Every requirement of ``files`` (path -> text), in path order; only those on ``packages``
    (ecosystem -> normalized names, e.g. the fleet's) when given."""
    out = []
    for path in sorted(files):
        for req in parse_manifest(path, files[path]):
            if packages is None or req.package in packages.get(req.ecosystem, set()):
                out.append(req)
    return out


# --- a requirement's range rewritten in place --------------------------------------------------------


def _name_pattern(ecosystem: Ecosystem, package: str) -> str:
    """A regular expression of ``package`` as a manifest may spell it (``-``, ``_`` and ``.`` alike for
    Python and Cargo, case-insensitive for Python)."""
    if ecosystem is Ecosystem.NPM:
        return re.escape(package)
    return "(?i:" + "[-_.]+".join(re.escape(part) for part in re.split(r"[-_.]+", package)) + ")"


def _same_range(ecosystem: Ecosystem, written: str, old: str | None) -> bool:
    """Whether a range as written is ``old`` as ``parse_manifest`` reported it (None: any)."""
    if old is None:
        return True
    if ecosystem is Ecosystem.PYPI:
        try:
            return str(SpecifierSet(written.strip())) == old
        except InvalidSpecifier:
            return False
    return written.strip() == old.strip()


def retarget(
    path: str,
    text: str,
    ecosystem: Ecosystem,
    package: str,
    new_range: str | Callable[[str], str],
    old_range: str | None = None,
) -> str:
    """``text`` of the manifest ``path`` with the requirements on ``package`` (those whose range is
    ``old_range`` as ``parse_manifest`` reports it, when given) given ``new_range`` (or
    ``new_range(written)``, from each range as it is written), the rest of each entry (extras, markers,
    comments, features) and the file's layout kept: PEP 508 strings in ``pyproject.toml`` and
    ``requirements*.txt`` lines with a version range (in parentheses too), ``package.json`` dependency
    entries, ``Cargo.toml`` entries (a bare string, an inline table's ``version``, a renamed dependency's
    inline table (``package = NAME``), a ``[dependencies.NAME]`` table's ``version``)."""
    name = _name_pattern(ecosystem, package)
    base = path.rsplit("/", 1)[-1]

    def swap(group: int) -> Callable[[re.Match[str]], str]:
        def one(m: re.Match[str]) -> str:
            whole, at, written = m.group(0), m.start(0), m.group(group)
            if not _same_range(ecosystem, written, old_range):
                return whole
            new = new_range(written.strip()) if callable(new_range) else new_range
            return whole[: m.start(group) - at] + new + whole[m.end(group) - at :]

        return one

    if base == "package.json":
        return re.sub(rf'"{name}"\s*:\s*"([^"]*)"', swap(1), text)
    if base == "Cargo.toml":
        inline = rf'(?m)^\s*{name}\s*=\s*(?:\{{[^}}\n]*?\bversion\s*=\s*)?"([^"]*)"'
        table = rf"(?ms)^\[(?:[^\]\n]*\.)?(?:dev-|build-)?dependencies\.{name}\]"
        table += r'(?:(?!^\[).)*?^\s*version\s*=\s*"([^"]*)"'
        renamed = rf'(?m)^\s*[\w-]+\s*=\s*\{{[^}}\n]*\bpackage\s*=\s*"{name}"[^}}\n]*\}}'
        version = re.compile(r'\bversion\s*=\s*"([^"]*)"')
        text = re.sub(renamed, lambda m: version.sub(swap(1), m.group(0)), text)
        return re.sub(table, swap(1), re.sub(inline, swap(1), text))
    spec = r"[ \t]*(?:\[[^\]\n]*\])?[ \t]*\(?[ \t]*((?:[<>=!~]=?|===)[^;#\"'\n()]*?)[ \t]*(?=[;#\"')]|$)"
    lead = rf"(?m)[\"']{name}" if base == "pyproject.toml" else rf"(?m)^[ \t]*{name}"
    return re.sub(lead + spec, swap(1), text)


def manifest_diff(path: str, old: str, new: str) -> str:
    """A unified diff of one file, as ``git apply`` takes it (``a/`` and ``b/`` paths, a last line
    without a newline marked as git marks it); "" when nothing changed."""
    import difflib

    if old == new:
        return ""
    out = []
    for line in difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    ):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# --- resolver errors in build logs ------------------------------------------------------------------


@dataclass(frozen=True)
class ResolverConflict:
    """A dependency resolver's refusal: the tool, the package it could not select, and the versions
    involved as the log states them ("acme-web 1.0.0 depends on acme-core<2,>=1.2", ...)."""

    tool: str  # pip | npm | cargo
    package: str
    involved: tuple[str, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> str:
        """One line: ``<tool>: <package> cannot be resolved: <involved; ...>``."""
        return f"{self.tool}: {self.package} cannot be resolved: " + "; ".join(self.involved)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PIP_CANNOT = re.compile(r"Cannot install (.+?) because these package versions have conflicting dependencies")
_PIP_CAUSE = re.compile(r"^\s+(The user requested .+|\S+ \S+ depends on .+)$")
_NPM_PREFIX = re.compile(r"^npm (?:error|ERR!) ?")
_NPM_FOUND = re.compile(r"^Found: (\S+)@(\S+)$")
_NPM_PEER = re.compile(r"^(peer(?:Optional)? )?(\S+)@\"([^\"]*)\" from (\S+)$")
_CARGO_SELECT = re.compile(r"failed to select a version for (?:the requirement )?`([^`]+)`")
_CARGO_INVOLVED = re.compile(
    r"^\s*(candidate versions found which didn't match: .+|versions that meet the requirements .+|"
    r"previously selected package .+|(?:\.\.\. )?required by package .+|\.\.\. which satisfies .+)$"
)


def _pip(lines: list[str]) -> list[ResolverConflict]:
    """One conflict per "The conflict is caused by:" block (or per "Cannot install" line without one);
    stdout and stderr may come in either order, so the blocks are found wherever they are."""
    cannot = [m for ln in lines if (m := _PIP_CANNOT.search(ln))]
    if not cannot and not any("ResolutionImpossible" in ln for ln in lines):
        return []
    out = []
    for i, line in enumerate(lines):
        if line.strip() != "The conflict is caused by:":
            continue
        involved = []
        for ln in lines[i + 1 : i + 20]:
            if not (c := _PIP_CAUSE.match(ln)):
                break
            involved.append(c.group(1).strip())
        wanted = [x.split(" depends on ", 1)[1] for x in involved if " depends on " in x]
        if wanted:  # the package the dependencies disagree on
            out.append(ResolverConflict("pip", _pip_name(wanted[0]), tuple(involved)))
    if not out:
        out = [ResolverConflict("pip", _pip_name(re.split(r",? and |, ", m.group(1))[0]), ()) for m in cannot]
    return out


def _pip_name(requirement: str) -> str:
    return normalize(Ecosystem.PYPI, re.split(r"[=<>!~ ;\[]", requirement.strip(), maxsplit=1)[0])


def _npm(lines: list[str]) -> list[ResolverConflict]:
    if not any("ERESOLVE" in ln for ln in lines):
        return []
    body = [_NPM_PREFIX.sub("", ln).strip() for ln in lines if _NPM_PREFIX.match(ln)]
    found = next((m for ln in body if (m := _NPM_FOUND.match(ln))), None)
    out = []
    for i, ln in enumerate(body):
        if ln != "Could not resolve dependency:" or i + 1 >= len(body):
            continue
        peer = _NPM_PEER.match(body[i + 1])
        if peer is None:
            continue
        package = peer.group(2)
        involved = [
            f'{(peer.group(1) or "").strip() or "dependency"} {package}@"{peer.group(3)}" from '
            f"{peer.group(4)}".strip()
        ]
        if found is not None and found.group(1) == package:
            involved.insert(0, f"found {package}@{found.group(2)}")
        out.append(ResolverConflict("npm", normalize(Ecosystem.NPM, package), tuple(involved)))
    return out


def _cargo(lines: list[str]) -> list[ResolverConflict]:
    out = []
    for i, line in enumerate(lines):
        m = _CARGO_SELECT.search(line)
        if not m or "which could resolve this conflict" in line:  # the closing line of the same report
            continue
        what = m.group(1)
        package = what.split(" ", 1)[0] if " = " in what else what
        involved = [what] if " = " in what else []
        for ln in lines[i + 1 : i + 16]:
            if _CARGO_SELECT.search(ln):
                break
            if c := _CARGO_INVOLVED.match(ln):
                involved.append(c.group(1).strip())
        out.append(ResolverConflict("cargo", normalize(Ecosystem.CARGO, package), tuple(involved)))
    return out


def resolver_conflicts(log: str) -> list[ResolverConflict]:
    """The resolver conflicts in a console log (pip, npm, cargo), in that order, duplicates dropped."""
    lines = [_ANSI.sub("", ln) for ln in log.splitlines()]
    found = [*_pip(lines), *_npm(lines), *_cargo(lines)]
    return list(dict.fromkeys(found))


__all__ = [
    "MANIFESTS",
    "Break",
    "Conflict",
    "Published",
    "ResolverConflict",
    "allows",
    "breaks",
    "cargo_to_npm",
    "conflicts",
    "is_manifest",
    "manifest_diff",
    "normalize",
    "parse_manifest",
    "parse_manifests",
    "resolver_conflicts",
    "retarget",
]
