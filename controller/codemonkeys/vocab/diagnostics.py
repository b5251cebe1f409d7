"""Diagnostics as values (Terraform style): every expected problem is data, never an exception."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How bad a diagnostic is: an ``error`` makes the fleet invalid, a ``warning`` does not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at ``file:line:col`` (1-based), printed as ``FILE:LINE:COL: message``."""

    file: str
    line: int
    col: int
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"

    def to_json(self) -> dict:
        """The diagnostic as a plain dict (for ``--json`` output)."""
        return asdict(self)


class LoadError(Exception):
    """Raised by entry points that need a valid fleet; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))
