"""What the supply facet observes: the state of a version's evidence per publish registry (its own model,
kept in ``ProductFacts.facets["supply"]``: the vocabulary does not know it)."""

from __future__ import annotations

from typing import Literal

from codemonkeys.vocab.facts import FactModel, Unknown


class SupplyFacts(FactModel):
    """The supply-chain evidence of one released version in one registry (or the file registry that keeps
    it for a registry that cannot): ``state`` is ``verified`` (the signature and every checksum hold
    against the published artifacts), ``missing`` (no complete evidence yet: no signature) or ``invalid``
    (evidence that does not verify: a tampered artifact, another key); ``detail`` says which check failed."""

    version: str
    state: Literal["verified", "missing", "invalid"]
    detail: str = ""


SupplyObserved = dict[str, SupplyFacts | Unknown]  # publish registry -> the evidence's state there
