"""The CLI's conventions (issue 32), through the real `cmctl` in subprocesses: "not a fleet repo", "did you
mean" for products, help without Python types, output piped never cut to 80 columns, NO_COLOR without any
style, `logs -f` as follow."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from codemonkeys.demo import Workspace
from conftest import cmctl

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_a_directory_that_is_no_fleet_says_so(tmp_path: Path):
    for command in (["status"], ["plan"], ["validate"]):
        r = cmctl(*command, cwd=tmp_path)
        assert r.returncode == 1, command
        assert "not a fleet repo: the current directory has no fleet.yaml" in r.stderr, r.stderr
        assert "missing: a fleet repo needs" not in r.stderr  # not two derived errors


def test_an_unknown_product_gets_the_nearest_names(workspace: Workspace):
    fleet = str(workspace.fleet)
    r = cmctl("plan", "-p", "acme-txt", "--fleet", fleet)
    assert r.returncode == 1
    assert "unknown product(s): acme-txt (did you mean acme-text" in r.stderr, r.stderr
    r = cmctl("audit", "--product", "acme-txt", "--fleet", fleet)
    assert r.returncode == 1 and "did you mean acme-text" in r.stderr, r.stdout + r.stderr
    r = cmctl("plan", "-p", "zzz", "--fleet", fleet)
    assert r.returncode == 1 and "unknown product(s): zzz" in r.stderr and "did you mean" not in r.stderr


def test_help_shows_value_names_not_python_types():
    r = cmctl("plan", "--help", env={"COLUMNS": "120"})
    assert r.returncode == 0
    assert "<bool>" not in r.stdout and "<path>" not in r.stdout and "list[str]" not in r.stdout
    assert re.search(r"--fleet\s+-f\s+PATH", r.stdout), r.stdout
    assert re.search(r"--product\s+-p\s+TEXT\.\.\.", r.stdout), r.stdout


def test_piped_tables_are_not_cut_and_no_color_means_no_style(workspace: Workspace):
    r = cmctl("fleet", "ls", "--fleet", str(workspace.fleet), env={"COLUMNS": "40", "NO_COLOR": "1"})
    assert r.returncode == 0, r.stderr
    assert "globex-widgets" in r.stdout and "…" not in r.stdout  # piped: as wide as the content
    assert not ANSI.search(r.stdout + r.stderr)


def test_logs_dash_f_is_follow_and_the_fleet_is_spelled_out(workspace: Workspace):
    r = cmctl("logs", "--help", env={"COLUMNS": "120"})
    assert re.search(r"--follow\s+-f", r.stdout), r.stdout
    r = cmctl("logs", "-f", "acme-text/build.run", "--fleet", str(workspace.fleet))
    # parsed as follow (not as a fleet path): the action has no journal entry yet, and says so
    assert r.returncode == 1 and "acme-text/build.run" in r.stderr, r.stderr


def test_read_commands_take_kubectl_output_formats(workspace: Workspace, tmp_path: Path):
    fleet = str(workspace.fleet)
    names = cmctl("fleet", "ls", "-o", "name", "--fleet", fleet)
    assert names.returncode == 0, names.stderr
    assert names.stdout.split() == sorted(
        ["acme-cli", "acme-report", "acme-text", "globex-hash", "globex-widgets"]
    )
    as_yaml = cmctl("status", "-o", "yaml", "--fleet", fleet)
    as_json = cmctl("status", "--json", "--fleet", fleet)
    assert as_yaml.returncode == 0 and as_json.returncode == 0
    assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout)  # the same document
    plan_names = cmctl("plan", "-o", "name", "-p", "globex-hash", "--fleet", fleet)
    assert plan_names.returncode == 0, plan_names.stderr
    assert "globex-hash/build.run" in plan_names.stdout.split()
    bad = cmctl("status", "-o", "xml", "--fleet", fleet)
    assert bad.returncode == 1 and "unknown output format 'xml'" in bad.stderr
    # a saved plan is --out FILE; the old -o FILE still writes it, with a warning
    old = cmctl("plan", "-o", str(tmp_path / "p.json"), "-p", "globex-hash", "--fleet", fleet)
    assert old.returncode == 0 and "-o FILE is deprecated: use --out" in old.stderr
    assert json.loads((tmp_path / "p.json").read_text())["format"] == "codemonkeys.plan/v1"


def test_the_demo_fleets_policy_tests_run_from_the_fleet(workspace: Workspace):
    for args in (["policy", "test"], ["policy", "test", "policy-tests/"]):
        r = cmctl(*args, cwd=workspace.fleet)
        assert r.returncode == 0 and "4/4 passed" in r.stdout, r.stdout + r.stderr
    r = cmctl("policy", "test", "products/", cwd=workspace.fleet)
    assert r.returncode == 1 and "the demo fleet's: policy-tests/" in r.stderr


def test_one_yaml_syntax_error_is_one_problem(workspace: Workspace):
    broken = workspace.fleet / "products" / "acme" / "acme-text.yaml"
    broken.write_text(broken.read_text() + "spec:\n  build: [\n")
    r = cmctl("validate", "--fleet", str(workspace.fleet))
    assert r.returncode == 1
    assert "acme-text.yaml" in r.stderr and "YAML syntax error" in r.stderr, r.stderr
    assert "unknown product 'acme-text'" not in r.stderr  # acme-report depends on it: not a second error
    assert "1 problem" in r.stderr


def test_a_hold_is_explained_once_in_the_plan(workspace: Workspace):
    from test_e2e_policy import add_rules
    from test_work_in_progress import HOLD_RULE

    add_rules(workspace, HOLD_RULE)
    r = cmctl("plan", "-p", "acme-text", "--fleet", str(workspace.fleet))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("cmctl approve acme-text/release.cut") == 1, r.stdout
    assert re.search(r"release\s+held\s+0\.1\.0 -> 0\.2\.0\n", r.stdout), r.stdout


def test_a_mistyped_action_or_reference_gets_the_nearest_name(workspace: Workspace):
    fleet = str(workspace.fleet)
    r = cmctl("policy", "explain", "acme-text/relase.cut", "--fleet", fleet)
    assert r.returncode == 1 and "(did you mean acme-text/release.cut?)" in r.stderr, r.stderr
    r = cmctl("logs", "acme-text/build.rn", "--fleet", fleet)  # nothing journaled yet: nothing to offer
    assert r.returncode == 1 and "did you mean" not in r.stderr
    report = workspace.fleet / "products" / "acme" / "acme-report.yaml"
    report.write_text(report.read_text().replace("dependsOn: [acme-text]", "dependsOn: [acme-txt]"))
    r = cmctl("validate", "--fleet", fleet)
    assert r.returncode == 1 and "unknown product 'acme-txt' (did you mean acme-text?)" in r.stderr, r.stderr
