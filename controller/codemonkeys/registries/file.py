"""File registry: a directory laid out like the real registries, so standard tools can read it.

Layout per ecosystem (chosen by the product's language)::

    python  simple/<normalized-name>/<wheel and sdist>  + index.html files (PEP 503: pip --index-url file://...)
    node    npm/<name>/-/<scope>-<name>-<version>.tgz     (as `npm pack` names them)
    rust    crates/<name>/<name>-<version>.crate
    other   generic/<name>/<version>/<files>

The actuator writes this layout (facets/release/publish_file.py); this module reads it: ``list_files`` is the
fetch, ``parse_versions`` the pure parse.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from codemonkeys.kinds.models import Language
from codemonkeys.vocab.facts import RegistryFacts


def ecosystem(language: Language) -> str:
    """The layout a language publishes in: ``python``, ``node``, ``rust``, else ``generic``."""
    return {Language.PYTHON: "python", Language.NODE: "node", Language.RUST: "rust"}.get(language, "generic")


def package_dir(root: Path, language: Language, package: str) -> Path:
    """The directory under ``root`` that holds ``package``'s files (see the module docstring)."""
    eco = ecosystem(language)
    if eco == "python":
        return root / "simple" / canonicalize_name(package)
    if eco == "node":
        return root / "npm" / package / "-"
    if eco == "rust":
        return root / "crates" / package
    return root / "generic" / package


def npm_tarball_base(package: str) -> str:
    """`npm pack` file names: @globex/widgets -> globex-widgets-1.0.0.tgz."""
    return package.removeprefix("@").replace("/", "-")


def list_files(root: Path, language: Language, package: str) -> list[str]:
    """Names of the entries in ``package``'s directory, sorted ([] if it does not exist)."""
    d = package_dir(root, language, package)
    if not d.is_dir():
        return []
    return sorted(p.name for p in d.iterdir())


def parse_versions(files: list[str], language: Language, package: str) -> RegistryFacts:
    """Pure: file names in a package directory -> the versions present."""
    eco = ecosystem(language)
    versions: set[str] = set()
    for name in files:
        if eco == "python":
            try:
                if name.endswith(".whl"):
                    versions.add(str(parse_wheel_filename(name)[1]))
                elif name.endswith((".tar.gz", ".zip")):
                    versions.add(str(parse_sdist_filename(name)[1]))
            except (InvalidWheelFilename, InvalidSdistFilename):
                continue
        elif eco == "node":
            m = re.fullmatch(re.escape(npm_tarball_base(package)) + r"-(.+)\.tgz", name)
            if m:
                versions.add(m[1])
        elif eco == "rust":
            m = re.fullmatch(re.escape(package) + r"-(.+)\.crate", name)
            if m:
                versions.add(m[1])
        else:
            versions.add(name)
    return RegistryFacts(versions=sorted(versions))


def observe_file_registry(root: Path, language: Language, package: str) -> RegistryFacts:
    """The versions of ``package`` in the file registry at ``root``."""
    return parse_versions(list_files(root, language, package), language, package)
