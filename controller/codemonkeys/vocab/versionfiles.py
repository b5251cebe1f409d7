"""Version files: find, read and rewrite the version of a product, preserving formatting.

Shared by the git observer (read at a commit) and the release actuator (bump in a worktree).
pyproject.toml (``[project] version``), package.json (``"version"``), Cargo.toml (``[package] version``)
and a plain ``VERSION`` file are understood.
"""

from __future__ import annotations

import json
import re
import tomllib

import tomlkit

from codemonkeys.vocab.enums import Language

DEFAULT_FILES = {
    Language.PYTHON: "pyproject.toml",
    Language.NODE: "package.json",
    Language.RUST: "Cargo.toml",
}


def version_file_for(language: Language, explicit: str | None) -> str:
    """The version file: ``explicit`` if given, else the language's default, else ``VERSION``."""
    return explicit or DEFAULT_FILES.get(language, "VERSION")


def read_version(filename: str, text: str) -> str | None:
    """The version in a version file's text, or None if it has none (or cannot be parsed)."""
    base = filename.rsplit("/", 1)[-1]
    try:
        if base == "pyproject.toml":
            return tomllib.loads(text).get("project", {}).get("version")
        if base == "Cargo.toml":
            return tomllib.loads(text).get("package", {}).get("version")
        if base == "package.json":
            return json.loads(text).get("version")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, AttributeError):
        return None
    return text.strip() or None


_JSON_VERSION = re.compile(r'^(\s*"version"\s*:\s*")([^"]*)(")', re.M)


def write_version(filename: str, text: str, version: str) -> str:
    """``text`` with its version replaced by ``version``; everything else byte for byte the same."""
    base = filename.rsplit("/", 1)[-1]
    if base in ("pyproject.toml", "Cargo.toml"):
        doc = tomlkit.parse(text)
        table = doc["project" if base == "pyproject.toml" else "package"]
        table["version"] = version  # type: ignore[index]
        return tomlkit.dumps(doc)
    if base == "package.json":
        data = json.loads(text)
        # Replace only the top-level "version" (the first one at the smallest indent), keep layout.
        matches = list(_JSON_VERSION.finditer(text))
        if not matches:
            raise ValueError("package.json has no version field")
        top = min(matches, key=lambda m: len(m.group(1)) - len(m.group(1).lstrip()))
        out = text[: top.start(2)] + version + text[top.end(2) :]
        if json.loads(out).get("version") != version or data.get("version") != top.group(2):
            raise ValueError("could not locate the top-level version in package.json")
        return out
    return version + "\n"
