"""Names that moved between Python versions, imported from one place."""

try:
    from collections.abc import Mapping
except ImportError:  # very old Pythons
    from collections import Mapping

from shlex import quote

__all__ = ["Mapping", "quote"]
