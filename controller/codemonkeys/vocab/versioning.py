"""Conventional commits and semver: pure functions from commit messages and tags to the next version.

Rules: breaking (``!`` or a ``BREAKING CHANGE:`` footer) -> major, ``feat`` -> minor, ``fix``/``perf`` ->
patch. Before 1.0.0 a breaking change bumps the minor (0.x keeps breaking in minor). Other types
(docs, chore, test, ...) are not releasable. Release commits (``chore(release): ...``) never are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import semver
from packaging.version import InvalidVersion, Version

from codemonkeys.vocab.facts import Bump, Commit

_SUBJECT = re.compile(r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:\s+(?P<desc>\S.*)$")
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE:\s", re.M)
RELEASABLE = {"feat": Bump.MINOR, "fix": Bump.PATCH, "perf": Bump.PATCH}
_ORDER = [Bump.NONE, Bump.PATCH, Bump.MINOR, Bump.MAJOR]


def parse_commit(sha: str, subject: str, body: str = "") -> Commit:
    """Read a commit's subject (and ``BREAKING CHANGE`` footer) as a conventional commit, if it is one."""
    m = _SUBJECT.match(subject.strip())
    if not m:
        return Commit(sha=sha, subject=subject.strip())
    breaking = bool(m["bang"]) or bool(_BREAKING_FOOTER.search(body or ""))
    return Commit(
        sha=sha, type=m["type"].lower(), scope=m["scope"], breaking=breaking, subject=subject.strip()
    )


def commit_bump(commit: Commit) -> Bump:
    """The bump one commit asks for (release commits and non-releasable types: none)."""
    if commit.type == "chore" and commit.scope == "release":
        return Bump.NONE
    if commit.breaking:
        return Bump.MAJOR
    return RELEASABLE.get(commit.type or "", Bump.NONE)


def overall_bump(commits: Iterable[Commit]) -> Bump:
    """The largest bump among ``commits`` (none if there are none)."""
    return max((commit_bump(c) for c in commits), key=_ORDER.index, default=Bump.NONE)


def parse_version(text: str | None) -> semver.Version | None:
    """``text`` (a leading ``v`` allowed) as semver, None if empty or not semver."""
    if not text:
        return None
    try:
        return semver.Version.parse(text.strip().removeprefix("v"))
    except ValueError:
        return None


def next_version(
    last: str | None,
    bump: Bump,
    file_version: str | None,
    channel: str | None = None,
    taken: Iterable[str] = (),
) -> str | None:
    """The version release.cut creates, or None when nothing is releasable.

    Without a previous tag the first release is the version file's version (release-please style),
    or 0.1.0 when the file has none. With a pre-release ``channel`` (e.g. ``rc``) the result is
    ``X.Y.Z-rc.N``: X.Y.Z is the bumped stable version (or the one a previous pre-release already
    aims at) and N follows the highest pre-release of it in ``taken`` (all versions already tagged).
    """
    if last is None:
        initial = parse_version(file_version)
        base = (
            initial.finalize_version()
            if initial and initial > semver.Version(0, 0, 0)
            else semver.Version(0, 1, 0)
        )
        return _prerelease(base, channel, taken) if channel else str(base)
    if bump is Bump.NONE:
        return None
    current = parse_version(last)
    if current is None:
        return None
    if channel and current.prerelease:
        return _prerelease(current.finalize_version(), channel, taken)
    if bump is Bump.MAJOR:
        nxt = current.bump_minor() if current.major == 0 else current.bump_major()
    elif bump is Bump.MINOR:
        nxt = current.bump_minor()
    else:
        nxt = current.bump_patch()
    return _prerelease(nxt, channel, taken) if channel else str(nxt)


def _prerelease(base: semver.Version, channel: str, taken: Iterable[str]) -> str:
    numbers = [0]
    for text in taken:
        v = parse_version(text)
        if v and v.finalize_version() == base and v.prerelease and v.prerelease.startswith(f"{channel}."):
            tail = v.prerelease.removeprefix(f"{channel}.")
            if tail.isdigit():
                numbers.append(int(tail))
    return f"{base}-{channel}.{max(numbers) + 1}"


def version_in(version: str, versions: Iterable[str]) -> bool:
    """Whether ``version`` is among ``versions``, also when an ecosystem normalized its spelling
    (PEP 440 turns 1.0.0-rc.1 into 1.0.0rc1)."""
    if version in versions:
        return True
    try:
        wanted = Version(version)
    except InvalidVersion:
        return False
    for v in versions:
        try:
            if Version(v) == wanted:
                return True
        except InvalidVersion:
            continue
    return False


def tag_pattern(tag_format: str, product: str) -> re.Pattern[str]:
    """A regex matching tags of ``tag_format`` (e.g. ``v{version}``) with a ``version`` group."""
    escaped = re.escape(tag_format.replace("{product}", product))
    return re.compile(
        "^" + escaped.replace(re.escape("{version}"), r"(?P<version>\d+\.\d+\.\d+(?:[-+][\w.-]+)?)") + "$"
    )


def format_tag(tag_format: str, product: str, version: str) -> str:
    """The tag name of ``version`` for ``product`` in ``tag_format``."""
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
