"""Facets as plug-ins: every slice of desired state Code Monkeys reconciles, registered in one place.

The order is the planning order within a product: a facet's actions wait for the chain of the facets
before it, and a facet that ``blocks`` makes the later ones wait (a red build blocks docs and release).
Infra is registered last but waits for nothing: it ignores the chain and the blocks before it, and hands
on the chain plus its apply, so only the facets after it (deploy) wait for the apply. Change (cross-repo
proposals) waits for nothing and hands nothing on: a proposal is built on its own branch.
Adding a facet is a module here plus one line below; see ARCHITECTURE.md, "How to add a facet".
"""

from codemonkeys.facets.announce import AnnounceFacet
from codemonkeys.facets.base import FacetDraft, FacetInput, FacetPlugin, Ref, Registry, action_id
from codemonkeys.facets.build import BuildFacet
from codemonkeys.facets.change import ChangeFacet
from codemonkeys.facets.deploy import DeployFacet
from codemonkeys.facets.docs import DocsFacet
from codemonkeys.facets.infra import InfraFacet
from codemonkeys.facets.release import ReleaseFacet

FACETS = Registry(
    (
        BuildFacet(),
        DocsFacet(),
        ReleaseFacet(),
        InfraFacet(),  # after nothing: it ignores the chain before it, and hands it on with its apply
        DeployFacet(),  # after the release's publishes and the infra apply
        AnnounceFacet(),  # after the publishes, and the deploys when the product deploys
        ChangeFacet(),  # after nothing: a change is proven on its own branch (products with proposals only)
    )
)

__all__ = ["FACETS", "FacetDraft", "FacetInput", "FacetPlugin", "Ref", "Registry", "action_id"]
