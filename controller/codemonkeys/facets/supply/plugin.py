"""The supply facet: ``supply.want: attested`` holds when the released version has, in every registry it is
published to, supply-chain evidence that verifies against the published artifacts: a CycloneDX SBOM,
SHA-256 checksums, an SSH signature over them (the key by ``secretRef``, verified with the declared public
key) and an in-toto/SLSA provenance statement.

One ``supply.attest/<registry>`` per registry whose evidence of the release target is missing, after the
release's publishes; later facets (deploy, announce) wait for it. Evidence that exists and does not
verify (a tampered artifact, another key) is never signed over: the facet fails and blocks what follows
until a person acts. Establishes ``release.signed`` and ``release.sbom`` for the constitution.
"""

from __future__ import annotations

from codemonkeys.facets.base import (
    OWN_FACTS,
    FacetDraft,
    FacetInput,
    FacetPlugin,
    Ref,
    action_id,
    facet_state,
)
from codemonkeys.facets.release.plugin import target_version
from codemonkeys.facets.supply.facts import SupplyFacts, SupplyObserved
from codemonkeys.kinds.models import Product
from codemonkeys.vocab.facts import Unknown
from codemonkeys.vocab.plan import Action, ActionKind, FacetName, FacetState
from codemonkeys.vocab.versioning import format_tag

WANT = "attested"
SUPPLY = FacetName("supply")  # the facet's own name and action kind: the vocabulary does not list them
ATTEST = ActionKind("supply.attest")


class SupplyFacet(FacetPlugin):
    """Supply-chain evidence: observed from the registries (or the evidence store); acted on by
    ``supply.attest/<registry>``."""

    name = SUPPLY
    fact = "release.signed"
    also_facts = ("release.sbom",)
    establishes = ATTEST
    facts_field = OWN_FACTS
    facts_model = SupplyObserved
    observer = Ref("codemonkeys.facets.supply.observer", "observe_supply")
    actuators = {ATTEST: Ref("codemonkeys.facets.supply.actuators", "attest")}
    column = False  # a state of the products that sign their releases only

    def wants(self, product: Product) -> str | None:
        """``attested`` when the product declares ``supply`` and publishes its releases somewhere."""
        spec = product.spec
        if spec.supply is None or spec.release is None or not spec.release.publish:
            return None
        return WANT

    def plan(self, inp: FacetInput) -> FacetDraft:
        """Attested, failed (evidence that does not verify), or one attest per registry missing it."""
        rel = inp.product.spec.release
        assert rel is not None
        version, cut_needed = target_version(inp)
        if version is None:
            return FacetDraft(facet_state(WANT, "nothing released", FacetState.IN_SYNC, "nothing to attest"))
        facts: SupplyObserved = self.observed(inp.facts) or {}
        missing: list[str] = []
        invalid: list[str] = []
        unknown: list[str] = []
        for pub in rel.publish:
            f = facts.get(pub.registry)
            if isinstance(f, Unknown):
                unknown.append(f"{pub.registry}: {f.error}")
            elif cut_needed or f is None or f.version != version or f.state == "missing":
                missing.append(pub.registry)
            elif f.state == "invalid":
                invalid.append(f"{pub.registry}: {f.detail}")
        observed = _observed(facts, version)
        if invalid:
            message = f"the evidence of {version} does not verify: " + "; ".join(invalid)
            return FacetDraft(facet_state(WANT, observed, FacetState.FAILED, message), blocks=message)
        if not missing and not unknown:
            where = ", ".join(p.registry for p in rel.publish)
            return FacetDraft(
                facet_state(WANT, observed, FacetState.IN_SYNC, f"{version} signed and verified in {where}")
            )
        if not missing:
            message = "; ".join(unknown)
            return FacetDraft(facet_state(WANT, observed, FacetState.UNKNOWN, message), blocks=message)
        if inp.waiting_for is not None:
            return FacetDraft(facet_state(WANT, observed, FacetState.BLOCKED, f"waiting: {inp.waiting_for}"))
        actions = tuple(self._action(inp, rel, registry, version) for registry in missing)
        message = f"{version}: no verified evidence in " + ", ".join(missing)
        if unknown:
            message += "; " + "; ".join(unknown)
        chain = tuple(a.id for a in actions)  # which wait for the chain before: deploy and announce wait
        return FacetDraft(facet_state(WANT, observed, FacetState.DRIFT, message), actions, chain=chain)

    @staticmethod
    def _action(inp: FacetInput, rel, registry: str, version: str) -> Action:
        pub = next(p for p in rel.publish if p.registry == registry)
        return Action(
            id=action_id(inp.name, ATTEST, registry),
            product=inp.name,
            kind=ATTEST,
            params={
                "registry": registry,
                "package": pub.package,
                "version": version,
                "tag": format_tag(inp.product.spec.tag_format, inp.name, version),
            },
            reason=f"supply: {pub.package} {version} in {registry} has no verified SBOM, checksums, "
            "signature and provenance",
            depends_on=list(inp.after),
        )


def _observed(facts: dict[str, SupplyFacts | Unknown], version: str) -> str:
    states = {f.state for f in facts.values() if isinstance(f, SupplyFacts) and f.version == version}
    if not states:
        return "not attested"
    if states == {"verified"}:
        return f"{version} verified"
    return f"{version} " + "/".join(sorted(states))
