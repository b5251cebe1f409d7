"""Test dependencies that may be missing on a developer's machine: skip there, fail under CI=true.

CI must have installed everything (``pip install -e '.[test]'``, scripts/install-test-servers), so under
``CI=true`` a missing module or program is an error of the CI setup and fails the test (or, called at
module level, the collection of its module) instead of silently skipping it. Each call names a hint:
how to install what is missing.

``in_ci`` is the one definition of "in CI" (``.ci/run`` exports ``CI=true``). The pytest hooks at the end
(``pytest_sessionstart``, ``pytest_terminal_summary``; tests/conftest.py uses them, and ``-p need`` loads
them elsewhere) make a CI run in which anything was skipped fail, listing what was skipped and why: a skip
from anywhere (a ``skipif``, a fixture, a module-level skip), on pytest-xdist's workers too (their
reports reach the controller process, which decides the exit code).
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType
from typing import NoReturn

import pytest

SESSION = pytest.StashKey[pytest.Session]()


def in_ci() -> bool:
    """Whether this is a CI run: ``CI=true`` (any case, blanks around it ignored), as ``.ci/run`` sets it."""
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


# --- a CI run skips nothing ----------------------------------------------------------------------------


def skip_lines(reports: list) -> list[str]:
    """``NODEID: reason`` for each skipped test or collection report, in the order they came."""
    lines = []
    for report in reports:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        lines.append(f"{report.nodeid or report.fspath}: {reason.removeprefix('Skipped: ')}")
    return lines


def pytest_sessionstart(session: pytest.Session) -> None:
    """Keep the session: the summary hook sets its exit status."""
    session.config.stash[SESSION] = session


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Under CI=true, a run in which anything was skipped fails (exit status 1) and says what was skipped.
    Runs in the controller process only (an xdist worker's reports are the controller's stats too)."""
    if not in_ci() or hasattr(config, "workerinput"):
        return
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    lines = skip_lines(skipped)
    terminalreporter.section("CI=true: skipped tests fail the run", sep="=", red=True, bold=True)
    for line in lines:
        terminalreporter.write_line(f"SKIPPED {line}", red=True)
    terminalreporter.write_line(
        f"{len(lines)} skipped under CI=true: CI must run every test (install what they need, "
        "or remove the skip)",
        red=True,
        bold=True,
    )
    session = config.stash.get(SESSION, None)
    if session is not None and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
