"""Golden files: compare, or regenerate with ``CM_UPDATE_GOLDEN=1`` and fail.

A regenerating run asserts nothing, so it never passes: each test that wrote its golden file fails with
"regenerated" (review the diff of the files, then run again without the variable). Under CI=true the
variable is refused (``refuse_in_ci``, called by tests/conftest.py when the session starts, and again
here per test): CI compares, it never writes what it compares with.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from need import in_ci

VARIABLE = "CM_UPDATE_GOLDEN"


def updating() -> bool:
    """Whether this run regenerates golden files (``CM_UPDATE_GOLDEN=1``); refused under CI=true."""
    refuse_in_ci()
    return os.environ.get(VARIABLE) == "1"


def refuse_in_ci() -> None:
    """Under CI=true, a set ``CM_UPDATE_GOLDEN`` is a usage error (CI would compare files with themselves)."""
    if in_ci() and os.environ.get(VARIABLE):
        raise pytest.UsageError(
            f"{VARIABLE}={os.environ[VARIABLE]} under CI=true: CI compares with the golden files, it never "
            "regenerates them (unset it)"
        )


Parse = Callable[[str], Any]


def check(path: Path, actual: str, parse: Parse | None = None) -> None:
    """Assert that ``actual`` is the golden file ``path`` (as text, or as ``parse`` reads both: JSON as
    data). Under ``CM_UPDATE_GOLDEN=1``: write it, then fail with "regenerated"."""
    check_each([(path, actual, parse)])


def check_each(golden: list[tuple[Path, str, Parse | None]]) -> None:
    """``check`` for several golden files of one test: under ``CM_UPDATE_GOLDEN=1`` every one is written
    before the test fails with "regenerated" (naming which changed); otherwise each is compared."""
    if updating():
        said = []
        for path, actual, _ in golden:
            before = path.read_text() if path.exists() else None
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual)
            said.append(
                f"{path} ({'created' if before is None else 'unchanged' if before == actual else 'changed'})"
            )
        pytest.fail(
            f"regenerated {', '.join(said)}: review the diff, then run again without {VARIABLE}",
            pytrace=False,
        )
    for path, actual, parse in golden:
        _compare(path, actual, parse)


def _compare(path: Path, actual: str, parse: Parse | None) -> None:
    if not path.exists():
        pytest.fail(f"{path} is missing: run with {VARIABLE}=1 to create it, and review it", pytrace=False)
    expected = path.read_text()
    if parse is not None:
        got, want = parse(actual), parse(expected)
        if got == want:
            return
        actual, expected = (json.dumps(v, indent=1, sort_keys=True, default=str) + "\n" for v in (got, want))
    elif actual == expected:
        return
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True), actual.splitlines(keepends=True), str(path), "actual"
    )
    pytest.fail(f"{path} differs ({VARIABLE}=1 regenerates it):\n{''.join(diff)}", pytrace=False)
