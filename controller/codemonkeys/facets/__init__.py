"""Facets as plug-ins: every slice of desired state Code Monkeys reconciles, registered in one place.

The order is the planning order within a product: a facet's actions wait for the chain of the facets
before it, and a facet that ``blocks`` makes the later ones wait (a red build blocks docs and release).
Infra is registered last but waits for nothing: it ignores the chain and the blocks before it, and hands
on the chain plus its apply, so only the facets after it (deploy) wait for the apply. Change (cross-repo
proposals) waits for nothing and hands nothing on: a proposal is built on its own branch.
Adding a facet is a folder here plus one line below; see ARCHITECTURE.md, "How to add a facet". A facet
can also come from another package, as a ``codemonkeys.facets`` entry point naming its ``FacetPlugin``
class (``stamp = "my_facet.plugin:StampFacet"``): it is registered after these, in name order.
"""

from importlib.metadata import entry_points

from codemonkeys.facets.announce.plugin import AnnounceFacet
from codemonkeys.facets.base import OWN_FACTS, FacetDraft, FacetInput, FacetPlugin, Ref, Registry, action_id
from codemonkeys.facets.build.plugin import BuildFacet
from codemonkeys.facets.change.plugin import ChangeFacet
from codemonkeys.facets.deploy.plugin import DeployFacet
from codemonkeys.facets.docs.plugin import DocsFacet
from codemonkeys.facets.infra.plugin import InfraFacet
from codemonkeys.facets.release.plugin import ReleaseFacet
from codemonkeys.facets.supply.plugin import SupplyFacet

CORE = (
    BuildFacet(),
    DocsFacet(),
    ReleaseFacet(),
    SupplyFacet(),  # after the publishes: signs what was published; deploy and announce wait for it
    InfraFacet(),  # after nothing: it ignores the chain before it, and hands it on with its apply
    DeployFacet(),  # after the release's publishes and the infra apply
    AnnounceFacet(),  # after the publishes, and the deploys when the product deploys
    ChangeFacet(),  # after nothing: a change is proven on its own branch (products with proposals only)
)


def installed_facets(core: tuple[FacetPlugin, ...] = CORE) -> tuple[FacetPlugin, ...]:
    """The facets other packages install (the ``codemonkeys.facets`` entry points), in name order; a
    plug-in that cannot be loaded, is not a ``FacetPlugin``, takes a registered name or fact, fills a core
    facet's field of ``ProductFacts`` or acts on kinds not its own is an error naming it (fail closed:
    a fleet is never planned without a facet it was set up with, and a plug-in never shadows the core)."""
    out: list[FacetPlugin] = []
    taken = {str(f.name) for f in core}
    facts = {n for f in core for n in (f.fact, *f.also_facts, *f.action_facts)}
    for ep in sorted(entry_points(group="codemonkeys.facets"), key=lambda e: e.name):
        where = f"facet plug-in {ep.name} ({ep.value})"
        try:
            cls = ep.load()
        except Exception as exc:  # any failure of a plug-in's import is reported as its own
            raise RuntimeError(f"{where} cannot be loaded: {exc}") from None
        if not (isinstance(cls, type) and issubclass(cls, FacetPlugin)):
            raise RuntimeError(f"{where} is not a FacetPlugin class")
        facet = cls()
        if str(facet.name) in taken:
            raise RuntimeError(f"{where} takes the registered name {facet.name}")
        if facet.facts_field != OWN_FACTS:  # never a core facet's field of ProductFacts
            raise RuntimeError(f"{where} must keep its facts in its own model (facts_field = OWN_FACTS)")
        if clash := facts & {facet.fact, *facet.also_facts, *facet.action_facts}:
            raise RuntimeError(f"{where} establishes registered facts: {', '.join(sorted(clash))}")
        if not all(str(k).startswith(f"{facet.name}.") for k in (facet.establishes, *facet.actuators)):
            raise RuntimeError(f"{where}: its action kinds must be its own ({facet.name}.<step>)")
        taken.add(str(facet.name))
        facts |= {facet.fact, *facet.also_facts, *facet.action_facts}
        out.append(facet)
    return tuple(out)


FACETS = Registry((*CORE, *installed_facets()))

__all__ = ["FACETS", "FacetDraft", "FacetInput", "FacetPlugin", "Ref", "Registry", "action_id"]
