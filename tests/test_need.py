"""tests/need.py: a missing test dependency skips on a developer's machine and fails under CI=true."""

from __future__ import annotations

import json

import pytest

from need import need_module, need_program

ABSENT = "codemonkeys_no_such_module_for_tests"


@pytest.mark.parametrize("ci", ["true", "TRUE"])
def test_missing_dependencies_fail_under_ci(monkeypatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI=true") as failed:
        need_module(ABSENT, "pip install it")
    assert ABSENT in str(failed.value) and "pip install it" in str(failed.value)
    with pytest.raises(pytest.fail.Exception, match="apt-get install it"):
        need_program("codemonkeys-no-such-program", "apt-get install it")


@pytest.mark.parametrize("ci", [None, "false", ""])
def test_missing_dependencies_skip_outside_ci(monkeypatch, ci: str | None) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="pip install it"):
        need_module(ABSENT, "pip install it")
    with pytest.raises(pytest.skip.Exception, match="apt-get install it"):
        need_program("codemonkeys-no-such-program", "apt-get install it")


def test_present_dependencies_are_returned(monkeypatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert need_module("json", "stdlib") is json
    assert need_program("git", "apt-get install git").endswith("/git")
