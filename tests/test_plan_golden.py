"""Golden plan cases as data: tests/cases/plan/*.yaml = desired + observed -> expected actions, waves, facets.

The planner is pure, so each case is: build the inputs from data, call ``plan``, compare data.
Keys an expected action leaves out (reason, rule, message, advisory) are not compared.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from codemonkeys.kinds.models import Constitution, Product, Rule
from codemonkeys.kinds.overlays import scoped
from codemonkeys.plan.planner import DesiredView, plan
from codemonkeys.policy import Gate
from codemonkeys.vocab.facts import ProductFacts

CASES = Path(__file__).parent / "cases" / "plan"
DEFAULTS = yaml.safe_load((CASES / "_defaults.yaml").read_text())
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def load_case(path: Path):
    case = {**DEFAULTS, **yaml.safe_load(path.read_text())}
    products = {
        doc["metadata"]["name"]: Product.model_validate(
            {"apiVersion": "codemonkeys.dev/v1", "kind": "Product", **doc}
        )
        for doc in case["products"]
    }
    constitution = Constitution.model_validate(
        {
            "apiVersion": "codemonkeys.dev/v1",
            "kind": "Constitution",
            "metadata": {"name": "c"},
            "spec": case["constitution"],
        }
    )
    observed = {name: ProductFacts.model_validate(f) for name, f in case["observed"].items()}
    desired = DesiredView(
        root="/fleet", revision="rev1", digest="d1", products=products, ci=case.get("ci", {})
    )
    overlays = [  # `overlays: {company: [rules]}`: constitution.d/<company>.yaml, scoped to the company
        rule
        for company, rules in (case.get("overlays") or {}).items()
        for rule in scoped([Rule.model_validate(r) for r in rules], company)
    ]
    return case, desired, observed, Gate(constitution, overlays=overlays)


@pytest.mark.parametrize(
    "path", sorted(p for p in CASES.glob("*.yaml") if not p.name.startswith("_")), ids=lambda p: p.stem
)
def test_golden_plan(path: Path):
    case, desired, observed, gate = load_case(path)
    result = plan(desired, observed, gate, NOW, only=case.get("only"))
    got = []
    for a, want in zip(result.actions, case["expected"]["actions"], strict=False):
        row = {"id": a.id, "wave": a.wave, "depends_on": a.depends_on, "verdict": str(a.decision.verdict)}
        for key, value in (
            ("reason", a.reason),
            ("rule", a.decision.rule),
            ("message", a.decision.message),
            ("advisory", a.decision.advisory),
        ):
            if key in want:
                row[key] = value
        if "params" in want:  # only the params a case names are compared
            row["params"] = {k: a.params.get(k) for k in want["params"]}
        got.append(row)
    if len(result.actions) > len(case["expected"]["actions"]):
        got += [{"id": a.id} for a in result.actions[len(case["expected"]["actions"]) :]]
    assert got == case["expected"]["actions"], case["description"]
    if "unsettled" in case["expected"]:  # what plan --detailed-exitcode counts (deliberate denies do not)
        assert [a.id for a in result.unsettled] == case["expected"]["unsettled"], case["description"]
    expected = case["expected"]["products"]
    products = {
        name: {
            "in_sync": p.in_sync,
            "facets": {k: str(f.state) for k, f in p.facets.items()},
            **({"suspended": True} if p.suspended else {}),
            **({"stuck": bool(p.stuck)} if "stuck" in expected.get(name, {}) else {}),
            # a case may name words a facet's message must contain
            **(
                {"messages": {k: p.facets[k].message for k in expected[name]["messages"]}}
                if "messages" in expected.get(name, {})
                else {}
            ),
        }
        for name, p in result.products.items()
    }
    for name, want in expected.items():
        for facet, words in want.get("messages", {}).items():
            message = products[name]["messages"][facet]
            assert all(w in message for w in words), f"{name}.{facet}: {message!r} lacks {words}"
            products[name]["messages"][facet] = words
    assert products == expected, case["description"]


def test_plan_is_deterministic_and_fingerprint_tracks_facts():
    _, desired, observed, gate = load_case(CASES / "cross_product.yaml")
    first = plan(desired, observed, gate, NOW)
    again = plan(desired, dict(reversed(list(observed.items()))), gate, NOW)
    assert first.model_dump_json() == again.model_dump_json()
    changed = dict(observed)
    changed["lib"] = observed["lib"].model_copy(
        update={
            "registries": {"local": observed["lib"].registries["local"].model_copy(update={"versions": []})}
        }
    )
    assert plan(desired, changed, gate, NOW).fingerprint != first.fingerprint


def test_plan_document_shape():
    _, desired, observed, gate = load_case(CASES / "fresh_product.yaml")
    doc = plan(desired, observed, gate, NOW).model_dump(mode="json")
    assert set(doc) == {"format", "fleet", "fingerprint", "actions", "products"}
    assert doc["format"] == "codemonkeys.plan/v1"
    assert doc["fleet"] == {"root": "/fleet", "revision": "rev1"}
    action = doc["actions"][0]
    assert set(action) == {"id", "product", "kind", "params", "reason", "depends_on", "wave", "decision"}
    assert set(action["decision"]) >= {"verdict", "rule", "message"}
    assert set(doc["products"]["lib"]) >= {"in_sync", "facets"}
