"""A package's public names imported on first use (PEP 562 module ``__getattr__``), so importing the
package costs nothing its caller does not use (an extra's library, tree-sitter)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: ``exports`` maps each public name to the module it comes from;
    a name is imported when first asked for and kept in ``namespace`` (the package's ``globals()``)."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # through the import statement's machinery (not importlib's): ``-X importtime`` sees it
        value = getattr(__import__(module, fromlist=[name]), name)
        namespace[name] = value
        return value

    return __getattr__
