"""The release facet: ``release.want: released`` holds when nothing releasable happened since the last
version tag and that version is in every registry of ``release.publish``.

Conventional commits since the last tag decide the next semver (or a pinned version has no tag yet):
``release.cut`` tags it with a changelog, then one ``release.publish/<registry>`` per registry missing
the version. Across products, a release.cut waits for the publishes of every product it depends on.

In pull-request mode (release-please's way) the release is a pull request of ``release/<product>``:
while none holds the branch's head, ``release.cut`` alone opens or updates it (the version bump and the
changelog) and nothing is published; once it is current, ``release.cut`` merges it through the forge
(held with the forge's reason while the forge will not, ``Action.pull``) and tags the merge, and the
publishes follow; one merged by a person is tagged. One a person closed waits until the branch moves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from codemonkeys.facets.base import (
    FacetDraft,
    FacetInput,
    FacetPlugin,
    FleetView,
    Ref,
    action_id,
    facet_state,
    pull_gate,
)
from codemonkeys.kinds.models import Product, Publish
from codemonkeys.vocab.deps import LANGUAGE_ECOSYSTEM, Published, breaks, conflicts, normalize
from codemonkeys.vocab.enums import Ecosystem, Versioning
from codemonkeys.vocab.facts import ProductFacts, PullFacts, ReleasePull, Unknown
from codemonkeys.vocab.plan import Action, ActionKind, FacetName, FacetState, PullGate
from codemonkeys.vocab.policy import FactValue
from codemonkeys.vocab.versioning import format_tag, version_in

WANT = "released"
COMPATIBLE = "release.compatible"


def published(name: str, product: Product) -> Published | None:
    """The product as a package of its language's ecosystem (its ``release.publish`` packages), None if
    it publishes nothing another product's manifest could name."""
    ecosystem = LANGUAGE_ECOSYSTEM.get(product.spec.language)
    rel = product.spec.release
    if ecosystem is None or rel is None or not rel.publish:
        return None
    return Published(name, ecosystem, frozenset(normalize(ecosystem, p.package) for p in rel.publish))


def published_versions(product: Product, facts: ProductFacts | None) -> tuple[list[list[str]], bool]:
    """The versions each registry of ``product``'s ``release.publish`` has, and whether every one of them
    was read (a registry not observed, or whose observation failed, is left out of the lists)."""
    if facts is None or product.spec.release is None:
        return [], False
    lists, complete = [], True
    for target in product.spec.release.publish:
        got = facts.registries.get(target.registry)
        if got is None or isinstance(got, Unknown):
            complete = False
        else:
            lists.append(got.versions)
    return lists, complete


def fleet_packages(products: Mapping[str, Product]) -> dict[Ecosystem, set[str]]:
    """Ecosystem -> the normalized package names the fleet publishes (what manifests are read for)."""
    out: dict[Ecosystem, set[str]] = {}
    for name, product in products.items():
        if (p := published(name, product)) is not None:
            out.setdefault(p.ecosystem, set()).update(p.packages)
    return out


@dataclass(frozen=True)
class _Target:
    version: str | None
    cut_needed: bool
    why: str


def _target(inp: FacetInput) -> _Target:
    """The version to be released and whether a cut is needed to get it."""
    rel, git = inp.product.spec.release, inp.git
    assert rel is not None
    if rel.versioning is Versioning.PINNED:
        tag = format_tag(inp.product.spec.tag_format, inp.name, rel.version)
        return _Target(rel.version, tag not in git.tags, f"pinned version {rel.version} has no tag")
    cut_needed = git.next_version is not None
    n = len(git.commits_since)
    why = (
        f"{n} commit{'s' if n != 1 else ''} since {git.last_tag} ({git.bump} bump)"
        if git.last_tag
        else "never released"
    )
    return _Target(git.next_version if cut_needed else git.last_version, cut_needed, why)


def target_version(inp: FacetInput) -> tuple[str | None, bool]:
    """The version the release facet reconciles ``inp``'s product to, and whether a cut is still due
    (what a later facet, deploy, rolls out once it is published)."""
    if inp.product.spec.release is None:
        return None, False
    target = _target(inp)
    return target.version, target.cut_needed


def _requires(_name: str, facts) -> list | None:
    git = facts.git
    return None if isinstance(git, Unknown) or not git.requires else git.requires


@dataclass(frozen=True)
class _FleetIndex:
    requires: dict[str, list]  # product -> its requirements on fleet packages (non-empty only)
    requirers: dict[tuple[Ecosystem, str], list[str]]  # a package -> the products whose manifests name it


def _fleet_index(fleet: FleetView) -> _FleetIndex:
    """Who requires what, once per plan (every product's cut reads it); each product's requirements
    derived again only when its facts changed (``FleetView.per_product``)."""

    def build() -> _FleetIndex:
        requires = fleet.per_product("release.requires", fleet.observed, _requires)
        requirers: dict[tuple[Ecosystem, str], list[str]] = {}
        for name, reqs in requires.items():
            for key in {(r.ecosystem, r.package) for r in reqs}:
                requirers.setdefault(key, []).append(name)
        return _FleetIndex(requires, requirers)

    return fleet.once("release.fleet-index", build)


def _published_of(fleet: FleetView, name: str) -> Published | None:
    """``published(name, ...)`` once per plan and product."""
    memo = fleet.once("release.published", dict)
    if name not in memo:
        product = fleet.products.get(name)
        memo[name] = published(name, product) if product is not None else None
    return memo[name]


def _requirers(fleet: FleetView, me: Published) -> list[str]:
    """The other fleet products whose manifests name one of ``me``'s packages, sorted."""
    index = _fleet_index(fleet)
    found = {n for pkg in me.packages for n in index.requirers.get((me.ecosystem, pkg), ())}
    found.discard(me.name)
    return sorted(found)


def compatibility(inp: FacetInput, version: str) -> tuple[list[str], list[dict[str, str]]]:
    """Pure: which fleet products a release of ``version`` breaks (their declared range on this product's
    packages excludes it: their names) and which could no longer install it next to another fleet product
    (``{product, with, range}``), from the manifest requirements of the products that require it."""
    me = published(inp.name, inp.product)
    if me is None or not inp.fleet.observed:
        return [], []
    index = _fleet_index(inp.fleet)
    requires = {n: index.requires[n] for n in _requirers(inp.fleet, me)}
    if not requires:
        return [], []
    versions = sorted(
        {v for f in inp.facts.registries.values() if not isinstance(f, Unknown) for v in f.versions}
    )
    fleet = {n: p for n in requires if (p := _published_of(inp.fleet, n)) is not None}
    broken = sorted({b.product for b in breaks(me, version, requires)})
    return broken, [c.as_param() for c in conflicts(me, version, requires, fleet, versions)]


def _compatibility_text(broken: list[str], clashes: list[dict[str, str]]) -> str:
    text = f"; breaks {', '.join(broken)}" if broken else ""
    if clashes:
        text += "; conflicts: " + ", ".join(
            f"{c['product']} with {c['with']} (needs {c['range']})" for c in clashes
        )
    return text


class ReleaseFacet(FacetPlugin):
    """Versions: observed from tags and registries; acted on by ``release.cut`` and ``release.publish``."""

    name = FacetName.RELEASE
    fact = "release.published"
    establishes = ActionKind.RELEASE_PUBLISH
    facts_field = "registries"
    observer = Ref("codemonkeys.facets.release.observer", "observe_release")
    side_observers = {"release_pull": Ref("codemonkeys.facets.release.observer", "observe_release_pull")}
    actuators = {
        ActionKind.RELEASE_CUT: Ref("codemonkeys.facets.release.actuators", "cut_release"),
        ActionKind.RELEASE_PUBLISH: Ref("codemonkeys.facets.release.actuators", "publish"),
    }
    waits_for_dependencies = {ActionKind.RELEASE_CUT: ActionKind.RELEASE_PUBLISH}
    action_facts = (COMPATIBLE,)

    def facts_of(self, actions) -> dict[str, FactValue]:
        """``release.compatible``: false when a planned release.cut breaks a dependent or a pair."""
        cuts = [a for a in actions if a.kind is ActionKind.RELEASE_CUT]
        bad = any(a.params.get("breaks") or a.params.get("conflicts") for a in cuts)
        return {COMPATIBLE: FactValue.FALSE if bad else FactValue.TRUE}

    def fleet_inputs(self, fleet: FleetView, name: str) -> str:
        """What ``compatibility`` reads for ``name``: the requirements of the products that require it
        and what they publish ("" when nothing in the fleet requires it)."""
        product = fleet.products.get(name)
        if product is None or not fleet.observed or not _fleet_index(fleet).requirers:
            return ""  # nothing in the fleet requires a fleet package: nothing read across products
        me = published(name, product)
        if me is None:
            return ""
        parts = []
        for other in _requirers(fleet, me):
            reqs = [r.model_dump(mode="json") for r in _fleet_index(fleet).requires[other]]
            p = _published_of(fleet, other)
            parts.append([other, reqs, [str(p.ecosystem), sorted(p.packages)] if p else None])
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest() if parts else ""

    def wants(self, product: Product) -> str | None:
        """``released`` when the product declares ``release``."""
        return WANT if product.spec.release is not None else None

    def plan(self, inp: FacetInput) -> FacetDraft:
        """Released, or a cut and the missing publishes once the build allows them."""
        rel = inp.product.spec.release
        assert rel is not None
        target = _target(inp)
        unknown = {r: f.error for r, f in inp.facts.registries.items() if isinstance(f, Unknown)}
        missing = [
            p
            for p in rel.publish
            if p.registry not in unknown
            and (
                target.cut_needed or not version_in(target.version, inp.facts.registries[p.registry].versions)
            )
        ]
        observed = f"{inp.git.last_version or 'unreleased'}"
        if not target.cut_needed and not missing and not unknown:
            where = ", ".join(p.registry for p in rel.publish) or "no registry"
            return FacetDraft(
                facet_state(WANT, observed, FacetState.IN_SYNC, f"{target.version} published to {where}")
            )
        if unknown and not target.cut_needed and not missing:
            message = "; ".join(unknown.values())
            return FacetDraft(facet_state(WANT, observed, FacetState.UNKNOWN, message), blocks=message)
        if inp.waiting_for is not None:
            return FacetDraft(facet_state(WANT, observed, FacetState.BLOCKED, f"waiting: {inp.waiting_for}"))
        gate: PullGate | None = None
        if target.cut_needed and inp.facts.release_pull is not None:
            gate, said = _release_pull(inp.facts.release_pull, target.version or "")
            if said is not None:  # no current release pull request to merge: open or update it (or wait)
                waits = f"{target.version} is not released yet: {said}"
                if gate is not None:  # closed by a person, nothing new since: a person must act (stuck)
                    return FacetDraft(facet_state(WANT, observed, FacetState.FAILED, said), blocks=waits)
                draft = self._actions(inp, target, [], None)
                message = f"{observed} -> {target.version}: {said}"
                return FacetDraft(facet_state(WANT, observed, FacetState.DRIFT, message), draft, blocks=waits)
        actions = self._actions(inp, target, missing, gate)
        message = (
            f"{observed} -> {target.version}"
            if target.cut_needed
            else f"{target.version} not yet in " + ", ".join(p.registry for p in missing)
        )
        if unknown:
            message += "; " + "; ".join(unknown.values())
        # later facets (deploy, announce; infra passes it on) wait for the publishes: the chain goes on
        published = tuple(a.id for a in actions if a.kind is ActionKind.RELEASE_PUBLISH)
        chain = (*inp.after, *(published or tuple(a.id for a in actions)))  # no registry: the cut itself
        return FacetDraft(facet_state(WANT, observed, FacetState.DRIFT, message), actions, chain=chain)

    @staticmethod
    def _actions(
        inp: FacetInput, target: _Target, missing: list[Publish], gate: PullGate | None
    ) -> tuple[Action, ...]:
        name, git = inp.name, inp.git
        tag = format_tag(inp.product.spec.tag_format, name, target.version)
        actions: list[Action] = []
        cut_id = None
        if target.cut_needed:
            cut_id = action_id(name, ActionKind.RELEASE_CUT)
            broken, clashes = compatibility(inp, target.version)
            params = {
                "version": target.version,
                "previous": git.last_version,
                "bump": str(git.bump),
                "tag": tag,
                "commit": git.head,
                "breaks": broken,
                "conflicts": clashes,
            }
            reason = f"release: want released, {target.why} -> {target.version}"
            reason += _compatibility_text(broken, clashes)
            actions.append(
                Action(
                    id=cut_id,
                    product=name,
                    kind=ActionKind.RELEASE_CUT,
                    params=params,
                    reason=reason,
                    depends_on=list(inp.after),
                    pull=gate,
                )
            )
        for pub in missing:
            actions.append(
                Action(
                    id=action_id(name, ActionKind.RELEASE_PUBLISH, pub.registry),
                    product=name,
                    kind=ActionKind.RELEASE_PUBLISH,
                    params={
                        "registry": pub.registry,
                        "package": pub.package,
                        "version": target.version,
                        "tag": tag,
                    },
                    reason=f"release: {pub.package} {target.version} is not in registry {pub.registry}",
                    depends_on=[cut_id] if cut_id else [],
                )
            )
        return tuple(actions)


def _release_pull(rp: ReleasePull, version: str) -> tuple[PullGate | None, str | None]:
    """What the release pull request asks of a due release of ``version``: a gate to merge or tag it
    through (the second value None), or why a pull request is to be opened or updated first (gate None),
    or why nothing happens (a gate and a reason: closed by a person, nothing new since)."""
    pull = rp.pull
    if isinstance(pull, Unknown):
        return pull_gate(pull)[0], None
    if not isinstance(pull, PullFacts):
        return None, "open its release pull request"
    if pull.state == "merged":
        if rp.version == version:
            return pull_gate(pull)[0], None
        return None, f"open a new release pull request (#{pull.number} released {rp.version or 'another'})"
    if pull.state == "open":
        if rp.current and rp.version == version:
            return pull_gate(pull)[0], None
        if pull.head != pull.proposed:
            return None, f"update release pull request #{pull.number} (someone pushed to its branch)"
        if rp.version != version:
            return None, f"update release pull request #{pull.number} ({rp.version} -> {version})"
        return None, f"update release pull request #{pull.number} (the branch moved)"
    if rp.current:
        said = (
            f"release pull request #{pull.number} was closed without merging: nothing is released until "
            "the branch moves or it is reopened"
        )
        return PullGate(number=pull.number, url=pull.url), said
    return None, f"open a new release pull request (#{pull.number} was closed)"
