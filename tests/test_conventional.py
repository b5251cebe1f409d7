"""Conventional commits -> bump -> next version; version files rewritten with formatting preserved."""

from __future__ import annotations

import json

import pytest

from codemonkeys.facets.release.actuators import insert_section, render_changelog_section
from codemonkeys.vocab.facts import Bump
from codemonkeys.vocab.versionfiles import read_version, write_version
from codemonkeys.vocab.versioning import (
    newest_version_tag,
    next_version,
    overall_bump,
    parse_commit,
)


@pytest.mark.parametrize(
    ("subject", "body", "bump"),
    [
        ("feat: add x", "", Bump.MINOR),
        ("feat(parser): add x", "", Bump.MINOR),
        ("fix: y", "", Bump.PATCH),
        ("perf(core): faster", "", Bump.PATCH),
        ("docs: words", "", Bump.NONE),
        ("chore: tidy", "", Bump.NONE),
        ("refactor!: drop py2", "", Bump.MAJOR),
        ("fix: y", "BREAKING CHANGE: the API changed", Bump.MAJOR),
        ("fix: y", "BREAKING-CHANGE: the API changed", Bump.MAJOR),
        ("chore(release): lib 1.2.0", "[skip ci]", Bump.NONE),
        ("Merge branch 'x'", "", Bump.NONE),
        ("feat:missing space", "", Bump.NONE),
    ],
)
def test_commit_bumps(subject, body, bump):
    assert overall_bump([parse_commit("abc", subject, body)]) is bump


def test_overall_bump_takes_the_largest():
    commits = [parse_commit("1", "fix: a"), parse_commit("2", "feat: b"), parse_commit("3", "docs: c")]
    assert overall_bump(commits) is Bump.MINOR
    assert overall_bump([]) is Bump.NONE


@pytest.mark.parametrize(
    ("last", "bump", "file_version", "expected"),
    [
        ("1.2.3", Bump.PATCH, None, "1.2.4"),
        ("1.2.3", Bump.MINOR, None, "1.3.0"),
        ("1.2.3", Bump.MAJOR, None, "2.0.0"),
        ("0.4.1", Bump.MAJOR, None, "0.5.0"),  # 0.x keeps breaking changes in the minor
        ("0.4.1", Bump.MINOR, None, "0.5.0"),
        ("1.2.3", Bump.NONE, None, None),
        (None, Bump.NONE, "0.3.0", "0.3.0"),  # first release: the version file's version
        (None, Bump.MINOR, "0.0.0", "0.1.0"),
        (None, Bump.NONE, None, "0.1.0"),
    ],
)
def test_next_version(last, bump, file_version, expected):
    assert next_version(last, bump, file_version) == expected


@pytest.mark.parametrize(
    ("last", "bump", "file_version", "taken", "expected"),
    [
        ("1.2.3", Bump.MINOR, None, [], "1.3.0-rc.1"),
        ("1.2.3", Bump.MINOR, None, ["1.3.0-rc.1", "1.3.0-rc.2", "1.3.0-beta.7"], "1.3.0-rc.3"),
        ("1.3.0-rc.2", Bump.PATCH, None, ["1.3.0-rc.1", "1.3.0-rc.2"], "1.3.0-rc.3"),  # same target
        ("1.3.0-rc.2", Bump.NONE, None, ["1.3.0-rc.2"], None),
        ("0.4.1", Bump.MAJOR, None, [], "0.5.0-rc.1"),
        (None, Bump.NONE, "2.0.0", [], "2.0.0-rc.1"),
    ],
)
def test_next_version_on_a_prerelease_channel(last, bump, file_version, taken, expected):
    assert next_version(last, bump, file_version, channel="rc", taken=taken) == expected


def test_newest_version_tag_by_semver_not_text():
    tags = ["v0.9.0", "v0.10.0", "v0.2.0", "nightly", "other-v9.0.0"]
    assert newest_version_tag(tags, "v{version}", "p") == ("v0.10.0", "0.10.0")
    assert newest_version_tag(["lib-v1.0.0", "app-v2.0.0"], "{product}-v{version}", "lib") == (
        "lib-v1.0.0",
        "1.0.0",
    )
    assert newest_version_tag([], "v{version}", "p") is None


PYPROJECT = """\
[project]
name = "lib"   # the distribution
version = "0.1.0"
dependencies = [
    "x>=1",
]

[tool.other]
version = "9.9.9"
"""

PACKAGE_JSON = """{
  "name": "@globex/widgets",
  "version": "0.3.0",
  "nested": {
    "version": "7.0.0"
  }
}
"""

CARGO = """[package]
name = "h"
version = "0.1.0"  # keep
edition = "2021"
"""


@pytest.mark.parametrize(
    ("name", "text"), [("pyproject.toml", PYPROJECT), ("package.json", PACKAGE_JSON), ("Cargo.toml", CARGO)]
)
def test_write_version_changes_only_the_version(name, text):
    out = write_version(name, text, "1.4.0")
    assert read_version(name, out) == "1.4.0"
    changed = [(a, b) for a, b in zip(text.splitlines(), out.splitlines(), strict=True) if a != b]
    assert len(changed) == 1, changed
    if name == "package.json":
        assert json.loads(out)["nested"]["version"] == "7.0.0"


def test_version_file_plain():
    assert read_version("VERSION", "2.1.0\n") == "2.1.0"
    assert write_version("VERSION", "2.1.0\n", "2.2.0") == "2.2.0\n"


def test_changelog_sections_grouped_with_short_shas():
    commits = [
        parse_commit("a" * 40, "feat(api): add thing"),
        parse_commit("b" * 40, "fix: broken thing"),
        parse_commit("c" * 40, "feat!: remove old thing"),
    ]
    section = render_changelog_section("2.0.0", "2026-11-24", commits)
    assert section.splitlines()[0] == "## 2.0.0 (2026-11-24)"
    assert "### BREAKING CHANGES\n\n- remove old thing (ccccccc)" in section
    assert "### Features\n\n- **api:** add thing (aaaaaaa)" in section
    assert "### Bug Fixes\n\n- broken thing (bbbbbbb)" in section
    first = insert_section(None, section)
    second = insert_section(first, render_changelog_section("2.0.1", "2026-11-25", [commits[1]]))
    assert second.index("## 2.0.1") < second.index("## 2.0.0")
    assert second.startswith("# Changelog")
