"""`cmctl policy test`: policy test cases as data, like `opa test`.

A test file (YAML) names a constitution file and lists cases; each case is an action, the facts, the
time, optional approvals and journal history, and the expected verdict (and deciding rule)::

    constitution: ../default.yaml          # relative to the test file
    overlays: [acme.yaml]                  # optional: company overlays (constitution.d/<company>.yaml),
                                           # each for the company its file is named after
    products:                              # optional, referenced by name from cases
      lib: {name: lib, company: acme, labels: {tier: library}}
    cases:
      - name: publishing needs a green build
        action: release.publish            # the action kind; the id is <product>/<kind> unless `id` is given
        product: lib                       # a name from `products`, or an inline {name, company, labels}
        facts: {build.green: false}        # true | false | pending | unknown; missing facts are unknown
        now: "2026-11-27T17:00:00+01:00"   # default: 2026-01-05T12:00:00Z (a Monday noon)
        approvals: [alice]                 # approvers on record for this action
        history: [{kind: release.publish, product: lib, ago: 30m}]   # succeeded actions, for budgets
        expect: {verdict: deny, rule: release-needs-green-build}
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from codemonkeys.kinds.loader import load_constitution, load_overlay
from codemonkeys.kinds.models import Product, parse_duration
from codemonkeys.policy.cel import check_condition
from codemonkeys.policy.gate import Gate, PolicyInput
from codemonkeys.vocab.policy import Approval, FactValue, HistoryEntry

DEFAULT_NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
CASE_KEYS = {"name", "action", "id", "product", "facts", "now", "params", "approvals", "history", "expect"}


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one policy test case: the file, the case name, whether it passed, and why."""

    file: str
    name: str
    passed: bool
    detail: str


def _product(spec: Any, named: dict[str, Any]) -> Product:
    meta = named.get(spec, {"name": spec}) if isinstance(spec, str) else spec
    return Product.model_validate(
        {
            "apiVersion": "codemonkeys.dev/v1",
            "kind": "Product",
            "metadata": {k: meta[k] for k in ("name", "company", "labels") if k in meta},
            "spec": {
                "source": {"repo": "test"},
                "language": meta.get("language", "other"),
                "dependsOn": meta.get("dependsOn", []),
            },
        }
    )


def _now(value: Any) -> datetime:
    if value is None:
        return DEFAULT_NOW
    now = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def _history_entry(h: dict, product: Product, named: dict, now: datetime) -> HistoryEntry:
    """A history item of a case: ``kind``, ``ago`` and optionally ``product``, ``company``, ``id``."""
    name = h.get("product", product.metadata.name)
    owner = product if name == product.metadata.name else (_product(name, named) if name in named else None)
    labels = tuple(sorted(owner.metadata.labels.items())) if owner else ()
    return HistoryEntry(
        h["kind"],
        name,
        h.get("company", owner.metadata.company if owner else None),
        now - timedelta(seconds=parse_duration(h.get("ago", "1m"))),
        h.get("id") or f"{name}/{h['kind']}",
        labels,
    )


def run_file(path: Path) -> list[CaseResult]:
    """Run every case of one test file. A constitution that fails to load is one failed result; a
    malformed case is a failed result naming what is wrong, and the other cases still run."""
    doc = yaml.safe_load(path.read_text()) or {}
    if not isinstance(doc, dict) or not isinstance(doc.get("constitution"), str):
        return [CaseResult(str(path), "(load constitution)", False, "the file names no `constitution:`")]
    constitution_path = (path.parent / doc["constitution"]).resolve()
    constitution, diags = load_constitution(constitution_path, check_condition)
    if constitution is None:
        detail = "; ".join(str(d) for d in diags)
        return [CaseResult(str(path), "(load constitution)", False, detail)]
    overlays: list = []
    for item in doc.get("overlays") or []:
        overlay_path = (path.parent / str(item)).resolve()
        fleet_ids = {r.id for r in constitution.spec.rules}
        rules, diags = load_overlay(overlay_path, fleet_ids, check_condition)
        if rules is None:
            detail = "; ".join(str(d) for d in diags) or f"cannot load {overlay_path}"
            return [CaseResult(str(path), f"(load overlay {item})", False, detail)]
        overlays.extend(rules)
    named = doc.get("products") or {}
    results = []
    for i, case in enumerate(doc.get("cases") or []):
        name = str(case.get("name") or f"case {i + 1}") if isinstance(case, dict) else f"case {i + 1}"
        try:
            results.append(_run_case(path, case, constitution, named, tuple(overlays)))
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            what = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            results.append(CaseResult(str(path), name, False, f"malformed case: {what}"))
    return results


def _run_case(path: Path, case: dict, constitution, named: dict, overlays: tuple = ()) -> CaseResult:
    unknown = set(case) - CASE_KEYS
    if unknown:
        return CaseResult(str(path), str(case.get("name")), False, f"unknown keys: {sorted(unknown)}")
    name, expect, kind = case["name"], case["expect"], case["action"]
    product = _product(case.get("product", "test-product"), named)
    now = _now(case.get("now"))
    gate = Gate(
        constitution,
        history=[_history_entry(h, product, named, now) for h in case.get("history") or []],
        overlays=overlays,
    )
    inp = PolicyInput(
        action_id=case.get("id") or f"{product.metadata.name}/{kind}",
        kind=kind,
        product=product,
        facts={str(k): FactValue(str(v).lower()) for k, v in (case.get("facts") or {}).items()},
        now=now,
        params=case.get("params") or {},
        revision="rev",
        product_fingerprint="fp",
    )
    # a case's approvals were given for this very action: its fingerprint, params and matching rules
    params, rules = inp.params_json(), gate.rules_digest(inp)
    given = tuple(Approval(str(a), "rev", "fp", "", params, rules) for a in case.get("approvals") or [])
    decision = gate.decide(replace(inp, approvals=given))
    got = {"verdict": str(decision.verdict), "rule": decision.rule}
    wrong = [f"{k}: want {v!r}, got {got.get(k)!r}" for k, v in expect.items() if got.get(k) != v]
    detail = "; ".join(wrong) if wrong else f"{decision.verdict} ({decision.rule}): {decision.message}"
    return CaseResult(str(path), name, not wrong, detail)


def discover(target: Path) -> list[Path]:
    """Test files: YAML files with a top-level `cases:` list (a single file may be given)."""
    files = [target] if target.is_file() else sorted([*target.rglob("*.yaml"), *target.rglob("*.yml")])
    out = []
    for f in files:
        try:
            doc = yaml.safe_load(f.read_text())
        except yaml.YAMLError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("cases"), list) and "constitution" in doc:
            out.append(f)
    return out
