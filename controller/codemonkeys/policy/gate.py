"""Policy (stage 4: gate): the constitution decides allow / deny / hold for every planned action.

``Gate`` is one plan's session over a loaded constitution: ``decide(PolicyInput) -> Decision`` is
deterministic given its inputs and the actions the same gate allowed before (budgets count those).
Semantics (the reference is constitution/README.md):

* A rule applies to an action when every key of its ``match`` matches (omitted keys match all).
* Each applying rule's effects give an outcome; among mandatory rules the strongest decides, by
  precedence deny > hold > require > limit/window/freeze > allow (ties: first rule in the file).
  ``require``, ``limit``, ``window`` and ``freeze`` deny; ``hold`` holds until approved.
* Advisory rules never decide; those that would have failed are listed in ``advisory``.
* With ``default: deny`` an action no mandatory rule applies to is denied (fail closed).
* ``audit`` duties of every applying mandatory rule are attached to an allowed decision; the engine
  fails an action whose actuator cannot prove them.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum, StrEnum
from functools import lru_cache
from typing import Any

from codemonkeys.kinds.models import Constitution, Enforcement, PolicyDefault, Product, Rule
from codemonkeys.plan.model import Decision, TraceEntry, Verdict
from codemonkeys.policy import cel
from codemonkeys.timewindows import in_freeze, in_window


class FactValue(StrEnum):
    TRUE = "true"
    PENDING = "pending"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Approval:
    approver: str
    revision: str  # fleet revision it was given for
    fingerprint: str  # the product's observed fingerprint it was given for
    comment: str = ""


@dataclass(frozen=True)
class HistoryEntry:
    """A succeeded action from the journal (budgets are counted from these)."""

    kind: str
    product: str
    company: str | None
    finished_at: datetime


@dataclass(frozen=True)
class PolicyInput:
    action_id: str
    kind: str
    product: Product
    facts: Mapping[str, FactValue] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    params: Mapping[str, Any] = field(default_factory=dict)
    fleet: str = ""
    revision: str = ""
    product_fingerprint: str = ""
    approvals: Sequence[Approval] = ()

    def input_hash(self) -> str:
        doc = {
            "action": self.action_id,
            "kind": self.kind,
            "params": self.params,
            "product": self.product.metadata.model_dump(mode="json"),
            "facts": dict(sorted(self.facts.items())),
            "now": self.now.isoformat(),
            "fleet": self.fleet,
            "revision": self.revision,
            "fingerprint": self.product_fingerprint,
            "approvals": sorted(a.approver for a in self.approvals),
        }
        blob = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()


class Effect(IntEnum):
    """Decision precedence: lower wins."""

    DENY = 0
    HOLD = 1
    REQUIRE = 2
    LIMIT = 3
    WINDOW = 3
    FREEZE = 3
    ALLOW = 9


@dataclass(frozen=True)
class _Outcome:
    effect: Effect
    name: str  # effect name for the trace
    message: str

    @property
    def verdict(self) -> Verdict:
        if self.effect is Effect.ALLOW:
            return Verdict.ALLOW
        return Verdict.HOLD if self.effect is Effect.HOLD else Verdict.DENY


@lru_cache(maxsize=4096)
def _globs(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled regex for a list of shell globs (fnmatch semantics, case-sensitive)."""
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def rule_applies(rule: Rule, inp: PolicyInput) -> bool:
    m, meta = rule.match, inp.product.metadata
    if m.actions:
        actions = _globs(tuple(m.actions))
        if not (actions.match(inp.kind) or actions.match(inp.action_id)):
            return False
    if m.products and not _globs(tuple(m.products)).match(meta.name):
        return False
    if m.companies and meta.company not in m.companies:
        return False
    return all(meta.labels.get(k) == v for k, v in m.labels.items())


def cel_context(inp: PolicyInput) -> dict[str, Any]:
    def tree(prefix: str) -> dict[str, dict[str, bool]]:
        out: dict[str, dict[str, bool]] = {}
        for key, value in inp.facts.items():
            if prefix and not key.startswith(prefix):
                continue
            if not prefix and key.startswith("deps."):
                continue
            group, name = key.removeprefix(prefix).split(".", 1)
            out.setdefault(group, {})[name] = value is FactValue.TRUE
        return out

    meta, spec = inp.product.metadata, inp.product.spec
    return {
        "action": {"id": inp.action_id, "kind": inp.kind, "params": dict(inp.params)},
        "product": {
            "name": meta.name,
            "company": meta.company or "",
            "labels": dict(meta.labels),
            "annotations": dict(meta.annotations),
            "language": str(spec.language),
            "dependsOn": list(spec.depends_on),
        },
        "facts": {**tree(""), "deps": tree("deps.")},
        "fleet": {"name": inp.fleet, "revision": inp.revision},
        "now": inp.now,
    }


class Gate:
    """A constitution compiled for one plan. CEL conditions compile once (cached per process)."""

    def __init__(
        self,
        constitution: Constitution,
        history: Sequence[HistoryEntry] = (),
        revision: str = "",
    ):
        self.constitution = constitution
        self.rules = list(constitution.spec.rules)
        self.groups = constitution.spec.groups
        self.history = list(history)
        self.revision = revision  # the constitution's git revision, for the decision log
        self._limited = [r for r in self.rules if r.limit is not None]
        self._history_counts: dict[tuple[str, datetime], Counter[str]] = {}
        self._planned: Counter[tuple[str, str]] = Counter()  # allowed earlier in this plan, per budget
        for rule in self.rules:
            for effect in (rule.deny, rule.hold):
                if effect is not None and effect.when:
                    cel.compile_condition(effect.when)

    # --- effects ---------------------------------------------------------------------------------

    def _approvers(self, hold_approvers: list[str]) -> set[str] | None:
        if not hold_approvers:
            return None
        names: set[str] = set()
        for entry in hold_approvers:
            names |= set(self.groups.get(entry, [entry]))
        return names

    @staticmethod
    def _counts_kind(rule: Rule, kind: str) -> bool:
        return not rule.match.actions or bool(_globs(tuple(rule.match.actions)).match(kind))

    def _used_before(self, rule: Rule, since: datetime) -> Counter[str]:
        """Journal entries counting against ``rule``'s budget since ``since``, per scope key (memoized)."""
        key = (rule.id, since)
        if key not in self._history_counts:
            assert rule.limit is not None
            self._history_counts[key] = Counter(
                _scope_key(rule.limit.scope, e.product, e.company)
                for e in self.history
                if e.finished_at >= since and self._counts_kind(rule, e.kind)
            )
        return self._history_counts[key]

    def _limit_used(self, rule: Rule, inp: PolicyInput) -> int:
        limit = rule.limit
        assert limit is not None
        meta = inp.product.metadata
        scope = _scope_key(limit.scope, meta.name, meta.company)
        since = inp.now - timedelta(seconds=limit.per)
        return self._used_before(rule, since)[scope] + self._planned[(rule.id, scope)]

    def _count_allowed(self, inp: PolicyInput) -> None:
        """An allowed action spends budget for the decisions after it in the same plan."""
        meta = inp.product.metadata
        for rule in self._limited:
            if self._counts_kind(rule, inp.kind):
                assert rule.limit is not None
                self._planned[(rule.id, _scope_key(rule.limit.scope, meta.name, meta.company))] += 1

    def evaluate(self, rule: Rule, inp: PolicyInput) -> list[_Outcome]:
        """Every effect of ``rule`` for ``inp``; an empty list means the rule passes."""
        out: list[_Outcome] = []
        if rule.deny is not None:
            if not rule.deny.when:
                out.append(_Outcome(Effect.DENY, "deny", rule.deny.message))
            else:
                result = cel.evaluate(rule.deny.when, cel_context(inp))
                if result is True:
                    out.append(_Outcome(Effect.DENY, "deny", rule.deny.message))
                elif isinstance(result, str):
                    out.append(_Outcome(Effect.DENY, "deny", f"condition error (fail closed): {result}"))
        holds = rule.hold is not None
        if rule.hold is not None and rule.hold.when:
            result = cel.evaluate(rule.hold.when, cel_context(inp))
            if isinstance(result, str):
                out.append(_Outcome(Effect.DENY, "hold", f"condition error (fail closed): {result}"))
            holds = result is True
        if holds and rule.hold is not None:
            allowed = self._approvers(rule.hold.approvers)
            valid = {
                a.approver
                for a in inp.approvals
                if a.revision == inp.revision
                and a.fingerprint == inp.product_fingerprint
                and (allowed is None or a.approver in allowed)
            }
            if len(valid) < rule.hold.approvals:
                who = f" from {', '.join(rule.hold.approvers)}" if rule.hold.approvers else ""
                have = f"; approved by {', '.join(sorted(valid))}" if valid else ""
                out.append(
                    _Outcome(
                        Effect.HOLD,
                        "hold",
                        f"needs {rule.hold.approvals} approval(s){who}: cmctl approve {inp.action_id}{have}",
                    )
                )
        missing = [
            f"{f} is {inp.facts.get(f, FactValue.UNKNOWN)}"
            for f in rule.require
            if inp.facts.get(f, FactValue.UNKNOWN) not in (FactValue.TRUE, FactValue.PENDING)
        ]
        if missing:
            out.append(_Outcome(Effect.REQUIRE, "require", "requires " + "; ".join(missing)))
        if rule.limit is not None:
            used = self._limit_used(rule, inp)
            if used >= rule.limit.count:
                out.append(
                    _Outcome(
                        Effect.LIMIT,
                        "limit",
                        f"budget spent: {used} of {rule.limit.count} per {_span(rule.limit.per)} "
                        f"(scope {rule.limit.scope})",
                    )
                )
        if rule.window is not None:
            w = rule.window
            if not in_window(inp.now, list(w.days), w.start, w.end, w.timezone):
                when = f"{','.join(w.days) or 'any day'} {w.start or '00:00'}-{w.end or '24:00'} {w.timezone}"
                out.append(_Outcome(Effect.WINDOW, "window", f"outside the allowed window ({when})"))
        if rule.freeze is not None:
            f = rule.freeze
            if in_freeze(inp.now, f.start, f.end, f.timezone):
                msg = f.message or f"frozen from {f.start} to {f.end} {f.timezone}"
                out.append(_Outcome(Effect.FREEZE, "freeze", msg))
        return out

    # --- the decision ----------------------------------------------------------------------------

    def decide(self, inp: PolicyInput) -> Decision:
        deciding: tuple[Rule, _Outcome] | None = None
        covering: Rule | None = None
        advisory: list[str] = []
        duties: list[str] = []
        trace: list[TraceEntry] = []
        for rule in self.rules:
            if not rule_applies(rule, inp):
                continue
            outcomes = self.evaluate(rule, inp)
            worst = min(outcomes, key=lambda o: o.effect) if outcomes else None
            trace.append(
                TraceEntry(
                    rule=rule.id,
                    enforcement=str(rule.enforcement),
                    outcome=worst.verdict if worst else Verdict.ALLOW,
                    effect=worst.name if worst else "allow",
                    message="; ".join(o.message for o in outcomes)
                    if outcomes
                    else (rule.description or "passes"),
                )
            )
            if rule.enforcement is Enforcement.ADVISORY:
                if worst:
                    advisory.append(f"{rule.id}: {worst.message}")
                continue
            covering = covering or rule
            duties += [str(d) for d in rule.audit if str(d) not in duties]
            if worst and (deciding is None or worst.effect < deciding[1].effect):
                deciding = (rule, worst)

        if deciding is not None:
            rule, outcome = deciding
            verdict, rule_id, message = outcome.verdict, rule.id, outcome.message
        elif covering is not None:
            verdict, rule_id, message = Verdict.ALLOW, covering.id, covering.description or "allowed"
        elif self.constitution.spec.default is PolicyDefault.ALLOW:
            verdict, rule_id, message = Verdict.ALLOW, "default", "allowed (default: allow)"
        else:
            verdict, rule_id, message = Verdict.DENY, "default", f"no rule allows {inp.kind} (default: deny)"

        if verdict is Verdict.ALLOW:
            self._count_allowed(inp)
        input_hash = inp.input_hash()
        return Decision(
            verdict=verdict,
            rule=rule_id,
            message=message,
            advisory=advisory,
            audit=duties if verdict is Verdict.ALLOW else [],
            trace=trace,
            id=hashlib.sha256(f"{self.revision}:{input_hash}".encode()).hexdigest()[:16],
            input_hash=input_hash,
        )


def _scope_key(scope: str, product: str, company: str | None) -> str:
    if scope == "product":
        return product
    return (company or "") if scope == "company" else ""


def _span(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
