"""The docs facet: ``docs.want: current`` holds when the published docs were built from HEAD's docs inputs.

Docs inputs hash the docs sources, the MkDocs config and (living docs) the public API fingerprint of
HEAD from the oracle's code graph: a body-only change keeps docs current, an API change makes them stale.
"""

from __future__ import annotations

from codemonkeys.facets.base import FacetDraft, FacetInput, FacetPlugin, Ref, action_id, facet_state, short
from codemonkeys.kinds.models import Product
from codemonkeys.vocab.facts import Unknown
from codemonkeys.vocab.plan import Action, ActionKind, FacetName, FacetState

WANT = "current"


class DocsFacet(FacetPlugin):
    """Published docs: observed from the published stamp; acted on by ``docs.build`` (MkDocs)."""

    name = FacetName.DOCS
    fact = "docs.current"
    establishes = ActionKind.DOCS_BUILD
    facts_field = "docs"
    observer = Ref("codemonkeys.facets.docs.observer", "observe_docs_facet")
    actuators = {ActionKind.DOCS_BUILD: Ref("codemonkeys.facets.docs.actuators", "build_docs")}

    def wants(self, product: Product) -> str | None:
        """``current`` when the product declares ``docs``."""
        return WANT if product.spec.docs is not None else None

    def plan(self, inp: FacetInput) -> FacetDraft:
        """Current, or a ``docs.build`` of HEAD once the build allows it."""
        git, d, docs = inp.git, inp.facts.docs, inp.product.spec.docs
        assert docs is not None
        if git.docs_inputs is None:
            missing = f"no docs inputs at {short(git.head)}: {docs.dir}/ or {docs.config} is missing"
            return FacetDraft(facet_state(WANT, "unknown", FacetState.UNKNOWN, missing))
        if d is None or isinstance(d, Unknown):
            err = d.error if isinstance(d, Unknown) else "not observed"
            return FacetDraft(facet_state(WANT, "unknown", FacetState.UNKNOWN, err))
        if d.published_inputs == git.docs_inputs:
            return FacetDraft(
                facet_state(
                    WANT, "current", FacetState.IN_SYNC, f"published from {short(d.published_commit)}"
                )
            )
        observed = (
            "never published" if d.published_inputs is None else f"built from {short(d.published_commit)}"
        )
        if inp.waiting_for is not None:
            return FacetDraft(facet_state(WANT, observed, FacetState.BLOCKED, f"waiting: {inp.waiting_for}"))
        what = (
            "the public API" if d.published_api and d.published_api != git.api_fingerprint else "docs inputs"
        )
        reason = f"docs: want current, {observed}; {what} changed at {short(git.head)}"
        aid = action_id(inp.name, ActionKind.DOCS_BUILD)
        action = Action(
            id=aid,
            product=inp.name,
            kind=ActionKind.DOCS_BUILD,
            params={"commit": git.head, "inputs": git.docs_inputs, "api": git.api_fingerprint},
            reason=reason,
            depends_on=list(inp.after),
        )
        return FacetDraft(facet_state(WANT, observed, FacetState.DRIFT, reason), (action,), chain=(aid,))
