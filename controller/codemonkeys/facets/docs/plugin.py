"""The docs facet: ``docs.want: current`` holds when the preview was built from HEAD's docs inputs and every
``docs.publish`` target shows readers that site (a versioned branch: HEAD's docs as ``dev``, the newest
release's built from its tag, the alias and the root on it).

Docs inputs hash the docs sources, the MkDocs config and (living docs) the public API fingerprint of
HEAD from the oracle's code graph: a body-only change keeps docs current, an API change makes them stale.
A ``docs.publish/<target>`` per target that differs, after the ``docs.build`` when there is one (the
strict build proves the site first); a target that cannot be read is unknown and blocks only itself.
"""

from __future__ import annotations

from codemonkeys.facets.base import (
    FacetDraft,
    FacetInput,
    FacetPlugin,
    Ref,
    action_id,
    facet_state,
    pull_gate,
    short,
)
from codemonkeys.kinds.models import DocsBranchTarget, DocsSshTarget, Product
from codemonkeys.vocab.facts import DocsTargetFacts, GitFacts, Unknown
from codemonkeys.vocab.plan import Action, ActionKind, FacetName, FacetState

WANT = "current"


class DocsFacet(FacetPlugin):
    """Published docs: observed from the published stamp; acted on by ``docs.build`` (MkDocs)."""

    name = FacetName.DOCS
    fact = "docs.current"
    establishes = ActionKind.DOCS_BUILD
    facts_field = "docs"
    observer = Ref("codemonkeys.facets.docs.observer", "observe_docs_facet")
    actuators = {
        ActionKind.DOCS_BUILD: Ref("codemonkeys.facets.docs.actuators", "build_docs"),
        ActionKind.DOCS_PUBLISH: Ref("codemonkeys.facets.docs.actuators", "publish_docs"),
    }

    def wants(self, product: Product) -> str | None:
        """``current`` when the product declares ``docs``."""
        return WANT if product.spec.docs is not None else None

    def plan(self, inp: FacetInput) -> FacetDraft:
        """Current, or a ``docs.build`` of HEAD and a ``docs.publish/<target>`` per target that differs, once
        the build allows it."""
        git, d, docs = inp.git, inp.facts.docs, inp.product.spec.docs
        assert docs is not None
        if git.docs_inputs is None:
            missing = f"no docs inputs at {short(git.head)}: {docs.dir}/ or {docs.config} is missing"
            return FacetDraft(facet_state(WANT, "unknown", FacetState.UNKNOWN, missing))
        if d is None or isinstance(d, Unknown):
            err = d.error if isinstance(d, Unknown) else "not observed"
            return FacetDraft(facet_state(WANT, "unknown", FacetState.UNKNOWN, err))
        if inp.waiting_for is not None and not _all_current(inp):
            observed = _observed(inp)
            return FacetDraft(facet_state(WANT, observed, FacetState.BLOCKED, f"waiting: {inp.waiting_for}"))
        actions: list[Action] = []
        reasons: list[str] = []
        build_id = None
        if d.published_inputs != git.docs_inputs:
            observed = (
                "never published" if d.published_inputs is None else f"built from {short(d.published_commit)}"
            )
            what = (
                "the public API"
                if d.published_api and d.published_api != git.api_fingerprint
                else "docs inputs"
            )
            reason = f"docs: want current, {observed}; {what} changed at {short(git.head)}"
            build_id = action_id(inp.name, ActionKind.DOCS_BUILD)
            params = {"commit": git.head, "inputs": git.docs_inputs, "api": git.api_fingerprint}
            actions.append(
                Action(
                    id=build_id,
                    product=inp.name,
                    kind=ActionKind.DOCS_BUILD,
                    params=params,
                    reason=reason,
                    depends_on=list(inp.after),
                )
            )
            reasons.append(reason)
        unknown: list[str] = []
        closed: list[str] = []
        for target in docs.publish:
            tf = d.targets.get(target.key)
            if tf is None or isinstance(tf, Unknown):
                unknown.append(tf.error if isinstance(tf, Unknown) else f"docs: {target.key}: not observed")
                continue
            updates = _updates(target, tf, git)
            if not updates:
                continue
            gate, said = pull_gate(tf.pull) if isinstance(target, DocsBranchTarget) else (None, "")
            if gate is not None and gate.settled == "closed":  # a person closed it: theirs to reopen
                closed.append(
                    f"docs: {target.key}: pull request #{gate.number} of {target.branch} was closed by a "
                    "person: reopen it, or publish by hand"
                )
                continue
            said = said if gate is not None and not gate.settled else ""
            reason = f"docs: {target.key}: " + "; ".join(why for _, why in updates) + said
            params = {
                "target": target.key,
                "commit": git.head,
                "inputs": git.docs_inputs,
                "api": git.api_fingerprint,
                "updates": [u for u, _ in updates],
            }
            actions.append(
                Action(
                    id=action_id(inp.name, ActionKind.DOCS_PUBLISH, target.key),
                    product=inp.name,
                    kind=ActionKind.DOCS_PUBLISH,
                    params=params,
                    reason=reason,
                    depends_on=[build_id] if build_id else list(inp.after),
                    pull=gate if gate is not None and not gate.settled else None,
                )
            )
            reasons.append(reason)
        observed = _observed(inp)
        if closed and not actions:
            return FacetDraft(facet_state(WANT, observed, FacetState.FAILED, "; ".join(closed + unknown)))
        unknown += closed
        if not actions and unknown:
            return FacetDraft(facet_state(WANT, "unknown", FacetState.UNKNOWN, "; ".join(unknown)))
        if not actions:
            count = len(docs.publish)
            where = f" and on {count} target{'' if count == 1 else 's'}" if count else ""
            message = f"published from {short(d.published_commit)}{where}"
            return FacetDraft(facet_state(WANT, "current", FacetState.IN_SYNC, message))
        message = "; ".join(reasons + unknown)
        chain = (build_id,) if build_id else ()
        return FacetDraft(facet_state(WANT, observed, FacetState.DRIFT, message), tuple(actions), chain=chain)


def _all_current(inp: FacetInput) -> bool:
    """Whether the preview and every target are current (nothing to wait for)."""
    d, docs = inp.facts.docs, inp.product.spec.docs
    if d is None or isinstance(d, Unknown) or docs is None or d.published_inputs != inp.git.docs_inputs:
        return False
    for target in docs.publish:
        tf = d.targets.get(target.key)
        if not isinstance(tf, DocsTargetFacts) or _updates(target, tf, inp.git):
            return False
    return True


def _observed(inp: FacetInput) -> str:
    """The facet's observed value: where the preview stands, and how many targets show it."""
    d, docs = inp.facts.docs, inp.product.spec.docs
    assert d is not None and not isinstance(d, Unknown) and docs is not None
    preview = "never published" if d.published_inputs is None else f"built from {short(d.published_commit)}"
    if d.published_inputs == inp.git.docs_inputs:
        preview = "current"
    if not docs.publish:
        return preview
    shown = sum(
        1
        for t in docs.publish
        if isinstance(tf := d.targets.get(t.key), DocsTargetFacts) and not _updates(t, tf, inp.git)
    )
    return f"{preview}, {shown}/{len(docs.publish)} targets"


def _updates(
    target: DocsBranchTarget | DocsSshTarget, tf: DocsTargetFacts, git: GitFacts
) -> list[tuple[dict, str]]:
    """What ``target`` needs to show HEAD's docs (and, versioned, the newest release's): (update, why)."""
    if isinstance(target, DocsSshTarget):
        stale = sorted(h for h, st in tf.hosts.items() if st is None or st.inputs != git.docs_inputs)
        down = sorted(tf.down)
        if not stale and not down:
            return []
        what = [f"{', '.join(stale)} show{'s' if len(stale) == 1 else ''} other docs"] if stale else []
        what += [f"{h} unreachable ({tf.down[h]})" for h in down]
        return [({"hosts": sorted([*stale, *down])}, "; ".join(what))]
    folder = target.dev if target.versions else ""
    out: list[tuple[dict, str]] = []
    have = tf.versions.get(folder)
    if have is None or have.inputs != git.docs_inputs:
        where = f"{target.branch}/{folder}" if folder else target.branch
        seen = "nothing" if have is None or have.commit is None else f"docs built from {short(have.commit)}"
        out.append(({"folder": folder}, f"{where} shows {seen}, want {short(git.head)}"))
    if target.versions and git.last_version and git.last_tag:
        version = git.last_version
        listed = version in tf.versions
        moved = tf.aliases.get(target.alias) != version or tf.default != target.alias
        if not listed or moved:
            why = f"release {version} not published" if not listed else f"{target.alias} is not {version}"
            update = {"folder": version, "tag": git.last_tag, "build": not listed, "alias": target.alias}
            out.append((update, why))
    return out
