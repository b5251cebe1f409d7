"""`cmctl policy test` files: a malformed case fails alone, with what is wrong; the others still run."""

from __future__ import annotations

from pathlib import Path

from codemonkeys.policy.testing import run_file

ROOT = Path(__file__).resolve().parents[1]


def test_a_malformed_case_fails_alone(tmp_path: Path):
    f = tmp_path / "cases.yaml"
    f.write_text(
        f"constitution: {ROOT / 'constitution' / 'default.yaml'}\n"
        "cases:\n"
        "  - {name: no expectation, action: build.run, product: x}\n"
        "  - {name: bad fact, action: build.run, facts: {build.green: maybe}, expect: {verdict: allow}}\n"
        "  - {name: fine, action: build.run, product: x, expect: {verdict: allow}}\n"
    )
    results = {r.name: r for r in run_file(f)}
    assert [r.passed for r in results.values()] == [False, False, True]
    assert results["no expectation"].detail == "malformed case: missing key 'expect'"
    assert "maybe" in results["bad fact"].detail
    assert results["fine"].detail.startswith("allow (allow-pipeline)")


def test_a_file_without_a_constitution_is_one_failure(tmp_path: Path):
    f = tmp_path / "cases.yaml"
    f.write_text("cases:\n  - {name: x, action: build.run, expect: {verdict: allow}}\n")
    (result,) = run_file(f)
    assert not result.passed and "constitution" in result.detail
