"""Product selectors (`cmctl fleet ls --select`): golden cases as data in tests/cases/select/cases.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from codemonkeys.vocab.selectors import ProductRef, SelectorError, select

DOC = yaml.safe_load((Path(__file__).parent / "cases" / "select" / "cases.yaml").read_text())
PRODUCTS = {
    name: ProductRef(
        name, p.get("company"), p.get("labels", {}), p.get("language"), tuple(p.get("dependsOn", []))
    )
    for name, p in DOC["products"].items()
}


@pytest.mark.parametrize("case", DOC["cases"], ids=lambda c: " | ".join(c["select"]) or "(none)")
def test_selector_golden_case(case: dict):
    if "error" in case:
        with pytest.raises(SelectorError) as exc:
            select(PRODUCTS, case["select"])
        assert str(exc.value).startswith(case["error"])
    else:
        assert select(PRODUCTS, case["select"]) == case["want"]
