"""Shell completion from small files (issue 32): the shipped command tree is the CLI's; the fast answers are
typer's own answers, byte for byte, for bash, zsh and fish; `approve` completes the held actions only,
and stops offering one once it is approved. Its speed is measured in benchmarks/completion.py."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from codemonkeys.cli.complete import TREE, fast_complete
from codemonkeys.cli.complete_tree import render_tree
from codemonkeys.cli.main import app
from codemonkeys.demo import Workspace
from conftest import cmctl
from test_e2e_policy import add_rules
from test_work_in_progress import HOLD_RULE

REQUESTS = [
    "cmctl ap",
    "cmctl plan -p ",
    "cmctl plan --pr",
    "cmctl plan --fleet {fleet} -p acme-t",
    "cmctl fleet ",
    "cmctl explain acme",
    "cmctl logs acme-text/",
    "cmctl swarm ",
    "cmctl status -o ",
    "cmctl ",
]


def _env(shell: str, line: str, fleet: Path) -> dict[str, str]:
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    return {
        "_CMCTL_COMPLETE": f"complete_{shell}",
        "COMP_WORDS": line,
        "COMP_CWORD": str(cword),
        "_TYPER_COMPLETE_ARGS": line,
        "_TYPER_COMPLETE_FISH_ACTION": "get-args",
        "CMCTL_FLEET": str(fleet),
    }


def _typer_answer(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """What typer's own completion prints for the request (the whole CLI, the fleet loaded)."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(SystemExit):
        app(args=[], prog_name="cmctl")
    return out.getvalue()


def test_the_shipped_tree_is_the_clis():
    assert TREE.read_text() == render_tree(app), (
        "cli/completion_tree.json is stale: regenerate it with "
        '`python -c "from codemonkeys.cli.complete_tree import write_tree; write_tree()"`'
    )


def test_fast_answers_are_typers_answers(workspace: Workspace, monkeypatch: pytest.MonkeyPatch):
    fleet = workspace.fleet
    assert fast_complete(_env("bash", "cmctl explain ", fleet)) is None  # no index yet: typer answers
    assert cmctl("status", "--fleet", str(fleet)).returncode == 0  # writes the index
    for shell in ("bash", "zsh", "fish"):
        for line in REQUESTS:
            env = _env(shell, line.format(fleet=fleet), fleet)
            fast = fast_complete(env)
            assert fast is not None and fast[1] == 0, (shell, line)
            assert fast[0] == _typer_answer(env, monkeypatch), (shell, line)
    said = fast_complete(_env("bash", "cmctl explain acme-t", fleet))
    assert said == ("acme-text\n", 0)


def test_approve_completes_the_held_actions_only(workspace: Workspace):
    fleet = workspace.fleet
    add_rules(workspace, HOLD_RULE)
    assert cmctl("plan", "--fleet", str(fleet)).returncode == 0
    env = {**os.environ, **_env("bash", "cmctl approve ", fleet)}
    launch = [sys.executable, "-c", "from codemonkeys.cli.launch import main; main()"]
    held = subprocess.run(launch, env=env, capture_output=True, text=True)
    assert held.returncode == 0 and held.stdout.split() == ["acme-text/release.cut"], held
    reject = {**env, **_env("bash", "cmctl reject acme-text/rel", fleet)}
    assert subprocess.run(launch, env=reject, capture_output=True, text=True).stdout.split() == [
        "acme-text/release.cut"
    ]
    r = cmctl("approve", "acme-text/release.cut", "--as", "owner", "--fleet", str(fleet))
    assert r.returncode == 0, r.stderr
    held = subprocess.run(launch, env=env, capture_output=True, text=True)
    assert held.returncode == 0 and held.stdout.split() == [], held.stdout
    logs = {**env, **_env("bash", "cmctl logs acme-text/b", fleet)}  # logs: the journal's ids and PRODUCT/
    assert subprocess.run(launch, env=logs, capture_output=True, text=True).stdout.split() == []
