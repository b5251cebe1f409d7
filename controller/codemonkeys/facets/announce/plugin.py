"""The announce facet: ``announce.want: announced`` holds when the released version has been announced on
every channel the product names (``spec.announce.channels``, defined once in the Fleet).

The version to announce is the release facet's target: the version about to be cut (the announcement
then waits for its publishes, the release facet's chain), else the newest tagged version. One
``announce.post/<channel>`` per channel that does not carry it yet. What a channel carries is observed:
the journal's record of announcements, and for a browser macro with a ``verify`` block, the page itself
(so a post that landed before a crash is not posted again). Nothing released yet: nothing to announce.
"""

from __future__ import annotations

from codemonkeys.facets.base import FacetDraft, FacetInput, FacetPlugin, Ref, action_id, facet_state
from codemonkeys.kinds.models import Product
from codemonkeys.vocab.enums import Versioning
from codemonkeys.vocab.facts import Unknown
from codemonkeys.vocab.plan import Action, ActionKind, FacetName, FacetState
from codemonkeys.vocab.versioning import format_tag

WANT = "announced"


def released_version(inp: FacetInput) -> str | None:
    """The version the product's release facet is reconciling to (pinned, next or last), None if none."""
    rel, git = inp.product.spec.release, inp.git
    if rel is not None and rel.versioning is Versioning.PINNED:
        return rel.version
    return git.next_version or git.last_version


class AnnounceFacet(FacetPlugin):
    """Announcements: observed from the journal and the macros' ``verify``; acted on by ``announce.post``."""

    name = FacetName.ANNOUNCE
    fact = "announce.announced"
    establishes = ActionKind.ANNOUNCE_POST
    facts_field = "announce"
    observer = Ref("codemonkeys.facets.announce.observer", "observe_announce")
    actuators = {ActionKind.ANNOUNCE_POST: Ref("codemonkeys.facets.announce.actuators", "announce")}

    def wants(self, product: Product) -> str | None:
        """``announced`` when the product declares ``announce``."""
        return WANT if product.spec.announce is not None else None

    def plan(self, inp: FacetInput) -> FacetDraft:
        """Announced everywhere, or one post per channel missing the released version (after its publish)."""
        spec = inp.product.spec.announce
        assert spec is not None
        version = released_version(inp)
        if version is None:
            return FacetDraft(
                facet_state(WANT, "nothing released", FacetState.IN_SYNC, "nothing to announce")
            )
        facts = inp.facts.announce
        unknown = {c: f.error for c in spec.channels if isinstance(f := facts.get(c), Unknown)}
        missing = [
            c
            for c in spec.channels
            if c not in unknown and version not in getattr(facts.get(c), "versions", [])
        ]
        observed = f"{version} on {len(spec.channels) - len(missing) - len(unknown)}/{len(spec.channels)}"
        if not missing and not unknown:
            where = ", ".join(spec.channels)
            return FacetDraft(
                facet_state(WANT, observed, FacetState.IN_SYNC, f"{version} announced on {where}")
            )
        if not missing:
            return FacetDraft(facet_state(WANT, observed, FacetState.UNKNOWN, "; ".join(unknown.values())))
        if inp.waiting_for is not None:
            return FacetDraft(facet_state(WANT, observed, FacetState.BLOCKED, f"waiting: {inp.waiting_for}"))
        tag = format_tag(inp.product.spec.tag_format, inp.name, version)
        actions = tuple(
            Action(
                id=action_id(inp.name, ActionKind.ANNOUNCE_POST, channel),
                product=inp.name,
                kind=ActionKind.ANNOUNCE_POST,
                params={"channel": channel, "version": version, "tag": tag},
                reason=f"announce: {version} is not announced on channel {channel}",
                depends_on=list(inp.after),
            )
            for channel in missing
        )
        message = f"{version} not yet announced on " + ", ".join(missing)
        if unknown:
            message += "; " + "; ".join(unknown.values())
        return FacetDraft(facet_state(WANT, observed, FacetState.DRIFT, message), actions)
