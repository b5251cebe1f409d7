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


def test_cases_can_target_a_company_overlay_and_a_loosening_overlay_fails_to_load(tmp_path: Path):
    shipped = ROOT / "constitution" / "tests"
    results = run_file(shipped / "changes.yaml")
    assert results and all(r.passed for r in results), [r.detail for r in results if not r.passed]
    denied = {r.name: r.detail for r in results}["the globex overlay denies a dependency bump of globex"]
    assert denied.startswith("deny (globex-pins-by-hand)")
    without = tmp_path / "without.yaml"  # the same case without the overlay: the fleet allows it
    text = (shipped / "changes.yaml").read_text().replace("overlays: [overlays/globex.yaml]\n", "")
    without.write_text(
        text.replace(
            "constitution: changes.constitution.yaml", f"constitution: {shipped}/changes.constitution.yaml"
        )
    )
    assert {r.name: r.passed for r in run_file(without)}[
        "the globex overlay denies a dependency bump of globex"
    ] is False
    loose = tmp_path / "acme.yaml"
    loose.write_text(
        "apiVersion: codemonkeys.dev/v1\nkind: Constitution\nmetadata: {name: acme}\n"
        "spec:\n  default: allow\n  rules: []\n"
    )
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        f"constitution: {shipped / 'changes.constitution.yaml'}\noverlays: [acme.yaml]\n"
        "cases:\n  - {name: x, action: change.propose, product: x, expect: {verdict: allow}}\n"
    )
    (result,) = run_file(cases)
    assert not result.passed and result.name == "(load overlay acme.yaml)"
    assert "acme.yaml:5:" in result.detail and "only tighten" in result.detail
