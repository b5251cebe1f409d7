"""The facet plug-in interface: one slice of a product's desired state (build, docs, release, ...).

A facet is to Code Monkeys what one Flux controller is to Flux: it owns its slice (what it observes, a
pure planner that turns desired + observed into draft actions with reasons, the actuators that close
the gap) and plugs into the shared runtime (the observer, the planner's DAG and gate, the engine's
journal) instead of re-implementing it.

The planner part is pure and imported by ``plan/``; the observer and the actuators are named by
reference (``Ref("module", "function")``, like a Python entry point) and resolved by ``observe/`` and
``act/`` (``actuator_for``, called by the engine), so importing the planner loads no observer or
actuator code.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar

from pydantic import TypeAdapter

from codemonkeys.kinds.models import Product
from codemonkeys.vocab.enums import CIKind
from codemonkeys.vocab.facts import GitFacts, ProductFacts, PullFacts, Unknown
from codemonkeys.vocab.plan import Action, ActionKind, Facet, FacetName, FacetState, PullGate
from codemonkeys.vocab.policy import FactValue

OWN_FACTS = "facets"  # the facts_field of a facet with its own facts model (ProductFacts.facets[name])


@cache
def _adapter(model: Any) -> TypeAdapter:
    return TypeAdapter(model)


@dataclass(frozen=True)
class Ref:
    """A function named by module and attribute, imported on first use (an entry-point-style reference)."""

    module: str
    attr: str

    def load(self) -> Callable[..., Any]:
        """Import the module and return the function (cached per process)."""
        return _load(self.module, self.attr)

    def __str__(self) -> str:
        return f"{self.module}:{self.attr}"


@cache
def _load(module: str, attr: str) -> Callable[..., Any]:
    return getattr(importlib.import_module(module), attr)


class FleetMemo:
    """What facets derive per product from a fleet, kept across plans by a long-lived caller (the
    controller's session): ``FleetView.per_product`` recomputes only the entries whose source object
    changed since the last plan, so a plan of one product costs that product, not the fleet."""

    def __init__(self) -> None:
        self._kept: dict[Any, dict[str, tuple[Any, Any]]] = {}
        self._lock = threading.Lock()

    def refresh(
        self, key: Any, source: Mapping[str, Any], derive: Callable[[str, Any], Any]
    ) -> dict[str, Any]:
        """``{name: derive(name, item)}`` over ``source`` (None values left out), reusing each kept value
        whose item is the same object as when it was derived (sources are immutable values)."""
        with self._lock:
            kept = self._kept.setdefault(key, {})
            out = {}
            for name, item in source.items():
                entry = kept.get(name)
                if entry is None or entry[0] is not item:
                    entry = kept[name] = (item, derive(name, item))
                if entry[1] is not None:
                    out[name] = entry[1]
            if len(kept) > len(source):
                for gone in kept.keys() - source.keys():
                    del kept[gone]
            return out


@dataclass(frozen=True, eq=False)
class FleetView:
    """The whole fleet as one plan sees it (every product and its facts), for facets that look across
    products. ``once(key, compute)`` keeps what such a facet derives from it for the rest of the plan
    (e.g. who requires which package), so it is computed once per plan, not once per product;
    ``per_product`` derives a value per product, kept across plans when a ``FleetMemo`` is given."""

    products: Mapping[str, Product] = field(default_factory=dict)
    observed: Mapping[str, ProductFacts] = field(default_factory=dict)
    kept: FleetMemo | None = None
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def once(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` the first time ``key`` is asked for in this plan, the kept value after."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def per_product(
        self, key: Any, source: Mapping[str, Any], derive: Callable[[str, Any], Any]
    ) -> dict[str, Any]:
        """``{name: derive(name, item)}`` over ``source`` (None left out), once per plan; with ``kept``,
        derived again only for the items that changed since the caller's last plan."""

        def build() -> dict[str, Any]:
            if self.kept is not None:
                return self.kept.refresh(key, source, derive)
            return {n: v for n, item in source.items() if (v := derive(n, item)) is not None}

        return self.once(("per-product", key), build)


@dataclass(frozen=True)
class FacetInput:
    """What a facet's planner sees for one product whose git state is known."""

    name: str
    product: Product
    facts: ProductFacts
    git: GitFacts
    ci: CIKind
    after: tuple[str, ...] = ()  # action ids this facet's first action waits for (earlier facets' chain)
    waiting_for: str | None = None  # why the facet cannot act yet (an earlier facet blocks), if it can't
    fleet: FleetView = field(default_factory=FleetView)  # every product, for cross-product facets


@dataclass(frozen=True)
class FacetDraft:
    """A facet's verdict for one product: its state, its actions, and what it means for later facets."""

    facet: Facet
    actions: tuple[Action, ...] = ()
    chain: tuple[str, ...] = ()  # later facets' actions wait for these (empty: keep the earlier chain)
    blocks: str | None = None  # later facets wait for this reason (e.g. "the build of abc is red")


def facet_state(want: str, observed: str, state: FacetState, message: str = "") -> Facet:
    """A facet status for the plan document."""
    return Facet(
        want=want, observed=observed, in_sync=state is FacetState.IN_SYNC, state=state, message=message
    )


def action_id(product: str, kind: ActionKind, target: str | None = None) -> str:
    """The stable action id: ``<product>/<kind>`` plus ``/<target>`` where a product has several."""
    return f"{product}/{kind}" + (f"/{target}" if target else "")


def short(sha: str | None) -> str:
    """A commit id as shown in reasons."""
    return (sha or "?")[:12]


class FacetPlugin:
    """Base of a facet plug-in. Subclasses set the class attributes and implement ``wants`` and ``plan``.

    * ``name``: the key in a product's facets; ``fact`` the policy fact the facet establishes (what
      ``require:`` names) and ``establishes`` the action kind that makes it true, so an allowed upstream
      action of that kind makes the fact ``pending``.
    * ``facts_field``: the field of ``ProductFacts`` the facet's observer fills, or ``"facets"`` for a facet
      that brings its own model (``facts_model``), kept in ``ProductFacts.facets[name]`` and read with
      ``observed``; ``observer`` a ``Ref`` to ``fn(observer_run, product_name, git) -> facts``.
    * ``side_observers``: further ``ProductFacts`` fields the facet fills -> a ``Ref`` to an observer of
      the same shape (None: nothing to add), e.g. the release facet's release pull request.
    * ``actuators``: action kind -> ``Ref`` to ``fn(action, ctx) -> ActionResult``.
    * ``waits_for_dependencies``: action kind -> the kind of action of every ``dependsOn`` product it
      waits for (a release.cut waits for its dependencies' release.publish).
    * ``hooks``: event -> ``Ref``s called when an actuator announces the event (``build.green``: the heal
      strategy supersedes stale heal branches and learns from a person's fix), so that an actuator never
      imports another facet's.
    * ``action_facts``: policy facts beyond ``fact`` whose values ``facts_of`` reads from the drafted
      actions (``release.compatible``: no planned cut breaks a dependent).
    """

    name: ClassVar[FacetName]
    fact: ClassVar[str]
    establishes: ClassVar[ActionKind]
    facts_field: ClassVar[str]
    facts_model: ClassVar[Any] = None  # with facts_field "facets": the type the observer returns
    observer: ClassVar[Ref | None] = None
    side_observers: ClassVar[Mapping[str, Ref]] = {}
    actuators: ClassVar[Mapping[ActionKind, Ref]] = {}
    waits_for_dependencies: ClassVar[Mapping[ActionKind, ActionKind]] = {}
    action_facts: ClassVar[tuple[str, ...]] = ()  # further policy facts its drafted actions decide
    # further policy facts that hold exactly when ``fact`` does (established by the same actions): the
    # supply facet's ``release.sbom`` beside its ``release.signed``
    also_facts: ClassVar[tuple[str, ...]] = ()
    # event -> functions called when an actuator announces it (``act.run_hooks``): ``build.green`` is
    # ``fn(action, ctx, commit) -> str`` (what was learned), announced by the build actuators
    hooks: ClassVar[Mapping[str, tuple[Ref, ...]]] = {}
    column: ClassVar[bool] = True  # a column of the dashboard's grid (a state every product may have)

    def observed(self, facts: ProductFacts) -> Any:
        """What the facet's observer found for a product: its ``ProductFacts`` field, or its entry of
        ``ProductFacts.facets`` as ``facts_model`` (also when read back from JSON); None if not observed."""
        if self.facts_field != OWN_FACTS:
            return getattr(facts, self.facts_field)
        raw = facts.facets.get(self.name)
        return None if raw is None else _adapter(self.facts_model).validate_python(raw)

    def secret_env(self, product: Product) -> list[str]:
        """The environment variables holding secrets the facet's actuators read for ``product`` beyond
        the ``*Env`` fields and ``{secretRef}`` values of its document (redacted everywhere)."""
        return []

    def wants(self, product: Product) -> str | None:
        """The desired value this facet reconciles to (``green``, ``current`` ...), None if not declared."""
        raise NotImplementedError

    def plan(self, inp: FacetInput) -> FacetDraft:
        """Pure: the facet's state and the draft actions that close the gap (ungated, without waves)."""
        raise NotImplementedError

    def facts_of(self, actions: Sequence[Action]) -> dict[str, FactValue]:
        """Pure: the values of ``action_facts`` given the product's drafted actions (all facets' actions)."""
        return {}

    def fleet_inputs(self, fleet: FleetView, name: str) -> str:
        """Pure: a token of everything ``plan`` reads across products (``FacetInput.fleet``) for product
        ``name``, which changes whenever that does; "" for a facet that reads only its own product.
        Cached drafts (``plan/drafts.py``) are keyed by it: a facet that reads the fleet must override
        this, and should cover only what that product's plan reads (so a change elsewhere keeps its
        draft)."""
        return ""

    def unknown(self, want: str, error: str) -> FacetDraft:
        """The draft when the product's git state is unknown: nothing can be compared."""
        return FacetDraft(facet_state(want, "unknown", FacetState.UNKNOWN, error))


@dataclass(frozen=True)
class Registry:
    """The registered facets, in planning order (a facet may depend on the ones before it)."""

    facets: tuple[FacetPlugin, ...] = field(default_factory=tuple)

    def for_kind(self, kind: ActionKind) -> FacetPlugin:
        """The facet that owns action kind ``kind``."""
        for f in self.facets:
            if kind in f.actuators:
                return f
        raise KeyError(f"no facet owns action kind {kind}")

    def actuator(self, kind: ActionKind) -> Ref:
        """The actuator reference for ``kind``."""
        return self.for_kind(kind).actuators[kind]

    def hooks(self, event: str) -> tuple[Ref, ...]:
        """Every facet's hooks for ``event``, in registry order."""
        return tuple(ref for f in self.facets for ref in f.hooks.get(event, ()))

    def fact_names(self) -> tuple[str, ...]:
        """Every policy fact the facets establish (``fact``, ``also_facts``, ``action_facts``), in registry
        order: what a rule's ``require:`` may name (``kinds.models.fact_names`` adds the ``deps.`` forms)."""
        return tuple(dict.fromkeys(n for f in self.facets for n in (f.fact, *f.also_facts, *f.action_facts)))

    def cross_product_waits(self) -> dict[ActionKind, ActionKind]:
        """Every facet's ``waits_for_dependencies``, merged."""
        return {k: v for f in self.facets for k, v in f.waits_for_dependencies.items()}


def pull_gate(pull: PullFacts | Unknown | None) -> tuple[PullGate | None, str]:
    """What a merge action carries of its branch's pull request, and what its reason adds: the forge's
    reason while it will not merge it (an unreadable forge waits too), nothing in push mode."""
    if pull is None:
        return None, ""
    if isinstance(pull, Unknown):
        return PullGate(number=0, waiting=f"the forge cannot be read: {pull.error}"), ""
    if pull.state in ("merged", "closed"):
        said = "is merged" if pull.state == "merged" else "was closed"
        return PullGate(
            number=pull.number, url=pull.url, settled=pull.state
        ), f" (pull request #{pull.number} {said})"
    waiting = "" if pull.ready else pull.why or "the forge says it is not mergeable"
    if pull.proposed and pull.head != pull.proposed:  # someone pushed to the branch since it was proven
        waiting = (
            f"{pull.head[:12]} was pushed to its branch since {pull.proposed[:12]} was proposed and proven: "
            "close the pull request (a new attempt follows) or reset its branch"
        )
    gate = PullGate(number=pull.number, url=pull.url, waiting=waiting, approvers=list(pull.approvers))
    return gate, f" through pull request #{pull.number}"
