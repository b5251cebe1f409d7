"""The planner (stage 3: plan): a PURE function from desired + observed state to a gated Plan.

``plan(desired, observed, gate, now)`` does no I/O:

1. drafts: every registered facet (``facets.FACETS``: build, docs, release, ...) compares its slice of
   each product and drafts the actions that close the gap, chained within the product;
2. DAG: the drafts form a DAG (``ActionDag``); across products an action waits for its dependencies' actions
   as the facets declare (a release.cut waits for the release.publish of every product it dependsOn);
3. waves: the DAG's topological generations, ties broken by action id;
4. gate: every action passes through the constitution; its verdict lands in the plan;
5. the plan document (``codemonkeys.plan/v1``) with each product's facets and fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from codemonkeys.facets import FACETS, FacetInput, Registry, action_id
from codemonkeys.facets.base import FleetMemo, FleetView
from codemonkeys.kinds.models import Product
from codemonkeys.plan.drafts import DraftCache, draft_key
from codemonkeys.policy.gate import Gate, PolicyInput, canonical_json, metadata_json
from codemonkeys.vocab.enums import CIKind
from codemonkeys.vocab.facts import ProductFacts, Unknown
from codemonkeys.vocab.gcpause import gc_paused
from codemonkeys.vocab.plan import (
    Action,
    ActionKind,
    Decision,
    Facet,
    FacetName,
    FacetState,
    FleetRef,
    Plan,
    ProductPlan,
    Verdict,
    deliberately_denied,
)
from codemonkeys.vocab.policy import Approval, FactValue, HistoryEntry

__all__ = ["DesiredView", "action_id", "dependency_closure", "fingerprint", "plan", "plan_product"]


@dataclass(frozen=True)
class DesiredView:
    """The slice of the desired state the planner needs (decoupled from files and paths)."""

    root: str
    revision: str
    digest: str
    products: Mapping[str, Product]
    name: str = ""  # the Fleet's metadata.name
    ci: Mapping[str, CIKind] = field(default_factory=dict)  # product -> CI kind in effect (default local)
    # product -> the loader's content key of its document (``ProductEntry.source``); a product without
    # one is drafted afresh even when a ``DraftCache`` is given
    sources: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ProductDraft:
    """Actions and facets of one product before gating and wave assignment."""

    actions: list[Action]
    facets: dict[str, Facet]
    # its policy facts apart from ancestry (``_ProductFacts.of``), filled by the first plan that gates
    # it and kept with the draft (a function of the draft and the registry, which its key includes)
    policy: _ProductFacts | None = field(default=None, compare=False, repr=False)


def plan_product(
    name: str,
    product: Product,
    facts: ProductFacts,
    ci: CIKind = CIKind.LOCAL,
    registry: Registry = FACETS,
    fleet: FleetView | None = None,
) -> ProductDraft:
    """Every facet's draft for one product, chained in registry order; ``fleet`` (every product and its
    facts) for facets that look across products. Pure."""
    draft = ProductDraft([], {})
    git = facts.git
    chain: tuple[str, ...] = ()
    waiting: str | None = None
    for facet in registry.facets:
        want = facet.wants(product)
        if want is None:
            continue
        if isinstance(git, Unknown):
            out = facet.unknown(want, git.error)
        else:
            inp = FacetInput(name, product, facts, git, CIKind(ci), chain, waiting, fleet or FleetView())
            out = facet.plan(inp)
        if out is None:  # the facet has nothing to say about this product (no change proposal)
            continue
        draft.facets[facet.name] = out.facet
        draft.actions.extend(out.actions)
        chain = out.chain or chain
        waiting = waiting or out.blocks
    return draft


# --- facts the constitution can require -----------------------------------------------------

_WORST_FIRST = [FactValue.FALSE, FactValue.UNKNOWN, FactValue.PENDING, FactValue.TRUE]
_RANK = {v: i for i, v in enumerate(_WORST_FIRST)}


def _facet_fact(facet: Facet | None, pending: bool) -> FactValue:
    if facet is None or facet.in_sync:
        return FactValue.TRUE  # nothing wanted holds trivially
    if pending:
        return FactValue.PENDING
    return FactValue.UNKNOWN if facet.state is FacetState.UNKNOWN else FactValue.FALSE


def _product_facts(
    draft: ProductDraft | None, ancestors: set[str], registry: Registry
) -> dict[str, FactValue]:
    """Each facet's fact for one product: true, pending (an allowed upstream action establishes it), ..."""
    return dict(_ProductFacts.of(draft, registry).given(ancestors))


@dataclass
class _ProductFacts:
    """One product's facts apart from ``pending``, and per fact the actions that would establish it."""

    base: dict[str, FactValue]
    establishing: dict[str, tuple[str, tuple[str, ...], FactValue]]  # fact -> (facet, action ids, if none)

    @classmethod
    def of(cls, draft: ProductDraft | None, registry: Registry) -> _ProductFacts:
        facets = draft.facets if draft else {}
        actions = draft.actions if draft else []
        base: dict[str, FactValue] = {}
        establishing = {}
        for f in registry.facets:
            facet = facets.get(f.name)
            ids = tuple(a.id for a in actions if a.kind is f.establishes)
            for fact in (f.fact, *f.also_facts):
                establishing.pop(fact, None)
                base[fact] = _facet_fact(facet, False)
                if ids and not (facet is None or facet.in_sync):
                    establishing[fact] = (f.name, ids, base[fact])
            later = {fact: FactValue.TRUE for fact in f.action_facts} | f.facts_of(actions)
            for fact in later.keys() & establishing.keys():  # a later value replaces the facet's own
                del establishing[fact]
            base |= later
        return cls(base, establishing)

    def pending_in(self, ancestors: set[str]) -> bool:
        """Whether an action of ``ancestors`` establishes one of the facts (``given`` differs from base)."""
        return bool(ancestors) and any(
            i in ancestors for _, ids, _ in self.establishing.values() for i in ids
        )

    def given(self, ancestors: set[str]) -> dict[str, FactValue]:
        """The facts when ``ancestors`` are the allowed actions upstream of the one being gated (``base``
        itself when none establishes anything: do not change it)."""
        if not ancestors or not self.establishing:
            return self.base
        out = None
        for fact, (_, ids, _) in self.establishing.items():
            if any(i in ancestors for i in ids):
                out = dict(self.base) if out is None else out
                out[fact] = FactValue.PENDING
        return self.base if out is None else out


def _policy_facts(
    name: str,
    drafts: Mapping[str, ProductDraft],
    ancestors: set[str],
    products,
    registry: Registry,
    memo: dict[str, _ProductFacts] | None = None,
    plain: dict[str, dict[str, FactValue]] | None = None,
) -> dict[str, FactValue]:
    """The facts an action can require: this product's and (prefixed deps.) its dependencies'.

    ``plain`` memoizes, per product, the result when no action of ``ancestors`` establishes a fact of
    it or of a dependency (then it depends on the product alone: most actions); callers must not
    mutate what is returned."""
    memo = {} if memo is None else memo

    def facts_of(product: str) -> _ProductFacts:
        out = memo.get(product)
        if out is None:
            draft = drafts.get(product)
            if draft is None:
                out = _ProductFacts.of(None, registry)
            else:
                if draft.policy is None:
                    draft.policy = _ProductFacts.of(draft, registry)
                out = draft.policy
            memo[product] = out
        return out

    depends_on = products[name].spec.depends_on
    if plain is not None and (
        not ancestors or not any(facts_of(p).pending_in(ancestors) for p in (name, *depends_on))
    ):
        cached = plain.get(name)
        if cached is None:
            cached = plain[name] = _policy_facts(name, drafts, set(), products, registry, memo)
        return cached

    facts = dict(facts_of(name).given(ancestors))
    deps = [facts_of(d).given(ancestors) for d in depends_on]
    for fact in list(facts):
        values = [d[fact] for d in deps] or [FactValue.TRUE]
        facts[f"deps.{fact}"] = min(values, key=_RANK.__getitem__)
    return facts


# --- fingerprints and the dependency graph ------------------------------------------------------


# Canonical JSON (sorted keys, no spaces): a nested value's encoding is a substring of its parent's, so
# each product's facts are encoded once and spliced into both fingerprints' documents.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def facts_json(facts: ProductFacts) -> str:
    """One product's observed facts as the canonical JSON both fingerprints hash."""
    return _CANONICAL(facts.model_dump(mode="json"))


def facts_parts(facts: ProductFacts) -> dict[str, str]:
    """Each field of one product's observed facts as canonical JSON (``_spliced`` of them is
    ``facts_json``): an action's fingerprint hashes only the fields it depends on."""
    return {key: _CANONICAL(value) for key, value in facts.model_dump(mode="json").items()}


def _spliced(parts: Mapping[str, str]) -> str:
    return "{" + ",".join(f"{_CANONICAL(k)}:{parts[k]}" for k in sorted(parts)) + "}"


def product_fingerprint(desired: DesiredView, name: str, facts: ProductFacts, fleet: str = "") -> str:
    """A short hash of what product ``name``'s decisions depend on besides the constitution and the
    params (approvals bind to it): its document, the documents of the products it depends on, its
    observed facts and ``fleet``, what its facets read of the other products' facts
    (``FacetPlugin.fleet_inputs``). Never the fleet's path, revision or unrelated products' files."""
    return _product_fingerprint(desired, name, facts_json(facts), fleet)


def _product_fingerprint(desired: DesiredView, name: str, facts: str, fleet: str) -> str:
    # == sha256(canonical {"dependencies": {NAME: DOC}, "document": DOC, "facts", "fleet"}), DOC the
    # SHA-256 of a product document's JSON
    products = desired.products
    product = products[name]
    deps = {d: document_hash(products[d]) for d in sorted(product.spec.depends_on) if d in products}
    doc = (
        f'{{"dependencies":{_CANONICAL(deps)},"document":{_CANONICAL(document_hash(product))},'
        f'"facts":{facts},"fleet":{_CANONICAL(fleet)}}}'
    )
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


def action_fingerprint(
    desired: DesiredView, name: str, facts: ProductFacts, field: str, fleet: str = ""
) -> str:
    """A short hash of what one action of product ``name`` acts on (an approval binds to it, with the
    params and the matching rules): the product's document, its dependencies' documents, ``fleet`` (as
    ``product_fingerprint``) and, of its observed facts, only its git state and ``field``, the facts of
    the facet that owns the action (``FacetPlugin.facts_field``). What the product's other facets do
    meanwhile (its build turning green before a held cut) does not change it."""
    return _action_fingerprint(desired, name, facts_parts(facts), field, fleet)


def _action_fingerprint(
    desired: DesiredView, name: str, parts: Mapping[str, str], field: str, fleet: str
) -> str:
    # the product's fingerprint over a part of its facts: {"git", FIELD}, without what a forge says of
    # pull requests (a review or a check there does not change what an approval approved)
    facts = _spliced({k: _without_pulls(parts.get(k, "null")) for k in {"git", field}})
    return _product_fingerprint(desired, name, facts, fleet)


_UNBOUND = frozenset({"pull", "llm_down"})  # facts an approval does not bind to (they move on their own)


def _without_pulls(part: str) -> str:
    """A facts field's canonical JSON without the facts an approval does not bind to: the ``pull`` facts
    nested in it (a heal attempt's, a change proposal's: the forge's view of a pull request, which moves
    with every review and check) and the LLM's outage (``llm_down``: its next try moves by itself)."""
    if '"pull":' not in part and '"llm_down":' not in part:
        return part

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _UNBOUND}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return _CANONICAL(strip(json.loads(part)))


_DOCUMENTS: dict[int, tuple[Product, str]] = {}  # id(product) -> (product, its hash): a cache, not state


def document_hash(product: Product) -> str:
    """The SHA-256 of a product document's JSON (as loaded: the fleet's defaults merged in), computed
    once per loaded document."""
    cached = _DOCUMENTS.get(id(product))
    if cached is not None and cached[0] is product:
        return cached[1]
    if len(_DOCUMENTS) >= 100_000:
        _DOCUMENTS.clear()
    out = hashlib.sha256(product.model_dump_json(by_alias=True).encode()).hexdigest()
    _DOCUMENTS[id(product)] = (product, out)
    return out


def legacy_product_fingerprint(desired: DesiredView, facts: str) -> str:
    """The fingerprint approvals were bound to before they were bound to what they approve: the fleet
    revision, the desired-state digest and the product's facts (``facts`` as ``facts_json``). Computed
    only for an action with such an approval on record."""
    doc = (
        f'{{"digest":{_CANONICAL(desired.digest)},"facts":{facts},"revision":{_CANONICAL(desired.revision)}}}'
    )
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


def fingerprint(desired: DesiredView, observed: Mapping[str, ProductFacts]) -> str:
    """The plan fingerprint: the fleet revision, the desired-state digest and every observed fact."""
    return _fingerprint(desired, {name: facts_json(facts) for name, facts in observed.items()})


def _fingerprint(desired: DesiredView, encoded: Mapping[str, str]) -> str:
    h = hashlib.sha256(f'{{"digest":{_CANONICAL(desired.digest)},"facts":{{'.encode())
    for i, name in enumerate(sorted(encoded)):
        h.update(f"{',' if i else ''}{_CANONICAL(name)}:{encoded[name]}".encode())
    h.update(f'}},"revision":{_CANONICAL(desired.revision)}}}'.encode())
    return h.hexdigest()


def dependency_closure(products: Mapping[str, Product], selected: Iterable[str]) -> set[str]:
    """``selected`` plus everything they depend on, transitively (a walk: linear in what it reaches)."""
    out: set[str] = set()
    stack = [name for name in selected if name not in out]
    while stack:
        name = stack.pop()
        if name in out:
            continue
        out.add(name)
        product = products.get(name)
        if product is not None:
            stack.extend(d for d in product.spec.depends_on if d not in out)
    return out


class ActionDag:
    """Actions and what each waits for: adjacency dicts (a networkx DiGraph costs ~10x more to build
    for 10,000 actions, and planning needs only predecessors, successors and generations)."""

    def __init__(self, nodes: Iterable[str]):
        self.pred: dict[str, dict[str, None]] = {n: {} for n in nodes}  # node -> predecessors (ordered)
        self.succ: dict[str, dict[str, None]] = {n: {} for n in self.pred}

    def add_edge(self, before: str, after: str) -> None:
        """``after`` waits for ``before`` (both become nodes)."""
        self.pred.setdefault(after, {})[before] = None
        self.succ.setdefault(before, {})[after] = None
        self.pred.setdefault(before, {})
        self.succ.setdefault(after, {})

    def predecessors(self, node: str) -> Iterable[str]:
        """The actions ``node`` waits for."""
        return self.pred[node].keys()

    def edges(self) -> list[tuple[str, str]]:
        """Every (before, after) pair."""
        return [(u, v) for v, us in self.pred.items() for u in us]


def action_dag(
    actions: Mapping[str, Action], products: Mapping[str, Product], registry: Registry
) -> ActionDag:
    """Actions as a DAG: their own ``depends_on`` plus the facets' cross-product waits."""
    dag = ActionDag(actions)
    for a in actions.values():
        for d in a.depends_on:
            dag.add_edge(d, a.id)
    by_kind: dict[tuple[str, str], list[str]] = {}
    for a in actions.values():
        by_kind.setdefault((a.product, a.kind), []).append(a.id)
    waits = registry.cross_product_waits()
    for a in actions.values():
        upstream_kind = waits.get(a.kind)
        if upstream_kind is None:
            continue
        for dep in products[a.product].spec.depends_on:
            for u in by_kind.get((dep, upstream_kind), ()):
                dag.add_edge(u, a.id)
    return dag


def waves(dag: ActionDag) -> dict[str, int]:
    """Wave number of every action: its topological generation, starting at 1 (Kahn's algorithm by
    levels, linear); ``ValueError`` on a cycle."""
    indegree = {n: len(p) for n, p in dag.pred.items()}
    current = [n for n, d in indegree.items() if d == 0]
    out: dict[str, int] = {}
    wave = 1
    while current:
        following = []
        for node in current:
            out[node] = wave
            for after in dag.succ[node]:
                indegree[after] -= 1
                if indegree[after] == 0:
                    following.append(after)
        current, wave = following, wave + 1
    if len(out) != len(indegree):
        raise ValueError("the actions' dependencies form a cycle")
    return out


def _ancestors_within(dag: ActionDag, node: str, scope: set[str]) -> set[str]:
    """Ancestors of ``node`` reachable through nodes of ``scope`` (a walk over predecessors)."""
    seen: set[str] = set()
    stack = [node]
    pred = dag.pred
    while stack:
        for p in pred[stack.pop()]:
            if p in scope and p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


# --- gating ----------------------------------------------------------------------------------


@dataclass
class _Gating:
    """The inputs of gating one plan's actions, in wave order."""

    desired: DesiredView
    drafts: Mapping[str, ProductDraft]
    dag: ActionDag
    fingerprints: Mapping[str, str]
    gate: Gate
    now: datetime
    approvals: Mapping[str, Sequence[Approval]]
    registry: Registry
    legacy: Mapping[str, str] = field(default_factory=dict)  # product -> legacy fingerprint, if needed
    bound: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (product, facts field) -> its
    fields: Mapping[str, str] = field(default_factory=dict)  # action kind -> its facet's facts field
    facts_memo: dict[str, _ProductFacts] = field(default_factory=dict)  # per product, ancestry aside
    plain_memo: dict[str, dict[str, FactValue]] = field(default_factory=dict)  # nothing pending upstream
    facts_json_memo: dict[str, str] = field(default_factory=dict)  # plain_memo's facts as JSON
    metadata_memo: dict[str, str] = field(default_factory=dict)  # per product, its metadata's JSON

    def scopes(self, actions: Mapping[str, Action]) -> dict[str, set[str]]:
        """Per product, the actions of it and its direct dependencies. The facts an action may require
        concern only those products, and every path into this product from a dependency passes through
        its actions, so ancestry within that scope is exact and cheap."""
        by_product: dict[str, list[str]] = {}
        for aid, a in actions.items():
            by_product.setdefault(a.product, []).append(aid)
        products = self.desired.products
        return {
            p: {x for q in (p, *products[p].spec.depends_on) for x in by_product.get(q, ())}
            for p in by_product
        }

    def run(self, actions: Mapping[str, Action], wave_of: Mapping[str, int]) -> list[Action]:
        """Decide every action in wave order; a fact is ``pending`` only if an allowed upstream action
        establishes it, and budgets count the actions allowed before (passed in, the gate keeps no state)."""
        scopes = self.scopes(actions)
        allowed: set[str] = set()
        earlier: list[HistoryEntry] = []
        planned: list[Action] = []
        for aid in sorted(actions, key=lambda x: (wave_of[x], x)):
            a = actions[aid]
            ancestors = _ancestors_within(self.dag, aid, scopes[a.product]) & allowed
            decision = self.gate.decide(self._input(a, ancestors, tuple(earlier)))
            if a.pull is not None and a.pull.waiting and decision.verdict is Verdict.ALLOW:
                decision = forge_hold(decision, a)
            elif a.pull and a.pull.settled and a.kind in _RECORDS_ONLY and decision.verdict is Verdict.HOLD:
                decision = forge_settled(decision, a)
            if decision.verdict is Verdict.ALLOW:
                allowed.add(aid)
                if self.gate.has_budgets:
                    meta = self.desired.products[a.product].metadata
                    labels = tuple(sorted(meta.labels.items()))
                    earlier.append(HistoryEntry(str(a.kind), a.product, meta.company, self.now, a.id, labels))
            deps = sorted(self.dag.predecessors(aid))
            planned.append(
                a.model_copy(update={"wave": wave_of[aid], "depends_on": deps, "decision": decision})
            )
        return planned

    def _input(self, a: Action, ancestors: set[str], earlier: tuple[HistoryEntry, ...]) -> PolicyInput:
        desired = self.desired
        facts = _policy_facts(
            a.product,
            self.drafts,
            ancestors,
            desired.products,
            self.registry,
            self.facts_memo,
            self.plain_memo,
        )
        encoded = None
        if facts is self.plain_memo.get(a.product):  # the product's shared facts: encoded once
            encoded = self.facts_json_memo.get(a.product)
            if encoded is None:
                encoded = self.facts_json_memo[a.product] = canonical_json(facts)
        inp = PolicyInput(
            action_id=a.id,
            kind=str(a.kind),
            product=desired.products[a.product],
            facts=facts,
            facts_json=encoded,
            now=self.now,
            params=a.params,
            fleet=desired.name,
            revision=desired.revision,
            product_fingerprint=self.fingerprints[a.product],
            legacy_fingerprint=self.legacy.get(a.product, ""),
            action_fingerprint=self.bound.get((a.product, self.fields.get(a.kind, "")), ""),
            approvals=tuple(self.approvals.get(a.id, ())),
            earlier=earlier,
            product_json=self._metadata_json(a.product),
        )
        if a.pull is None or not a.pull.approvers:
            return inp
        reviews = review_approvals(inp, a, self.gate.rules_digest(inp))
        return replace(inp, approvals=(*inp.approvals, *reviews))

    def _metadata_json(self, product: str) -> str:
        out = self.metadata_memo.get(product)
        if out is None:
            out = self.metadata_memo[product] = metadata_json(self.desired.products[product])
        return out


def forge_hold(decision: Decision, a: Action) -> Decision:
    """An allowed merge whose pull request the forge will not merge yet is held with the forge's reason
    (rule ``forge``): the next plan lets it through once the forge would merge it. No ``cmctl approve``
    lifts it; a review, a green check or a rebase on the forge does."""
    assert a.pull is not None
    where = f"pull request #{a.pull.number}" if a.pull.number else "its pull request"
    where += f" ({a.pull.url})" if a.pull.url else ""
    message = f"the forge will not merge {where} yet: {a.pull.waiting}"
    held = {"verdict": Verdict.HOLD, "rule": "forge", "message": message, "audit": []}
    return decision.model_copy(update=held)


_RECORDS_ONLY = frozenset({ActionKind.HEAL_MERGE, ActionKind.CHANGE_MERGE})  # a settled pull: bookkeeping


def forge_settled(decision: Decision, a: Action) -> Decision:
    """A merge held for an approval whose pull request a person already merged (or closed) on the forge
    only records what was done there: it runs (a person with the right to merge decided). A deny stands."""
    assert a.pull is not None
    message = f"pull request #{a.pull.number} was {a.pull.settled} on the forge by a person: only recorded"
    return decision.model_copy(update={"verdict": Verdict.ALLOW, "rule": "forge", "message": message})


def review_approvals(inp: PolicyInput, a: Action, rules: str) -> list[Approval]:
    """The approving reviews of the pull request ``a`` merges, as approvals bound to what the plan shows
    now (the reviews are of its current head: a new push makes them stale on the forge)."""
    assert a.pull is not None
    params = inp.params_json()
    return [
        Approval(
            approver=name,
            revision=inp.revision,
            fingerprint=inp.bound_to,
            comment=f"approving review of pull request #{a.pull.number}",
            params=params,
            rules=rules,
        )
        for name in a.pull.approvers
    ]


# --- the whole fleet --------------------------------------------------------------------------


def _drafts(
    desired: DesiredView,
    observed: Mapping[str, ProductFacts],
    names: list[str],
    encoded: Mapping[str, str],
    registry: Registry,
    view: FleetView,
    cache: DraftCache | None,
    fleet_tokens: Mapping[str, str],
) -> dict[str, ProductDraft]:
    """Every product's draft: kept by ``cache`` when its key is unchanged, else drafted (and kept)."""
    products, out = desired.products, {}
    facets = ",".join(type(f).__qualname__ for f in registry.facets)
    for n in names:
        ci = desired.ci.get(n, CIKind.LOCAL)
        source = desired.sources.get(n) if cache is not None else None
        if cache is None or source is None:
            out[n] = plan_product(n, products[n], observed[n], ci, registry, view)
            continue
        key = draft_key(cache.version, source, f"{ci}:{facets}", fleet_tokens[n], encoded[n])
        draft = cache.get(n, key)
        if draft is None:
            draft = plan_product(n, products[n], observed[n], ci, registry, view)
            cache.put(n, key, draft)
        out[n] = draft
    return out


def plan(
    desired: DesiredView,
    observed: Mapping[str, ProductFacts],
    gate: Gate,
    now: datetime,
    only: Iterable[str] | None = None,
    approvals: Mapping[str, Sequence[Approval]] | None = None,
    registry: Registry = FACETS,
    drafts: DraftCache | None = None,
    fleet_memo: FleetMemo | None = None,
) -> Plan:
    """Diff desired vs observed for the products in ``observed`` (or ``only``) into a gated Plan.

    ``approvals`` (action id -> approvals on record) lets held actions through; each approval counts
    only for the fleet revision and product fingerprint it was given for. ``drafts`` keeps each
    product's draft between plans (``plan/drafts.py``): a product whose document, facts, CI and
    cross-product inputs are those of its kept draft is not drafted again (the plan is the same).
    ``fleet_memo``, kept by a long-lived caller, keeps what facets derive per product from the whole
    fleet between its plans (``FleetView.per_product``), so planning one product does not read the
    fleet again.
    """
    with gc_paused():  # no cyclic-GC passes while ~10 objects per action are built
        return _plan(desired, observed, gate, now, only, approvals, registry, drafts, fleet_memo)


def _plan(
    desired: DesiredView,
    observed: Mapping[str, ProductFacts],
    gate: Gate,
    now: datetime,
    only: Iterable[str] | None,
    approvals: Mapping[str, Sequence[Approval]] | None,
    registry: Registry,
    cache: DraftCache | None = None,
    fleet_memo: FleetMemo | None = None,
) -> Plan:
    names = sorted(set(only) if only is not None else set(observed))
    products = desired.products
    parts = {n: facts_parts(observed[n]) for n in names}  # once for every fingerprint
    encoded = {n: _spliced(parts[n]) for n in names}
    view = FleetView(products, observed, fleet_memo)
    # per product, what its facets read of the others (the drafts' keys and the fingerprints cover it)
    tokens = {n: "|".join(f.fleet_inputs(view, n) for f in registry.facets) for n in names}
    fingerprints = {n: _product_fingerprint(desired, n, encoded[n], tokens[n]) for n in names}
    drafts = _drafts(desired, observed, names, encoded, registry, view, cache, tokens)
    plan_fingerprint = _fingerprint(desired, encoded)
    approvals = approvals or {}
    legacy = {  # only products with an approval given before approvals were bound to params and rules
        p: legacy_product_fingerprint(desired, encoded[p])
        for p in {aid.split("/", 1)[0] for aid, given in approvals.items() if any(a.legacy for a in given)}
        if p in encoded
    }
    del encoded  # ~1 KiB per product, not kept while gating
    # Suspended products are observed and shown, never acted on.
    suspended = {n for n in names if products[n].spec.suspend}
    actions = {a.id: a for n in names if n not in suspended for a in drafts[n].actions}
    fields = {kind: registry.for_kind(kind).facts_field for kind in {a.kind for a in actions.values()}}
    bound: dict[tuple[str, str], str] = {}  # (product, facts field) -> the fingerprint approvals bind to
    for a in actions.values():
        key = (a.product, fields[a.kind])
        if key not in bound:
            bound[key] = _action_fingerprint(desired, a.product, parts[a.product], key[1], tokens[a.product])
    del parts, tokens
    dag = action_dag(actions, products, registry)
    gating = _Gating(
        desired, drafts, dag, fingerprints, gate, now, approvals, registry, legacy, bound, fields
    )
    planned = gating.run(actions, waves(dag))
    held = _held_facets(planned, registry)
    settled = _settled_changes(planned)
    facets = {n: _with_settled(_with_held(drafts[n].facets, held.get(n)), settled.get(n)) for n in names}
    return Plan(
        fleet=FleetRef(root=desired.root, revision=desired.revision),
        fingerprint=plan_fingerprint,
        actions=planned,
        products={
            n: ProductPlan(
                in_sync=all(f.in_sync for f in facets[n].values()),
                facets=facets[n],
                suspended=n in suspended,
                fingerprint=fingerprints[n],
            )
            for n in names
        },
    )


def _settled_changes(planned: list[Action]) -> dict[str, list[Action]]:
    """Per product whose every cross-repo change action (``change.*``) the constitution denies on
    purpose: those actions. Such a proposal is settled, as a rejected pull request is: the product is not
    drifting for it, and its dependents do not wait on it."""
    changes: dict[str, list[Action]] = {}
    for a in planned:
        if str(a.kind).startswith(f"{FacetName.CHANGE}."):
            changes.setdefault(a.product, []).append(a)
    return {p: acts for p, acts in changes.items() if all(deliberately_denied(a.decision) for a in acts)}


def _with_settled(facets: dict[str, Facet], denied: list[Action] | None) -> dict[str, Facet]:
    """``facets`` with the change facet in sync when each of its proposals is denied on purpose (its
    message says by which rule)."""
    change = facets.get(FacetName.CHANGE) if denied else None
    if change is None or change.in_sync or change.state is FacetState.FAILED or not denied:
        return facets  # a red or conflicting proposal still waits for a person
    said = "; ".join(f"{a.id} denied by {a.decision.rule}: {a.decision.message}" for a in denied)
    settled = change.model_copy(update={"in_sync": True, "state": FacetState.IN_SYNC, "message": said})
    return {**facets, FacetName.CHANGE: settled}


def _held_facets(planned: list[Action], registry: Registry) -> dict[str, dict[str, Action]]:
    """Per product, the facets whose action the constitution holds for approval (the first held one)."""
    out: dict[str, dict[str, Action]] = {}
    for a in planned:
        if a.decision.verdict is Verdict.HOLD:
            out.setdefault(a.product, {}).setdefault(registry.for_kind(a.kind).name, a)
    return out


def _with_held(facets: dict[str, Facet], held: dict[str, Action] | None) -> dict[str, Facet]:
    """``facets`` with each facet whose action is held in state ``held`` (the drafts' own facets are
    kept by the draft cache: copied, never changed)."""
    if not held:
        return facets
    out = dict(facets)
    for name, action in held.items():
        facet = out.get(name)
        if facet is None or facet.in_sync:
            continue
        d = action.decision
        held = f"{action.id} held by {d.rule}: {d.message}"
        message = f"{facet.message}; {held}" if facet.message else held
        out[name] = facet.model_copy(update={"state": FacetState.HELD, "message": message})
    return out
