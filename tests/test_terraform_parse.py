"""The pure parse of what Terraform prints, on recorded output (``tests/cases/terraform/``): a saved
plan's JSON (``terraform show -json``, Terraform 1.15.5) and diagnostics."""

from __future__ import annotations

import json
from pathlib import Path

from codemonkeys.terraform.parse import (
    SENSITIVE,
    UNKNOWN_VALUE,
    first_diagnostic,
    is_stale_plan,
    summarize_plan,
)

CASES = Path(__file__).parent / "cases" / "terraform"


def test_summarize_a_plan_that_replaces_and_adds():
    doc = json.loads((CASES / "plan_replace.json").read_text())
    s = summarize_plan(doc, "c1")
    assert (s.adds, s.changes, s.destroys, s.replaces) == (1, 0, 0, 1)
    assert s.addresses == ("terraform_data.a", "terraform_data.b")
    assert s.outputs == {"o": UNKNOWN_VALUE, "s": SENSITIVE}  # the sensitive value never leaves
    assert "hidden" not in json.dumps(s.outputs)


def test_the_digest_names_what_the_plan_does_not_when_it_was_made():
    doc = json.loads((CASES / "plan_replace.json").read_text())
    again = {**doc, "timestamp": "2030-01-01T00:00:00Z"}
    assert summarize_plan(doc, "c1").digest == summarize_plan(again, "c1").digest
    assert summarize_plan(doc, "c1").digest != summarize_plan(doc, "c2").digest
    assert summarize_plan({}, "c1").pending == 0


def test_first_diagnostic_prefers_the_error_with_a_place():
    text = (CASES / "init_syntax_error.txt").read_text()
    assert first_diagnostic(text) == "broken.tf:2: Invalid expression"
    assert first_diagnostic("\nError: No configuration files\n\nApply requires configuration\n") == (
        "No configuration files"
    )
    assert first_diagnostic("") == "terraform failed without a message"
    assert is_stale_plan("Error: Saved plan is stale\n\nThe given plan file can no longer be applied")
