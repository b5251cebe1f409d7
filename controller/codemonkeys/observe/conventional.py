"""Conventional commits and semver: pure functions from commit messages and tags to the next version.

Rules: breaking (``!`` or a ``BREAKING CHANGE:`` footer) -> major, ``feat`` -> minor, ``fix``/``perf`` ->
patch. Before 1.0.0 a breaking change bumps the minor (0.x keeps breaking in minor). Other types
(docs, chore, test, ...) are not releasable. Release commits (``chore(release): ...``) never are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import semver

from codemonkeys.observe.facts import Bump, Commit

_SUBJECT = re.compile(r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:\s+(?P<desc>\S.*)$")
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE:\s", re.M)
RELEASABLE = {"feat": Bump.MINOR, "fix": Bump.PATCH, "perf": Bump.PATCH}
_ORDER = [Bump.NONE, Bump.PATCH, Bump.MINOR, Bump.MAJOR]


def parse_commit(sha: str, subject: str, body: str = "") -> Commit:
    m = _SUBJECT.match(subject.strip())
    if not m:
        return Commit(sha=sha, subject=subject.strip())
    breaking = bool(m["bang"]) or bool(_BREAKING_FOOTER.search(body or ""))
    return Commit(
        sha=sha, type=m["type"].lower(), scope=m["scope"], breaking=breaking, subject=subject.strip()
    )


def commit_bump(commit: Commit) -> Bump:
    if commit.type == "chore" and commit.scope == "release":
        return Bump.NONE
    if commit.breaking:
        return Bump.MAJOR
    return RELEASABLE.get(commit.type or "", Bump.NONE)


def overall_bump(commits: Iterable[Commit]) -> Bump:
    return max((commit_bump(c) for c in commits), key=_ORDER.index, default=Bump.NONE)


def parse_version(text: str | None) -> semver.Version | None:
    if not text:
        return None
    try:
        return semver.Version.parse(text.strip().removeprefix("v"))
    except ValueError:
        return None


def next_version(last: str | None, bump: Bump, file_version: str | None) -> str | None:
    """The version release.cut creates, or None when nothing is releasable.

    Without a previous tag the first release is the version file's version (release-please style),
    or 0.1.0 when the file has none.
    """
    if last is None:
        initial = parse_version(file_version)
        return str(initial) if initial and initial > semver.Version(0, 0, 0) else "0.1.0"
    if bump is Bump.NONE:
        return None
    current = parse_version(last)
    if current is None:
        return None
    if bump is Bump.MAJOR:
        return str(current.bump_minor() if current.major == 0 else current.bump_major())
    if bump is Bump.MINOR:
        return str(current.bump_minor())
    return str(current.bump_patch())


def tag_pattern(tag_format: str, product: str) -> re.Pattern[str]:
    """A regex matching tags of ``tag_format`` (e.g. ``v{version}``) with a ``version`` group."""
    escaped = re.escape(tag_format.replace("{product}", product))
    return re.compile(
        "^" + escaped.replace(re.escape("{version}"), r"(?P<version>\d+\.\d+\.\d+(?:[-+][\w.-]+)?)") + "$"
    )


def format_tag(tag_format: str, product: str, version: str) -> str:
    return tag_format.replace("{product}", product).replace("{version}", version)


def newest_version_tag(tags: Iterable[str], tag_format: str, product: str) -> tuple[str, str] | None:
    """(tag, version) of the highest semver among ``tags`` that match the format."""
    pattern = tag_pattern(tag_format, product)
    best: tuple[semver.Version, str, str] | None = None
    for tag in tags:
        m = pattern.match(tag)
        v = parse_version(m["version"]) if m else None
        if v is not None and (best is None or v > best[0]):
            best = (v, tag, str(v))
    return (best[1], best[2]) if best else None
