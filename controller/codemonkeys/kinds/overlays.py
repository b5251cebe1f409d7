"""Company constitution overlays: ``constitution.d/<company>.yaml``, a Constitution document whose rules
apply to that company's products only and can only tighten the fleet's constitution.

What would loosen it is a load error at its ``FILE:LINE:COL``: ``default: allow``, approver ``groups``
(members would widen who may approve), a rule with no restricting effect (no deny, require, hold, limit,
window or freeze: it would allow what it matches), a rule matching other companies, and a rule id the
fleet's constitution already uses. The gate evaluates overlay rules after the fleet's and never lets one
allow an action (a hold whose condition is false does not cover an action the fleet denies by default).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codemonkeys.kinds.models import Rule
from codemonkeys.kinds.yamlpos import Document, Pos

OVERLAY_DIR = "constitution.d"
RESTRICTING = ("deny", "require", "hold", "limit", "window", "freeze")


def overlay_files(root: Path) -> list[Path]:
    """The overlay files of the fleet at ``root``, sorted."""
    folder = root / OVERLAY_DIR
    return sorted({*folder.glob("*.yaml"), *folder.glob("*.yml")}) if folder.is_dir() else []


def loosenings(doc: Document, company: str, fleet_rule_ids: set[str]) -> list[tuple[Pos, str]]:
    """Where the overlay ``doc`` of ``company`` would loosen the fleet's constitution, with why."""
    data: Any = doc.data if isinstance(doc.data, dict) else {}
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    out: list[tuple[Pos, str]] = []
    tighten = "an overlay can only tighten the fleet's constitution"
    if spec.get("default") == "allow":
        out.append((doc.value_pos(("spec", "default")), f"spec.default: allow would loosen it ({tighten})"))
    if spec.get("groups"):
        out.append((doc.key_pos(("spec", "groups")), f"spec.groups: would widen who may approve ({tighten})"))
    rules = spec.get("rules") if isinstance(spec.get("rules"), list) else []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        where = (
            doc.value_pos(("spec", "rules", i, "id")) if "id" in rule else doc.value_pos(("spec", "rules", i))
        )
        if not any(rule.get(k) for k in RESTRICTING):
            out.append(
                (
                    where,
                    f"spec.rules[{i}]: a rule with no deny, require, hold, limit, window or "
                    f"freeze would allow what it matches ({tighten})",
                )
            )
        companies = (
            (rule.get("match") or {}).get("companies") if isinstance(rule.get("match"), dict) else None
        )
        if companies and list(companies) != [company]:
            pos = doc.value_pos(("spec", "rules", i, "match", "companies"))
            out.append(
                (pos, f"spec.rules[{i}].match.companies: the overlay of {company!r} applies to it only")
            )
        if rule.get("id") in fleet_rule_ids:
            out.append((where, f"spec.rules[{i}].id: {rule['id']!r} is a rule of the fleet's constitution"))
    return out


def scoped(rules: list[Rule], company: str) -> tuple[Rule, ...]:
    """The overlay's rules, each matching ``company``'s products only."""
    return tuple(
        r.model_copy(update={"match": r.match.model_copy(update={"companies": [company]})}) for r in rules
    )
