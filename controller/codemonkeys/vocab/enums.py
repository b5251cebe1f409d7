"""Product vocabulary shared by every layer: languages, CI kinds, registry types, versioning schemes.

A leaf module: it imports nothing of the project. The fleet kinds (``kinds/models.py``) use these enums in
their fields; version files, observers and actuators branch on them.
"""

from __future__ import annotations

from enum import StrEnum


class CIKind(StrEnum):
    LOCAL = "local"
    JENKINS = "jenkins"


class RegistryType(StrEnum):
    FILE = "file"
    PYPI = "pypi"
    NPM = "npm"
    CRATES = "crates"
    OCI = "oci"


class Language(StrEnum):
    PYTHON = "python"
    NODE = "node"
    RUST = "rust"
    GO = "go"
    JAVA = "java"
    OTHER = "other"


class Versioning(StrEnum):
    CONVENTIONAL = "conventional"
    PINNED = "pinned"
