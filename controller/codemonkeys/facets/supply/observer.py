"""Supply facet observer: whether the released version's evidence verifies, per publish registry.

The version is the last release tag's (``GitFacts.last_version``); a newer target is the planner's to
attest. A file registry holds the evidence beside the artifacts (``facets/supply/attest.py`` names the
files); for the other registry types the evidence is not supported yet and the facet says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codemonkeys.facets.supply.evidence import evidence_state, unsupported
from codemonkeys.facets.supply.sbom import SupplyError
from codemonkeys.registries.file import package_dir
from codemonkeys.vocab.facts import GitFacts, SupplyFacts, Unknown

if TYPE_CHECKING:
    from codemonkeys.observe import Observer


def observe_supply(
    run: Observer, name: str, git: GitFacts | Unknown
) -> dict[str, SupplyFacts | Unknown] | None:
    """Registry name -> the state of the last released version's evidence there; None when the product
    does not want the supply facet."""
    product = run.desired.products[name]
    spec = product.spec
    if spec.supply is None or spec.release is None or not spec.release.publish:
        return None
    if isinstance(git, Unknown) or git.last_version is None:
        return {}
    out: dict[str, SupplyFacts | Unknown] = {}
    for pub in spec.release.publish:
        registry = run.desired.fleet.spec.registries[pub.registry]
        why = unsupported(product, registry.type)
        if why is not None:
            out[pub.registry] = Unknown(error=why)
            continue
        directory = package_dir(run.desired.registry_path(pub.registry), spec.language, pub.package)
        try:
            out[pub.registry] = evidence_state(
                directory, pub.package, git.last_version, spec.supply.sign.public_key
            )
        except (OSError, SupplyError) as exc:
            out[pub.registry] = Unknown(error=f"supply: cannot read the evidence in {pub.registry}: {exc}")
    return out
