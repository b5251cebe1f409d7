"""The change facet: cross-repo operations as governed changes (``cmctl fleet patch`` / ``fleet exec``).

A change is one diff per selected product, recorded as a proposal (store) with the selector, who and
when. Pure. Per open proposal of a product:

* ``proposed`` or ``building`` -> ``change.propose/<change>``: commit the diff on
  ``change/<change>/<product>`` (the product's branch is never touched), push, build the branch with
  the product's CI (the actuator resumes a proposal already committed); then ``change.merge/<change>``
  after it (the merge runs only if the proposal is green by then: one apply proves and merges; in
  pull-request mode the merge waits for the next round, when the forge's word on the pull request is
  observed);
* ``green`` -> ``change.merge/<change>``: land it on the product's branch (fast-forward, or a merge
  commit when the branch moved), delete the change branch; in pull-request mode through its pull
  request, held while the forge will not merge it (``Action.pull``);
* ``red`` -> nothing: the product waits for a person (the facet says which change is red);
* ``conflict`` (green, but it no longer merges into the product's branch) -> nothing: planned again
  only once someone drops it (``cmctl fleet drop``) or proposes it anew;
* ``merged`` proposals are not observed (closed).

A product without open proposals has no change facet at all (the facet draws nothing). The facet
waits for nothing before it and hands nothing on: a change is proven on its own branch, and what it
lands is built, documented and released by the other facets in the next round.

CEL sees ``action.params.change`` (the id), ``selector``, ``kind`` (patch | replace | exec | update),
``files``, ``lines``, ``author``, ``message`` and the ``diff`` (as an approver sees it) on both actions.

Dependency updates (``spec.dependencies.update.policy``): a fleet package the product's manifests name
whose product has published a version they exclude (``vocab.updates.pending``: that product's newest
version in every registry it publishes to, read from the fleet's facts) is proposed by the planner itself,
when the policy covers how far it is: ``change.propose/update-<package>-<version>`` with ``kind: update``
and ``params.update`` (package, version, level, dependency, each manifest's old and new range). Its
actuator records the proposal (the manifests rewritten at the branch head) and proves it like any change;
``change.merge`` after it lands it in the same apply once green, as long as the recorded proposal changes
only the manifests the gate saw; one a fix template healed, or one in pull-request mode, merges in a
later round, when the gate sees its recorded diff (and the forge's word). A product's updates are made
one after the other, each on the head the previous merge left.
An update on record in any state (a merged or dropped one too) is never proposed again.
"""

from __future__ import annotations

import hashlib
import json

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
from codemonkeys.facets.release.plugin import published, published_versions
from codemonkeys.kinds.models import Product
from codemonkeys.vocab.enums import Ecosystem, UpdatePolicy
from codemonkeys.vocab.facts import ChangeProposal, ChangeStatus, Unknown
from codemonkeys.vocab.plan import Action, ActionKind, FacetName, FacetState
from codemonkeys.vocab.updates import Update, covers, newest, pending

WANT = "merged"
DIFF_SHOWN = 8000  # characters of a diff kept in an action's params
UPDATE = "update"  # the kind of a dependency update's proposal
OPEN = (  # a proposal in these states is still to be proven, merged, or decided by a person
    ChangeStatus.PROPOSED,
    ChangeStatus.BUILDING,
    ChangeStatus.GREEN,
    ChangeStatus.RED,
    ChangeStatus.CONFLICT,
)
AUTHOR = "codemonkeys"  # who proposes dependency updates


def branch_name(change: str, product: str) -> str:
    """The branch a change is proven on: ``change/<change>/<product>``."""
    return f"change/{change}/{product}"


def params(p: ChangeProposal) -> dict:
    """What the constitution (CEL ``action.params``), the plan and an approver see of a proposal."""
    return {
        "change": p.change,
        "kind": p.kind,
        "selector": p.selector,
        "message": p.message,
        "author": p.author,
        "files": list(p.files),
        "lines": p.lines,
        "branch": p.branch,
        "base": p.base,
        "commit": p.commit,
        "diff": p.diff[:DIFF_SHOWN],
    } | ({"update": p.update} if p.update is not None else {})


def update_params(name: str, base: str, u: Update) -> dict:
    """The params of a dependency update the planner proposes (before any record of it exists): those of
    a recorded proposal, the diff still to be made."""
    return {
        "change": u.change,
        "kind": UPDATE,
        "selector": name,
        "message": update_message(u),
        "author": AUTHOR,
        "files": sorted({m for m, _, _ in u.edits}),
        "lines": 2 * len(u.edits),
        "branch": branch_name(u.change, name),
        "base": base,
        "commit": None,
        "diff": "",
        "update": u.as_param(),
    }


def update_message(u: Update) -> str:
    """The update commit's subject: a conventional ``fix(deps)``, so that the product's next release is a
    patch that carries it."""
    return f"fix(deps): take {u.package} {u.version}"


def policy(product: Product) -> UpdatePolicy:
    """How far ``product`` follows its fleet dependencies by itself (``none`` when not declared)."""
    deps = product.spec.dependencies
    return deps.update.policy if deps is not None else UpdatePolicy.NONE


def _releases(fleet: FleetView) -> tuple[dict, dict]:
    """Who publishes which package, and each such product's newest version in every registry it publishes
    to with all its versions (a registry not observed: the product is left out this round)."""

    def build() -> tuple[dict, dict]:
        publishers: dict[tuple[Ecosystem, str], str] = {}
        released: dict[str, tuple[str, list[str]]] = {}
        for name, product in fleet.products.items():
            pub = published(name, product)
            if pub is None:
                continue
            for package in pub.packages:
                publishers[(pub.ecosystem, package)] = name
            lists, complete = published_versions(product, fleet.observed.get(name))
            if complete and lists and (top := newest(lists)) is not None:
                released[name] = (top, sorted({v for versions in lists for v in versions}))
        return publishers, released

    return fleet.once("change.releases", build)


def updates(fleet: FleetView, name: str, requires: list) -> list[Update]:
    """The dependency updates ``name``'s manifests (``requires``) need now (``vocab.updates.pending``)."""
    if not requires:
        return []
    publishers, released = _releases(fleet)
    return pending(requires, publishers, {d: v for d, v in released.items() if d != name})


class ChangeFacet(FacetPlugin):
    """Change proposals: observed from the store; acted on by ``change.propose`` and ``change.merge``."""

    column = False  # only products with proposals have it: the Changes page shows them
    name = FacetName.CHANGE
    fact = "change.merged"
    establishes = ActionKind.CHANGE_MERGE
    facts_field = "change"
    observer = Ref("codemonkeys.facets.change.observer", "observe_change")
    actuators = {
        ActionKind.CHANGE_PROPOSE: Ref("codemonkeys.facets.change.actuators", "propose_change"),
        ActionKind.CHANGE_MERGE: Ref("codemonkeys.facets.change.actuators", "merge_change"),
    }

    def wants(self, product: Product) -> str | None:
        """Every product's proposals are wanted merged (a product without any draws no facet)."""
        return WANT

    def unknown(self, want: str, error: str) -> FacetDraft | None:  # type: ignore[override]
        """Git unknown: proposals wait for the next round without a facet of their own."""
        return None

    def fleet_inputs(self, fleet: FleetView, name: str) -> str:
        """The newest releases of the fleet packages ``name``'s manifests name (what its updates read),
        "" for a product that follows none."""
        product, facts = fleet.products.get(name), fleet.observed.get(name)
        if product is None or facts is None or policy(product) is UpdatePolicy.NONE:
            return ""
        git = facts.git
        if isinstance(git, Unknown) or not git.requires:
            return ""
        publishers, released = _releases(fleet)
        used = sorted({publishers[k] for r in git.requires if (k := (r.ecosystem, r.package)) in publishers})
        seen = json.dumps([[d, released.get(d)] for d in used], separators=(",", ":"))
        return hashlib.sha256(seen.encode()).hexdigest()[:16]

    def plan(self, inp: FacetInput) -> FacetDraft | None:  # type: ignore[override]
        """One action per open proposal and per dependency update due (see the module docstring); None
        without either."""
        f = inp.facts.change
        if isinstance(f, Unknown):
            return FacetDraft(facet_state(WANT, "unknown", FacetState.UNKNOWN, f.error))
        known = {p.change for p in f or ()}
        due: list[Update] = []
        if (follows := policy(inp.product)) is not UpdatePolicy.NONE:
            due = [
                u
                for u in updates(inp.fleet, inp.name, inp.git.requires)
                if u.change not in known and covers(follows, u.level)
            ]
        newer = {u.package for u in due}  # their proposal drops the older open update of the package
        f = [
            p
            for p in f or ()
            if p.status not in (ChangeStatus.MERGED, ChangeStatus.DROPPED)
            and not (p.kind == UPDATE and (p.update or {}).get("package") in newer)
        ]
        if not f and not due:
            return None
        actions: list[Action] = []
        red: list[str] = []
        clash: list[str] = []
        merges: list[str] = []
        notes: list[str] = []  # one per proposal, for the facet's message
        for u in due:
            moves = ", ".join(f"{m} {old or '*'} -> {new}" for m, old, new in u.edits)
            took = f"{u.dependency} published {u.package} {u.version} ({u.level})"
            reason = f"change: {took}: take it ({moves})"
            notes.append(reason.removeprefix("change: "))
            params = update_params(inp.name, inp.git.head, u)
            propose = Action(  # after the product's previous merge: made on the head that merge leaves
                id=action_id(inp.name, ActionKind.CHANGE_PROPOSE, u.change),
                product=inp.name,
                kind=ActionKind.CHANGE_PROPOSE,
                params=params,
                reason=reason,
                depends_on=merges[-1:],
            )
            merge = Action(
                id=action_id(inp.name, ActionKind.CHANGE_MERGE, u.change),
                product=inp.name,
                kind=ActionKind.CHANGE_MERGE,
                params=params,
                reason=f"change: {took}: merge it once it is green on {params['branch']}",
                depends_on=[*merges[-1:], propose.id],
            )
            actions += [propose, merge]
            merges.append(merge.id)
        for p in f:
            what = f"{p.change} ({len(p.files)} file(s), {p.lines} line(s))"
            merge_after = merges[-1:]  # a product's merges land one after the other
            if p.status in (ChangeStatus.PROPOSED, ChangeStatus.BUILDING):
                reason = (
                    f"change: {what} proposed by {p.author or 'someone'}: prove it on {p.branch}"
                    if p.status is ChangeStatus.PROPOSED
                    else f"change: {what} on {p.branch} has no build result yet"
                )
                notes.append(reason.removeprefix("change: "))
                propose = self._action(inp, ActionKind.CHANGE_PROPOSE, p, reason, [])
                actions.append(propose)
                if p.via_pull:  # its pull request merges in a later round, once the forge has seen it
                    continue
                merge_after = [*merge_after, propose.id]
                reason = f"change: {what}: merge it once it is green on {p.branch}"
            elif p.status is ChangeStatus.GREEN:
                gate, said = pull_gate(p.pull)
                reason = f"change: {what} is green on {p.branch}: merge it{said}"
                notes.append(reason.removeprefix("change: "))
            else:
                (clash if p.status is ChangeStatus.CONFLICT else red).append(p.change)
                continue
            merge = self._action(inp, ActionKind.CHANGE_MERGE, p, reason, merge_after)
            if p.status is ChangeStatus.GREEN and p.pull is not None:
                merge = merge.model_copy(update={"pull": gate})
            actions.append(merge)
            merges.append(merge.id)
        states = sorted({str(p.status) for p in f} | ({"update due"} if due else set()))
        observed = ",".join(states)
        if actions:
            message = "; ".join(notes)
            if red:
                message += f"; red: {', '.join(red)}"
            if clash:
                message += f"; conflicting: {', '.join(clash)}"
            return FacetDraft(facet_state(WANT, observed, FacetState.DRIFT, message), tuple(actions))
        said = []
        if red:
            said.append(f"change {', '.join(red)} is red on its branch: fix the change or propose another")
        if clash:
            said.append(
                f"change {', '.join(clash)} conflicts with {inp.product.spec.source.branch}: "
                "drop it (cmctl fleet drop) or propose it again"
            )
        message = "; ".join(said)
        return FacetDraft(facet_state(WANT, observed, FacetState.FAILED, message))

    def _action(
        self, inp: FacetInput, kind: ActionKind, p: ChangeProposal, reason: str, after: list[str]
    ) -> Action:
        return Action(
            id=action_id(inp.name, kind, p.change),
            product=inp.name,
            kind=kind,
            params=params(p),
            reason=reason,
            depends_on=after,
        )
