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
from dataclasses import dataclass, field
from datetime import datetime

from codemonkeys.facets import FACETS, FacetInput, Registry, action_id
from codemonkeys.facets.base import FleetView
from codemonkeys.kinds.models import Product
from codemonkeys.policy.gate import Gate, PolicyInput, metadata_json
from codemonkeys.vocab.enums import CIKind
from codemonkeys.vocab.facts import ProductFacts, Unknown
from codemonkeys.vocab.gcpause import gc_paused
from codemonkeys.vocab.plan import Action, Facet, FacetState, FleetRef, Plan, ProductPlan, Verdict
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


@dataclass
class ProductDraft:
    """Actions and facets of one product before gating and wave assignment."""

    actions: list[Action]
    facets: dict[str, Facet]


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
            establishing.pop(f.fact, None)
            base[f.fact] = _facet_fact(facet, False)
            if ids and not (facet is None or facet.in_sync):
                establishing[f.fact] = (f.name, ids, base[f.fact])
            later = {fact: FactValue.TRUE for fact in f.action_facts} | f.facts_of(actions)
            for fact in later.keys() & establishing.keys():  # a later value replaces the facet's own
                del establishing[fact]
            base |= later
        return cls(base, establishing)

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
) -> dict[str, FactValue]:
    """The facts an action can require: this product's and (prefixed deps.) its dependencies'."""
    memo = {} if memo is None else memo

    def of(product: str) -> dict[str, FactValue]:
        if product not in memo:
            memo[product] = _ProductFacts.of(drafts.get(product), registry)
        return memo[product].given(ancestors)

    facts = dict(of(name))
    deps = [of(d) for d in products[name].spec.depends_on]
    for fact in list(facts):
        values = [d[fact] for d in deps] or [FactValue.TRUE]
        facts[f"deps.{fact}"] = min(values, key=_RANK.__getitem__)
    return facts


# --- fingerprints and the dependency graph ------------------------------------------------------


def product_fingerprint(desired: DesiredView, facts: ProductFacts) -> str:
    """A short hash of one product's observed facts and the fleet revision (approvals bind to it)."""
    return _product_fingerprint(desired, facts.model_dump(mode="json"))


def _product_fingerprint(desired: DesiredView, facts: dict) -> str:
    doc = {"revision": desired.revision, "digest": desired.digest, "facts": facts}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def fingerprint(desired: DesiredView, observed: Mapping[str, ProductFacts]) -> str:
    """The plan fingerprint: the fleet revision, the desired-state digest and every observed fact."""
    return _fingerprint(desired, {name: facts.model_dump(mode="json") for name, facts in observed.items()})


def _fingerprint(desired: DesiredView, dumps: Mapping[str, dict]) -> str:
    doc = {
        "revision": desired.revision,
        "digest": desired.digest,
        "facts": {name: dumps[name] for name in sorted(dumps)},
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


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
    facts_memo: dict[str, _ProductFacts] = field(default_factory=dict)  # per product, ancestry aside
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
        return PolicyInput(
            action_id=a.id,
            kind=str(a.kind),
            product=desired.products[a.product],
            facts=_policy_facts(
                a.product, self.drafts, ancestors, desired.products, self.registry, self.facts_memo
            ),
            now=self.now,
            params=a.params,
            fleet=desired.name,
            revision=desired.revision,
            product_fingerprint=self.fingerprints[a.product],
            approvals=tuple(self.approvals.get(a.id, ())),
            earlier=earlier,
            product_json=self._metadata_json(a.product),
        )

    def _metadata_json(self, product: str) -> str:
        out = self.metadata_memo.get(product)
        if out is None:
            out = self.metadata_memo[product] = metadata_json(self.desired.products[product])
        return out


# --- the whole fleet --------------------------------------------------------------------------


def plan(
    desired: DesiredView,
    observed: Mapping[str, ProductFacts],
    gate: Gate,
    now: datetime,
    only: Iterable[str] | None = None,
    approvals: Mapping[str, Sequence[Approval]] | None = None,
    registry: Registry = FACETS,
) -> Plan:
    """Diff desired vs observed for the products in ``observed`` (or ``only``) into a gated Plan.

    ``approvals`` (action id -> approvals on record) lets held actions through; each approval counts
    only for the fleet revision and product fingerprint it was given for.
    """
    with gc_paused():  # no cyclic-GC passes while ~10 objects per action are built
        return _plan(desired, observed, gate, now, only, approvals, registry)


def _plan(
    desired: DesiredView,
    observed: Mapping[str, ProductFacts],
    gate: Gate,
    now: datetime,
    only: Iterable[str] | None,
    approvals: Mapping[str, Sequence[Approval]] | None,
    registry: Registry,
) -> Plan:
    names = sorted(set(only) if only is not None else set(observed))
    products = desired.products
    dumps = {n: observed[n].model_dump(mode="json") for n in names}  # once for both fingerprints
    fingerprints = {n: _product_fingerprint(desired, dumps[n]) for n in names}
    view = FleetView(products, observed)
    drafts = {
        n: plan_product(n, products[n], observed[n], desired.ci.get(n, CIKind.LOCAL), registry, view)
        for n in names
    }
    # Suspended products are observed and shown, never acted on.
    suspended = {n for n in names if products[n].spec.suspend}
    actions = {a.id: a for n in names if n not in suspended for a in drafts[n].actions}
    dag = action_dag(actions, products, registry)
    gating = _Gating(desired, drafts, dag, fingerprints, gate, now, approvals or {}, registry)
    planned = gating.run(actions, waves(dag))
    return Plan(
        fleet=FleetRef(root=desired.root, revision=desired.revision),
        fingerprint=_fingerprint(desired, dumps),
        actions=planned,
        products={
            n: ProductPlan(
                in_sync=all(f.in_sync for f in drafts[n].facets.values()),
                facets=drafts[n].facets,
                suspended=n in suspended,
                fingerprint=fingerprints[n],
            )
            for n in names
        },
    )
