"""Product vocabulary shared by every layer: languages, CI kinds, registry types, versioning schemes.

A leaf module: it imports nothing of the project. The fleet kinds (``kinds/models.py``) use these enums in
their fields; version files, observers and actuators branch on them.
"""

from __future__ import annotations

from enum import StrEnum


class CIKind(StrEnum):
    """Where builds run: `local` runs build.command in a clean checkout, `jenkins` runs a Jenkins job."""

    LOCAL = "local"
    JENKINS = "jenkins"


class Ecosystem(StrEnum):
    """Whose version ranges a manifest's requirement speaks: PEP 440 (`pypi`), npm's or Cargo's semver."""

    PYPI = "pypi"
    NPM = "npm"
    CARGO = "cargo"


class RegistryType(StrEnum):
    """The kind of package registry: a `file` directory, or a PyPI, npm, crates or OCI registry."""

    FILE = "file"
    PYPI = "pypi"
    NPM = "npm"
    CRATES = "crates"
    OCI = "oci"


class Language(StrEnum):
    """The product's language: it picks the default version file, registry layout and Jenkinsfile template."""

    PYTHON = "python"
    NODE = "node"
    RUST = "rust"
    GO = "go"
    JAVA = "java"
    OTHER = "other"


class Versioning(StrEnum):
    """How versions are chosen: `conventional` from conventional commits, `pinned` from release.version."""

    CONVENTIONAL = "conventional"
    PINNED = "pinned"


class BuildNetwork(StrEnum):
    """What a product's sandboxed build may reach: `none` (its own loopback only), `registries` (loopback
    and the fleet's registries; on bubblewrap this shares the host's network, see ``sandbox.py``), `all`."""

    NONE = "none"
    REGISTRIES = "registries"
    ALL = "all"


class UpdatePolicy(StrEnum):
    """How far a product follows its fleet dependencies' releases by itself (an ordered scale)."""

    NONE = "none"
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"
