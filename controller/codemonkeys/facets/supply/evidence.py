"""What the supply facet's observer and actuator both judge: whether a product's evidence can be kept in
a registry, and the state of a version's evidence in a registry's package folder."""

from __future__ import annotations

from pathlib import Path

from codemonkeys.facets.supply.attest import bundle_files, verify_release, version_artifacts
from codemonkeys.kinds.models import Language, Product
from codemonkeys.vocab.enums import RegistryType
from codemonkeys.vocab.facts import SupplyFacts

LANGUAGES = (Language.PYTHON, Language.NODE, Language.RUST)  # what an SBOM can be made for


def unsupported(product: Product, registry_type: RegistryType) -> str | None:
    """Why the evidence of ``product``'s releases in a registry of ``registry_type`` cannot be kept, if
    it cannot (the observer's Unknown and the actuator's failure say the same)."""
    if product.spec.language not in LANGUAGES:
        return f"supply: no SBOM for {product.spec.language} products (python, node and rust only)"
    if registry_type is not RegistryType.FILE:
        return (
            f"supply: evidence in a {registry_type} registry is not supported yet "
            "(file registries keep it beside the artifacts)"
        )
    return None


def evidence_state(directory: Path, package: str, version: str, public_key: str) -> SupplyFacts:
    """The state of ``package`` ``version``'s evidence in ``directory`` (a registry's package folder):
    missing (no signature: none yet, or a write that did not finish), verified, or invalid (why)."""
    files = bundle_files(package, version)
    if not (directory / files.signature).is_file():
        return SupplyFacts(version=version, state="missing", detail=f"no {files.signature}")
    report = verify_release(
        directory, package, version, public_key, artifacts=version_artifacts(directory, version)
    )
    if report.ok:
        return SupplyFacts(version=version, state="verified")
    return SupplyFacts(version=version, state="invalid", detail="; ".join(c.detail for c in report.failed))
