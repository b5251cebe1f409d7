"""Flaky vs broken, with real pytest builds on the local runner: a red build whose failures are all
test failures is built once more before it counts (``build.confirmRed``, default 1). A test that fails
every other run makes the build green and is recorded as flaky (``cmctl swarm flaky``); a test that
always fails is red after its re-run; an import error is red at once, without a re-run; so is any red
build with ``confirmRed: 0``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.repos import run as git
from conftest import cmctl

pytestmark = pytest.mark.slow

COUNT = (
    "import os\nimport pathlib\n\n\n"
    "def runs(name):\n"
    "    counter = pathlib.Path(os.environ['FLAKY_STATE']) / name\n"
    "    n = int(counter.read_text()) + 1 if counter.exists() else 1\n"
    "    counter.write_text(str(n))\n"
    "    return n\n"
)
TESTS = {
    "wobbly": "from counter import runs\n\n\ndef test_sometimes():\n    assert runs('wobbly') % 2 == 0\n",
    "strict": "from counter import runs\n\n\ndef test_sometimes():\n    assert runs('strict') % 2 == 0\n",
    "broken": "from counter import runs\n\n\ndef test_always():\n    runs('broken')\n    assert 1 + 1 == 3\n",
    "unimportable": (
        "from counter import runs\n\nruns('unimportable')\nfrom nowhere import thing  # noqa\n\n\n"
        "def test_never_runs():\n    assert thing\n"
    ),
}


def make_fleet(tmp: Path) -> Path:
    fleet = tmp / "fleet"
    (fleet / "products").mkdir(parents=True)
    (fleet / "fleet.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Fleet\nmetadata: {name: flaky}\nspec: {}\n"
    )
    (fleet / "constitution.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: c}\n"
        "spec: {default: deny, rules: [{id: builds, match: {actions: ['build.*']}}]}\n"
    )
    for name, test in TESTS.items():
        repo = tmp / "repos" / name
        (repo / "tests").mkdir(parents=True)
        (repo / "counter.py").write_text(COUNT)
        (repo / "conftest.py").write_text("")
        (repo / "tests" / "test_it.py").write_text(test)
        git(["init", "-q", "-b", "main"], repo)
        git(["add", "-A"], repo)
        git(["-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-qm", "feat: it"], repo)
        (fleet / "products" / f"{name}.yaml").write_text(
            "apiVersion: codemonkeys.dev/v1\nkind: Product\n"
            f"metadata: {{name: {name}}}\nspec:\n  source: {{repo: ../repos/{name}}}\n  language: python\n"
            "  build: {command: [python, -m, pytest, -q, -p, no:cacheprovider]"
            + (", confirmRed: 0}\n" if name == "strict" else "}\n")
        )
    return fleet


def test_a_test_failing_every_other_run_is_flaky_not_red(tmp_path: Path):
    fleet = make_fleet(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    base = Context.from_environ()
    # the counters live outside the worktree, which a sandboxed build cannot write: as before the sandbox
    context = replace(base, env={**base.env, "FLAKY_STATE": str(state)}, unsandboxed=True)
    fs = FleetSession.open(fleet, context)
    report = fs.apply(fs.plan(), parallelism=1, retries=1, retry_wait=0).report
    outcome = {o.action.id: o for o in report.outcomes.values()}

    runs = {name: int((state / name).read_text()) for name in TESTS}
    # a re-run only for test failures, and not with confirmRed: 0
    assert runs == {"wobbly": 2, "strict": 1, "broken": 2, "unimportable": 1}
    assert str(outcome["wobbly/build.run"].status) == "succeeded"
    assert "flaky: passed on a re-run" in outcome["wobbly/build.run"].message
    assert str(outcome["broken/build.run"].status) == "failed"
    assert str(outcome["unimportable/build.run"].status) == "failed"
    facets = {n: p.facets["build"].observed for n, p in fs.plan().products.items()}
    assert facets == {"wobbly": "green", "strict": "red", "broken": "red", "unimportable": "red"}

    (flaky,) = fs.flaky()
    assert flaky["product"] == "wobbly" and flaky["flaked"] == 1
    assert "test_sometimes" in flaky["summary"] and flaky["kind"] == "pytest_failure"
    listed = cmctl("swarm", "flaky", "--json", "--fleet", str(fleet))
    assert listed.returncode == 0, listed.stderr
    assert [(r["product"], r["flaked"]) for r in json.loads(listed.stdout)] == [("wobbly", 1)]
    logs = fs.logs("wobbly/build.run")
    assert "re-run 1 of" in logs["log"]
