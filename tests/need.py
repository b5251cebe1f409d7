"""Test dependencies that may be missing on a developer's machine: skip there, fail under CI=true.

CI must have installed everything (``pip install -e '.[test]'``, scripts/install-test-servers), so under
``CI=true`` a missing module or program is an error of the CI setup and fails the test (or, called at
module level, the collection of its module) instead of silently skipping it. Each call names a hint:
how to install what is missing.
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def missing(what: str, hint: str) -> NoReturn:
    """Skip (or fail under CI=true) because ``what`` is missing; works in a test and at module level."""
    message = f"{what}; {hint}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing test dependency fails, it is not skipped)", pytrace=False)
    pytest.skip(message, allow_module_level=True)


def need_module(name: str, hint: str) -> ModuleType:
    """Import ``name`` or skip / fail with ``hint``."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing(f"Python module {name!r} cannot be imported ({exc})", hint)


def need_program(name: str, hint: str) -> str:
    """The path of the program ``name`` on PATH, or skip / fail with ``hint``."""
    path = shutil.which(name)
    if path is None:
        missing(f"program {name!r} is not on PATH", hint)
    return path
