"""Facets as plug-ins: every slice of desired state Code Monkeys reconciles, registered in one place.

The order is the planning order within a product: a facet's actions wait for the chain of the facets
before it, and a facet that ``blocks`` makes the later ones wait (a red build blocks docs and release).
Infra is registered last but waits for nothing: it ignores the chain and the blocks before it, and hands
on the chain plus its apply, so only the facets after it (deploy) wait for the apply. Change (cross-repo
proposals) waits for nothing and hands nothing on: a proposal is built on its own branch.
Adding a facet is a module here plus one line below; see ARCHITECTURE.md, "How to add a facet".
"""

from codemonkeys.facets.announce.plugin import AnnounceFacet
from codemonkeys.facets.base import FacetDraft, FacetInput, FacetPlugin, Ref, Registry, action_id
from codemonkeys.facets.build.plugin import BuildFacet
from codemonkeys.facets.change.plugin import ChangeFacet
from codemonkeys.facets.deploy.plugin import DeployFacet
from codemonkeys.facets.docs.plugin import DocsFacet
from codemonkeys.facets.infra.plugin import InfraFacet
from codemonkeys.facets.release.plugin import ReleaseFacet
from codemonkeys.facets.supply.plugin import SupplyFacet

FACETS = Registry(
    (
        BuildFacet(),
        DocsFacet(),
        ReleaseFacet(),
        SupplyFacet(),  # after the publishes: signs what was published; deploy and announce wait for it
        InfraFacet(),  # after nothing: it ignores the chain before it, and hands it on with its apply
        DeployFacet(),  # after the release's publishes and the infra apply
        AnnounceFacet(),  # after the publishes, and the deploys when the product deploys
        ChangeFacet(),  # after nothing: a change is proven on its own branch (products with proposals only)
    )
)

__all__ = ["FACETS", "FacetDraft", "FacetInput", "FacetPlugin", "Ref", "Registry", "action_id"]
