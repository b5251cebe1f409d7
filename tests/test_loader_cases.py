"""Loader error cases as data: tests/cases/loader/*.yaml = files over a base fleet + exact diagnostics."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from codemonkeys.load import load_fleet

CASES = Path(__file__).parent / "cases" / "loader"


def _cases():
    return sorted(p for p in CASES.glob("*.yaml"))


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.stem)
def test_loader_case(case: Path, tmp_path: Path, monkeypatch):
    spec = yaml.safe_load(case.read_text())
    fleet = tmp_path / "fleet"
    shutil.copytree(CASES / "_base", fleet)
    for rel, content in spec["files"].items():
        target = fleet / rel
        if content is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
    monkeypatch.chdir(fleet)
    state, diags = load_fleet(Path("."))
    assert [str(d) for d in diags] == spec["expected"], spec["description"]
    assert (state is None) == bool(spec["expected"])


def test_all_problems_reported_in_one_run(tmp_path: Path, monkeypatch):
    """Every case's problems at once: each file keeps its own diagnostics (nothing stops at the first)."""
    fleet = tmp_path / "fleet"
    shutil.copytree(CASES / "_base", fleet)
    expected: list[str] = []
    for i, name in enumerate(["fields", "references", "envelope"]):
        spec = yaml.safe_load((CASES / f"{name}.yaml").read_text())
        for rel, content in spec["files"].items():
            new = rel.replace("products/", f"products/case{i}/")
            (fleet / new).parent.mkdir(parents=True, exist_ok=True)
            (fleet / new).write_text(content)
            expected += [e.replace(rel, new, 1) for e in spec["expected"] if e.startswith(rel + ":")]
    monkeypatch.chdir(fleet)
    _, diags = load_fleet(Path("."))
    assert sorted(str(d) for d in diags) == sorted(expected)
