"""`cmctl validate` and `cmctl schema export` through the real CLI: output and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import CASES, ROOT, cmctl


def test_validate_example_fleet_ok():
    r = cmctl("validate", "--fleet", str(ROOT / "fleet-repo-example"))
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout and "6 products" in r.stdout


def test_validate_reports_every_problem_and_exits_1(tmp_path: Path):
    fleet = tmp_path / "fleet"
    shutil.copytree(CASES / "loader" / "_base", fleet)
    (fleet / "products" / "bad.yaml").write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Product\nmetadata: {name: bad}\n"
        "spec:\n  source: {repo: x}\n  language: python\n  dependsOn: [nobody]\n  colour: red\n"
    )
    r = cmctl("validate", cwd=fleet)
    assert r.returncode == 1
    lines = [line for line in r.stderr.splitlines() if line.startswith("products/")]
    assert lines == [
        "products/bad.yaml:7:15: error: spec.dependsOn[0]: unknown product 'nobody'",
        "products/bad.yaml:8:3: error: spec.colour: unknown field 'colour'",
    ]
    j = cmctl("validate", "--json", env={"CMCTL_FLEET": str(fleet)})
    assert j.returncode == 1
    doc = json.loads(j.stdout)
    assert doc["valid"] is False
    assert [(d["line"], d["col"]) for d in doc["diagnostics"]] == [(7, 15), (8, 3)]


def test_fleet_defaults_to_env_then_cwd(tmp_path: Path):
    r = cmctl("validate", cwd=tmp_path, env={"CMCTL_FLEET": str(ROOT / "fleet-repo-example")})
    assert r.returncode == 0, r.stderr
    r = cmctl("validate", cwd=tmp_path)  # an empty directory is no fleet at all: said in one line
    assert r.returncode == 1
    assert "not a fleet repo: the current directory has no fleet.yaml" in r.stderr, r.stderr


def test_schema_export_writes_committed_schemas(tmp_path: Path):
    r = cmctl("schema", "export", str(tmp_path))
    assert r.returncode == 0, r.stderr
    for name in ("fleet.schema.json", "product.schema.json", "constitution.schema.json"):
        assert (tmp_path / name).read_text() == (ROOT / "schemas" / name).read_text()


def test_help_lists_commands():
    r = cmctl("--help")
    assert r.returncode == 0
    for command in ("validate", "plan", "apply", "status", "audit", "demo", "schema"):
        assert command in r.stdout
