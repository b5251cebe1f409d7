"""Policy (stage 4: gate): the constitution decides allow / deny / hold for every planned action.

``Gate`` is one plan's view of a loaded constitution and the journal history: ``decide(PolicyInput)
-> Decision`` is a pure function of those and its input (budgets count the history plus the actions the
same plan allowed earlier, which the planner passes in ``PolicyInput.earlier``).
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
from enum import IntEnum
from functools import lru_cache
from typing import Any

from codemonkeys.kinds.models import Constitution, Enforcement, LimitScope, PolicyDefault, Product, Rule
from codemonkeys.policy import cel
from codemonkeys.vocab.plan import Decision, TraceEntry, Verdict
from codemonkeys.vocab.policy import Approval, FactValue, HistoryEntry
from codemonkeys.vocab.timewindows import in_freeze, in_window


@dataclass(frozen=True)
class PolicyInput:
    """Everything one decision depends on: the action, its product, the facts, the time, approvals and
    the actions the same plan allowed earlier."""

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
    # Actions the same plan allowed before this one (budgets count them). The planner passes them only
    # when the constitution has budgets, so the decision is a function of its inputs in any call order.
    earlier: Sequence[HistoryEntry] = ()

    # The product's metadata as JSON (``product_json``), when the caller has it: the planner encodes
    # each product's once for all of its actions. Likewise ``facts_json``: ``facts`` as canonical JSON.
    product_json: str | None = None
    facts_json: str | None = None

    # The product's legacy fingerprint (fleet revision, digest and facts), filled by the planner only
    # for an action with an approval recorded before approvals were bound to params and rules.
    legacy_fingerprint: str = ""
    # What the action acts on (``planner.action_fingerprint``: the product's documents, its git state and
    # its facet's facts): approvals bind to it. Empty: the product's fingerprint stands in.
    action_fingerprint: str = ""

    @property
    def bound_to(self) -> str:
        """The fingerprint an approval of this action binds to."""
        return self.action_fingerprint or self.product_fingerprint

    def params_json(self) -> str:
        """The action's params as canonical JSON (what an approval binds to)."""
        return params_json(self.params)

    def _approvals(self) -> list[str]:
        out = sorted(a.identity() for a in self.approvals)
        if any(a.legacy for a in self.approvals):
            out.append(f"legacy-fingerprint|{self.legacy_fingerprint}")
        return out

    def input_hash(self, rules: str = "", timed: bool = True, revision: bool = True) -> str:
        """A stable hash of everything the decision depends on (the decision log keys on it): SHA-256 of
        the canonical JSON (sorted keys, no spaces) of the action, its product's metadata and
        fingerprint, the facts, the params, the fleet's name, the approvals on record, the earlier
        allowed actions and ``rules`` (the digest of the rules that matched it). The time is part of it
        only when a matching rule reads it (``timed``: a window, freeze, limit or a condition on
        ``now``), the fleet revision only when a matching condition reads it: otherwise the same
        action on the same product decides the same at any time and at any fleet commit."""
        # The canonical JSON of {action, approvals, [earlier], facts, fingerprint, fleet, kind, [now],
        # params, product, [revision], rules} (keys in this sorted order), pre-encoded parts spliced in.
        parts = [
            ("action", _ENCODE(self.action_id)),
            ("approvals", _ENCODE(self._approvals()) if self.approvals else "[]"),
        ]
        if self.earlier:
            parts.append(
                ("earlier", _ENCODE(sorted(f"{e.kind}:{e.product}:{e.action_id}" for e in self.earlier)))
            )
        parts += [
            ("facts", self.facts_json if self.facts_json is not None else _ENCODE(self.facts)),
            ("fingerprint", _encoded(self.product_fingerprint)),
            ("fleet", _encoded(self.fleet)),
            ("kind", _encoded(self.kind)),
        ]
        if timed:
            parts.append(("now", _encoded_time(self.now)))
        parts += [
            ("params", self.params_json()),
            ("product", self.product_json or metadata_json(self.product)),
        ]
        if revision:
            parts.append(("revision", _encoded(self.revision)))
        parts.append(("rules", _encoded(rules)))
        blob = "{" + ",".join(f'"{key}":{value}' for key, value in parts) + "}"
        return hashlib.sha256(blob.encode()).hexdigest()


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode
canonical_json = _ENCODE  # the encoding input_hash uses (pre-encoded parts must match it)


@lru_cache(maxsize=8192)
def _encoded(text: str) -> str:
    """``_ENCODE(text)``: the strings a plan's actions share (kinds, fleet, revision, a product's
    fingerprint) are encoded once."""
    return _ENCODE(text)


@lru_cache(maxsize=64)
def _encoded_time(now: datetime) -> str:
    """``_ENCODE(now.isoformat())``, once per plan's ``now``."""
    return _ENCODE(now.isoformat())


def params_json(params: Mapping[str, Any]) -> str:
    """An action's params as the canonical JSON approvals bind to."""
    return _ENCODE(params) if params else "{}"


def metadata_json(product: Product) -> str:
    """A product's metadata as the canonical JSON ``PolicyInput.input_hash`` hashes."""
    return _ENCODE(product.metadata.model_dump(mode="json"))


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


def _matches(
    rule: Rule, kind: str, action_id: str, product: str, company: str | None, labels: Mapping[str, str]
) -> bool:
    m = rule.match
    if m.actions:
        actions = _globs(tuple(m.actions))
        if not (actions.match(kind) or (action_id and actions.match(action_id))):
            return False
    if m.products and not _globs(tuple(m.products)).match(product):
        return False
    if m.companies and company not in m.companies:
        return False
    return all(labels.get(k) == v for k, v in m.labels.items())


@dataclass(frozen=True)
class _Match:
    """One rule's ``match`` compiled once per gate (``_matches`` without the per-call globs lookup)."""

    actions: re.Pattern[str] | None
    products: re.Pattern[str] | None
    companies: frozenset[str] | None
    labels: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, rule: Rule) -> _Match:
        m = rule.match
        return cls(
            _globs(tuple(m.actions)) if m.actions else None,
            _globs(tuple(m.products)) if m.products else None,
            frozenset(m.companies) if m.companies else None,
            tuple(m.labels.items()),
        )

    def applies(self, inp: PolicyInput) -> bool:
        """``rule_applies`` of the rule this was compiled from."""
        if self.actions is not None and not (
            self.actions.match(inp.kind) or (inp.action_id and self.actions.match(inp.action_id))
        ):
            return False
        meta = inp.product.metadata
        if self.products is not None and not self.products.match(meta.name):
            return False
        if self.companies is not None and meta.company not in self.companies:
            return False
        return all(meta.labels.get(k) == v for k, v in self.labels)


def rule_applies(rule: Rule, inp: PolicyInput) -> bool:
    """Whether every key of the rule's ``match`` matches the action (omitted keys match all)."""
    meta = inp.product.metadata
    return _matches(rule, inp.kind, inp.action_id, meta.name, meta.company, meta.labels)


def counts_against(rule: Rule, entry: HistoryEntry) -> bool:
    """Whether a journaled (or earlier allowed) action spends ``rule``'s budget: the rule's match applies
    to it exactly as it would to a planned action (kind or id, products, companies, labels)."""
    return _matches(rule, entry.kind, entry.action_id, entry.product, entry.company, dict(entry.labels))


def _fact_tree(facts: Mapping[str, FactValue], prefix: str) -> dict[str, dict[str, bool]]:
    """``{"build.green": TRUE}`` -> ``{"build": {"green": True}}`` (``deps.`` facts only under ``prefix``)."""
    out: dict[str, dict[str, bool]] = {}
    for key, value in facts.items():
        if prefix and not key.startswith(prefix):
            continue
        if not prefix and key.startswith("deps."):
            continue
        group, name = key.removeprefix(prefix).split(".", 1)
        out.setdefault(group, {})[name] = value is FactValue.TRUE
    return out


def product_document(product: Product) -> dict[str, Any]:
    """The product as CEL sees it: the document (``metadata``, ``spec`` as written in YAML, camelCase),
    as Kubernetes' CEL admission policies see objects, plus the short names (``product.name``, ...)."""
    meta, spec = product.metadata, product.spec
    return {
        "name": meta.name,
        "company": meta.company or "",
        "labels": dict(meta.labels),
        "annotations": dict(meta.annotations),
        "language": str(spec.language),
        "dependsOn": list(spec.depends_on),
        "metadata": meta.model_dump(mode="json", by_alias=True, exclude_none=True),
        "spec": spec.model_dump(mode="json", by_alias=True, exclude_none=True),
    }


def cel_context(inp: PolicyInput, product: dict[str, Any] | None = None) -> dict[str, Any]:
    """The documented CEL variables for one decision (see ``policy/cel.py``); ``product`` is the
    product's document when the caller has it already (``product_document``)."""
    return {
        "action": {"id": inp.action_id, "kind": inp.kind, "params": dict(inp.params)},
        "product": product if product is not None else product_document(inp.product),
        "facts": {**_fact_tree(inp.facts, ""), "deps": _fact_tree(inp.facts, "deps.")},
        "fleet": {"name": inp.fleet, "revision": inp.revision},
        "now": inp.now,
    }


class Gate:
    """A constitution compiled for one plan, with the journal history its budgets count.

    Decisions do not depend on call order: budgets count the history given here plus the actions the
    same plan allowed earlier, which the caller passes in ``PolicyInput.earlier``. CEL conditions compile
    once (cached per process).
    """

    def __init__(
        self,
        constitution: Constitution,
        history: Sequence[HistoryEntry] = (),
        revision: str = "",
        overlays: Sequence[Rule] = (),
        memo: DecisionMemo | None = None,
    ):
        self.constitution = constitution
        self.rules = [*constitution.spec.rules, *overlays]
        self._tighten_only = {id(r) for r in overlays}  # company overlay rules: they never allow
        self.groups = constitution.spec.groups
        self.history = list(history)
        self.revision = revision  # the constitution's git revision, for the decision log
        self._limited = [r for r in self.rules if r.limit is not None]
        self._history_counts: dict[tuple[str, datetime], Counter[str]] = {}
        self._documents: dict[int, tuple[Product, dict[str, Any]]] = {}
        self._matchers = [(rule, _Match.of(rule)) for rule in self.rules]
        # What a decision reads of the constitution besides its matching rules: the default, the groups.
        self._base = _digest(_ENCODE([str(constitution.spec.default), constitution.spec.groups]))
        self._rule_digest = {id(r): _digest(r.model_dump_json()) for r in self.rules}
        self._timed = {id(r) for r in self.rules if _reads_time(r)}
        self._reads_revision = {id(r) for r in self.rules if _reads_revision(r)}
        # input hash -> decision, kept by a long-lived caller across its plans (``DecisionMemo``)
        self.memo = memo
        self._traces: dict[tuple[str, str, Verdict, str, str], TraceEntry] = {}
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

    def _used_before(self, rule: Rule, since: datetime) -> Counter[str]:
        """Journal entries counting against ``rule``'s budget since ``since``, per scope key (memoized)."""
        key = (rule.id, since)
        if key not in self._history_counts:
            assert rule.limit is not None
            self._history_counts[key] = Counter(
                _scope_key(rule.limit.scope, e.product, e.company)
                for e in self.history
                if e.finished_at >= since and counts_against(rule, e)
            )
        return self._history_counts[key]

    def _limit_used(self, rule: Rule, inp: PolicyInput) -> int:
        limit = rule.limit
        assert limit is not None
        meta = inp.product.metadata
        scope = _scope_key(limit.scope, meta.name, meta.company)
        since = inp.now - timedelta(seconds=limit.per)
        in_plan = sum(
            1
            for e in inp.earlier
            if counts_against(rule, e) and _scope_key(limit.scope, e.product, e.company) == scope
        )
        return self._used_before(rule, since)[scope] + in_plan

    def _cel_context(self, inp: PolicyInput) -> dict[str, Any]:
        """CEL variables; each product's document is built once per gate (a cache, not state)."""
        key = id(inp.product)
        cached = self._documents.get(key)
        if cached is None or cached[0] is not inp.product:
            cached = self._documents[key] = (inp.product, product_document(inp.product))
        return cel_context(inp, cached[1])

    def _deny(self, rule: Rule, inp: PolicyInput) -> list[_Outcome]:
        if rule.deny is None:
            return []
        if not rule.deny.when:
            return [_Outcome(Effect.DENY, "deny", rule.deny.message)]
        result = cel.evaluate(rule.deny.when, self._cel_context(inp))
        if result is True:
            return [_Outcome(Effect.DENY, "deny", rule.deny.message)]
        if isinstance(result, str):  # not a deliberate deny: the plan counts it as still to do
            return [_Outcome(Effect.DENY, "error", f"condition error (fail closed): {result}")]
        return []

    def _hold(self, rule: Rule, inp: PolicyInput, rules: str | None = None) -> list[_Outcome]:
        hold = rule.hold
        if hold is None:
            return []
        if hold.when:
            result = cel.evaluate(hold.when, self._cel_context(inp))
            if isinstance(result, str):
                return [_Outcome(Effect.DENY, "hold", f"condition error (fail closed): {result}")]
            if result is not True:
                return []
        allowed = self._approvers(hold.approvers)
        rules = self.rules_digest(inp) if rules is None else rules
        params = inp.params_json()
        valid: set[str] = set()
        lapsed: dict[str, str] = {}  # approver -> why their latest approval no longer counts
        for a in inp.approvals:
            if allowed is not None and a.approver not in allowed:
                continue
            why = _lapsed(a, inp, params, rules)
            if why is None:
                valid.add(a.approver)
                lapsed.pop(a.approver, None)
            else:
                lapsed[a.approver] = why
        if len(valid) >= hold.approvals:
            return []
        who = f" from {', '.join(hold.approvers)}" if hold.approvers else ""
        have = f"; approved by {', '.join(sorted(valid))}" if valid else ""
        gone = "".join(
            f"; approval by {name} lapsed: {why}" for name, why in sorted(lapsed.items()) if name not in valid
        )
        message = f"needs {hold.approvals} approval(s){who}: cmctl approve {inp.action_id}{have}{gone}"
        return [_Outcome(Effect.HOLD, "hold", message)]

    @staticmethod
    def _require(rule: Rule, inp: PolicyInput) -> list[_Outcome]:
        missing = [
            f"{f} is {inp.facts.get(f, FactValue.UNKNOWN)}"
            for f in rule.require
            if inp.facts.get(f, FactValue.UNKNOWN) not in (FactValue.TRUE, FactValue.PENDING)
        ]
        return [_Outcome(Effect.REQUIRE, "require", "requires " + "; ".join(missing))] if missing else []

    def _limit(self, rule: Rule, inp: PolicyInput) -> list[_Outcome]:
        if rule.limit is None:
            return []
        used = self._limit_used(rule, inp)
        if used < rule.limit.count:
            return []
        message = (
            f"budget spent: {used} of {rule.limit.count} per {_span(rule.limit.per)} "
            f"(scope {rule.limit.scope})"
        )
        return [_Outcome(Effect.LIMIT, "limit", message)]

    @staticmethod
    def _calendar(rule: Rule, inp: PolicyInput) -> list[_Outcome]:
        out: list[_Outcome] = []
        if (w := rule.window) is not None and not in_window(
            inp.now, list(w.days), w.start, w.end, w.timezone
        ):
            when = f"{','.join(w.days) or 'any day'} {w.start or '00:00'}-{w.end or '24:00'} {w.timezone}"
            out.append(_Outcome(Effect.WINDOW, "window", f"outside the allowed window ({when})"))
        if (f := rule.freeze) is not None and in_freeze(inp.now, f.start, f.end, f.timezone):
            out.append(
                _Outcome(
                    Effect.FREEZE, "freeze", f.message or f"frozen from {f.start} to {f.end} {f.timezone}"
                )
            )
        return out

    def evaluate(self, rule: Rule, inp: PolicyInput, rules: str | None = None) -> list[_Outcome]:
        """Every effect of ``rule`` for ``inp``; an empty list means the rule passes. ``rules``: the
        digest of the rules matching ``inp`` (``rules_digest``), when the caller has it."""
        return [
            *self._deny(rule, inp),
            *self._hold(rule, inp, rules),
            *self._require(rule, inp),
            *self._limit(rule, inp),
            *self._calendar(rule, inp),
        ]

    @property
    def has_budgets(self) -> bool:
        """Whether any rule has a ``limit`` (then the planner passes earlier allowed actions in)."""
        return bool(self._limited)

    # --- the decision ----------------------------------------------------------------------------

    def _trace_entry(
        self, rule: str, enforcement: str, outcome: Verdict, effect: str, message: str
    ) -> TraceEntry:
        """One trace entry; equal ones are one immutable object (most actions of a plan share theirs)."""
        key = (rule, enforcement, outcome, effect, message)
        entry = self._traces.get(key)
        if entry is None:  # every field given, of its type: no validation to redo
            entry = self._traces[key] = TraceEntry.model_construct(
                rule=rule, enforcement=enforcement, outcome=outcome, effect=effect, message=message
            )
        return entry

    def decide(self, inp: PolicyInput) -> Decision:
        """Allow, deny or hold ``inp``: a pure function of the constitution, the history and ``inp``."""
        matching = [rule for rule, match in self._matchers if match.applies(inp)]
        rules = self._digest_of(matching)
        timed = any(id(r) in self._timed for r in matching)
        input_hash = inp.input_hash(rules, timed, any(id(r) in self._reads_revision for r in matching))
        memo = self.memo if not timed else None
        if memo is not None:
            known = memo.get(input_hash)
            if known is not None:  # the same inputs and no rule reads the time: the same decision
                return known
        deciding: tuple[Rule, _Outcome] | None = None
        covering: Rule | None = None
        advisory: list[str] = []
        duties: list[str] = []
        trace: list[TraceEntry] = []
        for rule in matching:
            outcomes = self.evaluate(rule, inp, rules)
            worst = min(outcomes, key=lambda o: o.effect) if outcomes else None
            trace.append(
                self._trace_entry(
                    rule.id,
                    str(rule.enforcement),
                    worst.verdict if worst else Verdict.ALLOW,
                    worst.name if worst else "allow",
                    "; ".join(o.message for o in outcomes) if outcomes else (rule.description or "passes"),
                )
            )
            if rule.enforcement is Enforcement.ADVISORY:
                if worst:
                    advisory.append(f"{rule.id}: {worst.message}")
                continue
            if id(rule) not in self._tighten_only:
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

        decision = Decision.model_construct(  # every field given, of its type (as TraceEntry above)
            verdict=verdict,
            rule=rule_id,
            message=message,
            advisory=advisory,
            audit=duties if verdict is Verdict.ALLOW else [],
            trace=trace,
            id=_digest(input_hash),
            input_hash=input_hash,
            rules=rules,
            fingerprint=inp.bound_to,
        )
        if memo is not None:
            memo.put(input_hash, decision)
        return decision

    def rules_digest(self, inp: PolicyInput) -> str:
        """The digest of the rules that match ``inp`` (with the constitution's default and groups):
        what an approval of it binds to besides the product and the params."""
        return self._digest_of([rule for rule, match in self._matchers if match.applies(inp)])

    def _digest_of(self, matching: list[Rule]) -> str:
        return _digest(self._base + "".join(self._rule_digest[id(r)] for r in matching))


class DecisionMemo:
    """Decisions by input hash, kept by a long-lived caller (the controller's session) across its plans:
    an action whose inputs stand and that no rule reads the time of is not decided again. Bounded: the
    oldest half is dropped when full."""

    def __init__(self, size: int = 50_000):
        self.size = size
        self._known: dict[str, Decision] = {}
        self.hits = 0

    def get(self, input_hash: str) -> Decision | None:
        """The decision made on these inputs before (counted as a hit), or None."""
        out = self._known.get(input_hash)
        if out is not None:
            self.hits += 1
        return out

    def put(self, input_hash: str, decision: Decision) -> None:
        """Keep ``decision`` for its inputs (the oldest half goes when full)."""
        if len(self._known) >= self.size:
            for key in list(self._known)[: self.size // 2]:
                del self._known[key]
        self._known[input_hash] = decision


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _conditions(rule: Rule) -> str:
    return " ".join(e.when for e in (rule.deny, rule.hold) if e is not None and e.when)


_NOW = re.compile(r"\bnow\b")
_REVISION = re.compile(r"\brevision\b")


def _reads_time(rule: Rule) -> bool:
    """Whether ``rule``'s outcome can change with the time alone: a budget, a window, a freeze or a
    condition that reads ``now``."""
    timed = rule.limit is not None or rule.window is not None or rule.freeze is not None
    return timed or bool(_NOW.search(_conditions(rule)))


def _reads_revision(rule: Rule) -> bool:
    """Whether a condition of ``rule`` reads the fleet revision (``fleet.revision``)."""
    return bool(_REVISION.search(_conditions(rule)))


def _lapsed(a: Approval, inp: PolicyInput, params: str, rules: str) -> str | None:
    """Why approval ``a`` does not count for ``inp`` (None: it counts)."""
    if a.legacy:
        if a.revision == inp.revision and a.fingerprint == inp.legacy_fingerprint:
            return None
        return f"given at fleet revision {a.revision[:12]} before approvals were bound to what they approve"
    if a.params != params:
        return f"{inp.kind} {_params_change(a.params or '{}', inp.params)}"
    if a.fingerprint != inp.bound_to:
        return (
            f"{inp.product.metadata.name} changed since (its document, a dependency's document or what "
            f"{inp.kind} acts on: fingerprint {a.fingerprint[:8]} -> {inp.bound_to[:8]})"
        )
    if a.rules != rules:
        return "the constitution rules that match the action changed since"
    return None


def _params_change(before: str, now: Mapping[str, Any]) -> str:
    """``version 0.3.0, not 0.2.0``: what changed in an action's params since an approval."""
    try:
        old = json.loads(before)
    except ValueError:
        old = {}
    old = old if isinstance(old, dict) else {}
    keys = [*now, *(k for k in old if k not in now)]  # the facet's own order: what matters first
    changed = [k for k in keys if old.get(k) != now.get(k)]
    shown = [f"{k} {_short(now.get(k))}, not {_short(old.get(k))}" for k in changed[:3]]
    more = f" (+{len(changed) - 3} more)" if len(changed) > 3 else ""
    return "now has " + "; ".join(shown) + more if shown else "has other params"


_SHA = re.compile(r"[0-9a-f]{40}")


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else _ENCODE(value)
    if _SHA.fullmatch(text):
        return text[:12]
    return text if len(text) <= 40 else text[:37] + "..."


def _scope_key(scope: LimitScope, product: str, company: str | None) -> str:
    if scope is LimitScope.PRODUCT:
        return product
    return (company or "") if scope is LimitScope.COMPANY else ""


def _span(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
