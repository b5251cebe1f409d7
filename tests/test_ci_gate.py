"""A green CI run means something (issue 37): under CI=true a run in which anything was skipped fails and
lists what was skipped (also with pytest-xdist, where the workers' reports reach the controller), and
``CM_UPDATE_GOLDEN`` is refused; a regenerating run writes the golden files and fails with "regenerated".

The skip gate is run as it runs in CI: a real pytest in a subprocess, over a throwaway test folder,
loading ``tests/need.py`` as a plugin (``-p need``: the hooks tests/conftest.py uses).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import golden
from conftest import ROOT

TESTS = Path(__file__).resolve().parent

PASSING = "def test_passes():\n    assert 1 + 1 == 2\n"
SKIPPING = (
    "import pytest\n\n"
    "def test_passes():\n    assert True is not False\n\n"
    "def test_skips_itself():\n    pytest.skip('no widget here')\n\n"
    "@pytest.mark.skipif(True, reason='not on this machine')\n"
    "def test_skipped_by_marker():\n    pass\n"
)
MODULE_SKIP = "import pytest\n\npytest.skip('the whole module needs a gadget', allow_module_level=True)\n"
FAILING = "def test_fails():\n    assert 1 == 2\n"


def run_pytest(
    folder: Path, files: dict[str, str], *args: str, ci: str | None
) -> subprocess.CompletedProcess:
    """A real pytest over ``files`` (written to ``folder``) with the gate loaded, CI set to ``ci``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CI", "CM_UPDATE"))}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    if ci is not None:
        env["CI"] = ci
    argv = [sys.executable, "-m", "pytest", "-p", "need", "-p", "no:cacheprovider", "-q", *args, str(folder)]
    return subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("workers", [None, "2"], ids=["in-process", "xdist"])
def test_a_ci_run_with_skips_fails_listing_them(tmp_path: Path, workers: str | None) -> None:
    files = {"test_some.py": SKIPPING, "test_gadget.py": MODULE_SKIP}
    extra = ("-n", workers) if workers else ()
    done = run_pytest(tmp_path / "suite", files, *extra, ci="true")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "CI=true: skipped tests fail the run" in out, out
    assert "SKIPPED test_some.py::test_skips_itself: no widget here" in out, out
    assert "SKIPPED test_some.py::test_skipped_by_marker: not on this machine" in out, out
    assert "SKIPPED test_gadget.py: the whole module needs a gadget" in out, out
    assert "3 skipped under CI=true" in out, out
    assert "1 passed, 3 skipped" in out, out


@pytest.mark.parametrize("ci", [None, "false", ""])
def test_skips_pass_outside_ci(tmp_path: Path, ci: str | None) -> None:
    done = run_pytest(tmp_path / "suite", {"test_some.py": SKIPPING}, ci=ci)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 2 skipped" in done.stdout and "skipped tests fail" not in done.stdout


@pytest.mark.parametrize("ci", ["true", "TRUE", " True "])
def test_a_ci_run_without_skips_passes(tmp_path: Path, ci: str) -> None:
    done = run_pytest(tmp_path / "suite", {"test_fine.py": PASSING}, ci=ci)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skipped tests fail" not in done.stdout


def test_a_failing_ci_run_with_skips_keeps_its_failure(tmp_path: Path) -> None:
    files = {"test_some.py": SKIPPING, "test_bad.py": FAILING}
    done = run_pytest(tmp_path / "suite", files, ci="true")
    assert done.returncode == 1 and "1 failed, 1 passed, 2 skipped" in done.stdout, done.stdout
    assert "2 skipped under CI=true" in done.stdout


def test_a_ci_run_that_collects_nothing_fails(tmp_path: Path) -> None:
    """.ci/run no longer turns pytest's exit code 5 into success: it is pytest's verdict, passed on."""
    done = run_pytest(tmp_path / "suite", {"test_nothing.py": "X = 1\n"}, ci="true")
    assert done.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, done.stdout
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert "export CI=true" in ci_run and "exec ./scripts/test" in ci_run
    assert "-eq 5" not in ci_run and "rc=0" not in ci_run


def test_ci_refuses_golden_regeneration_before_running_anything() -> None:
    """The real tests/conftest.py: ``CM_UPDATE_GOLDEN`` under CI=true is a usage error (exit 4)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env |= {"CI": "true", "CM_UPDATE_GOLDEN": "1"}
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--co", "tests/test_cli_graph.py"]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert "CM_UPDATE_GOLDEN=1 under CI=true" in done.stderr, done.stderr
    assert "never regenerates them" in done.stderr


def test_golden_check_compares_or_regenerates_and_fails(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "case.txt"
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(golden.VARIABLE, raising=False)
    with pytest.raises(pytest.fail.Exception, match=r"case\.txt is missing: run with CM_UPDATE_GOLDEN=1"):
        golden.check(path, "a\n")

    monkeypatch.setenv(golden.VARIABLE, "1")
    with pytest.raises(pytest.fail.Exception, match=r"^regenerated .*case\.txt \(created\): review the diff"):
        golden.check(path, "a\n")
    assert path.read_text() == "a\n"
    with pytest.raises(pytest.fail.Exception, match=r"case\.txt \(unchanged\)"):  # never a pass
        golden.check(path, "a\n")
    json_path = tmp_path / "case.json"
    json_path.write_text('{"x": 1}')
    with pytest.raises(pytest.fail.Exception, match=r"case\.txt \(changed\), .*case\.json \(changed\)"):
        golden.check_each([(path, "b\n", None), (json_path, '{"x": 2}', None)])
    assert (path.read_text(), json_path.read_text()) == ("b\n", '{"x": 2}')  # every file written

    monkeypatch.delenv(golden.VARIABLE)
    golden.check(path, "b\n")
    golden.check(json_path, '{ "x" : 2 }', json.loads)  # JSON compared as data
    with pytest.raises(pytest.fail.Exception, match=r"(?s)case\.txt differs .*-b\n\+c"):
        golden.check(path, "c\n")
    with pytest.raises(pytest.fail.Exception, match=r'(?s)case\.json differs .*- "x": 2\n\+ "x": 3'):
        golden.check(json_path, '{"x": 3}', json.loads)

    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv(golden.VARIABLE, "1")
    with pytest.raises(pytest.UsageError, match="CM_UPDATE_GOLDEN=1 under CI=true"):
        golden.check(path, "c\n")
    assert path.read_text() == "b\n"  # nothing written
