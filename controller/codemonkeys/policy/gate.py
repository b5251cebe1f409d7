"""Policy (stage 4: gate): the constitution decides allow / deny / hold for every planned action.

Pure: ``Gate.decide(PolicyInput) -> Decision``. Semantics (documented in constitution/README.md):

* A rule applies to an action when every key of its ``match`` matches (omitted keys match all).
* Precedence over the mandatory rules that apply: deny > hold > require > allow.
  Advisory rules never decide; the ones that would have failed are listed in ``Decision.advisory``.
* With ``default: deny`` (fail closed) an action that no rule applies to is denied; with
  ``default: allow`` it is allowed.
* Facts for ``require`` are ``true`` (observed), ``pending`` (a planned upstream action establishes it,
  so it holds when the action runs), ``false`` or ``unknown``. Only ``true`` and ``pending`` satisfy.

Effects this version cannot evaluate yet (CEL ``when``, ``hold``, ``limit``, ``window``, ``freeze``,
``audit``) deny the action with a message naming the rule: the constitution is never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from fnmatch import fnmatchcase

from codemonkeys.kinds.models import Constitution, Enforcement, PolicyDefault, Product, Rule
from codemonkeys.plan.model import Decision, Verdict


class FactValue(StrEnum):
    TRUE = "true"
    PENDING = "pending"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PolicyInput:
    action_id: str
    kind: str
    product: Product
    facts: dict[str, FactValue] = field(default_factory=dict)
    now: datetime | None = None


_UNSUPPORTED = ("hold", "limit", "window", "freeze", "audit")


def rule_applies(rule: Rule, inp: PolicyInput) -> bool:
    m, meta = rule.match, inp.product.metadata
    if m.actions and not any(fnmatchcase(inp.kind, g) or fnmatchcase(inp.action_id, g) for g in m.actions):
        return False
    if m.products and not any(fnmatchcase(meta.name, g) for g in m.products):
        return False
    if m.companies and meta.company not in m.companies:
        return False
    return all(meta.labels.get(k) == v for k, v in m.labels.items())


@dataclass(frozen=True)
class _Outcome:
    verdict: Verdict
    message: str


def _evaluate(rule: Rule, inp: PolicyInput) -> _Outcome:
    unsupported = [name for name in _UNSUPPORTED if getattr(rule, name)]
    if rule.deny is not None and rule.deny.when:
        unsupported.insert(0, "deny.when (CEL)")
    if unsupported:
        return _Outcome(
            Verdict.DENY,
            f"rule uses {', '.join(unsupported)}, which this version cannot evaluate (fail closed)",
        )
    if rule.deny is not None:
        return _Outcome(Verdict.DENY, rule.deny.message)
    missing = [
        f"{f} is {inp.facts.get(f, FactValue.UNKNOWN)}"
        for f in rule.require
        if inp.facts.get(f, FactValue.UNKNOWN) not in (FactValue.TRUE, FactValue.PENDING)
    ]
    if missing:
        return _Outcome(Verdict.DENY, "requires " + "; ".join(missing))
    return _Outcome(Verdict.ALLOW, rule.description or "allowed")


_RANK = {Verdict.DENY: 0, Verdict.HOLD: 1, Verdict.ALLOW: 2}


class Gate:
    """A compiled constitution. Build once per plan; ``decide`` is pure and cheap."""

    def __init__(self, constitution: Constitution):
        self.constitution = constitution
        self.rules = list(constitution.spec.rules)

    def decide(self, inp: PolicyInput) -> Decision:
        deciding: tuple[Rule, _Outcome] | None = None
        covered: tuple[Rule, _Outcome] | None = None
        advisory: list[str] = []
        for rule in self.rules:
            if not rule_applies(rule, inp):
                continue
            outcome = _evaluate(rule, inp)
            if rule.enforcement is Enforcement.ADVISORY:
                if outcome.verdict is not Verdict.ALLOW:
                    advisory.append(f"{rule.id}: {outcome.message}")
                continue
            covered = covered or (rule, outcome)
            if outcome.verdict is not Verdict.ALLOW and (
                deciding is None or _RANK[outcome.verdict] < _RANK[deciding[1].verdict]
            ):
                deciding = (rule, outcome)
        if deciding is not None:
            rule, outcome = deciding
            return Decision(verdict=outcome.verdict, rule=rule.id, message=outcome.message, advisory=advisory)
        if covered is not None:
            rule, outcome = covered
            return Decision(verdict=Verdict.ALLOW, rule=rule.id, message=outcome.message, advisory=advisory)
        if self.constitution.spec.default is PolicyDefault.ALLOW:
            return Decision(
                verdict=Verdict.ALLOW, rule="default", message="allowed (default: allow)", advisory=advisory
            )
        return Decision(
            verdict=Verdict.DENY,
            rule="default",
            message=f"no rule allows {inp.kind} (default: deny)",
            advisory=advisory,
        )
