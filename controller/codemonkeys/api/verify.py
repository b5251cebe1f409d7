"""``cmctl verify PRODUCT [VERSION]``: a consumer's check of a released version's supply-chain evidence.

For every registry the product publishes to (or the one named), the version's artifacts and evidence are
taken from the registry (a file registry: its package folder) and checked with the public key the fleet
declares (``spec.supply.sign.publicKey``) or one the consumer brings (``--key``): the signature over the
checksums, every artifact's SHA-256, the SBOM's and the provenance's subjects. Never the key found next to
the artifacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from codemonkeys.api.values import ApiError
from codemonkeys.facets.supply.attest import Check, VerifyReport, verify_release, version_artifacts
from codemonkeys.facets.supply.evidence import unsupported
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.registries.file import observe_file_registry, package_dir
from codemonkeys.vocab.enums import RegistryType


@dataclass(frozen=True)
class Verified:
    """One registry's verification of the version (``report.ok``: every check holds)."""

    registry: str
    package: str
    report: VerifyReport

    def to_dict(self) -> dict:
        """JSON-ready (``--json``)."""
        return {"registry": self.registry, "package": self.package, **self.report.to_dict()}


def verify_product(
    desired: DesiredState,
    product: str,
    version: str | None = None,
    public_key: str | None = None,
    registry: str | None = None,
) -> list[Verified]:
    """Verify ``product``'s ``version`` (default: the newest in each registry) in every registry it
    publishes to (or ``registry``); ``ApiError`` when there is nothing to verify with or in."""
    if product not in desired.products:
        raise ApiError(f"unknown product: {product}")
    spec = desired.products[product].spec
    publishes = spec.release.publish if spec.release else []
    if registry is not None:
        publishes = [p for p in publishes if p.registry == registry]
        if not publishes:
            raise ApiError(f"{product} does not publish to registry {registry}")
    if not publishes:
        raise ApiError(f"{product} publishes no releases: nothing to verify")
    key = public_key or (spec.supply.sign.public_key if spec.supply else None)
    if not key:
        raise ApiError(f"{product} declares no spec.supply.sign.publicKey: pass the public key with --key")
    out = []
    for pub in publishes:
        reg = desired.fleet.spec.registries[pub.registry]
        why = unsupported(desired.products[product], reg.type)
        if why is not None or reg.type is not RegistryType.FILE:
            report = VerifyReport(pub.package, version or "?", False, [Check("registry", False, why or "")])
            out.append(Verified(pub.registry, pub.package, report))
            continue
        root = desired.registry_path(pub.registry)
        wanted = version or _newest(observe_file_registry(root, spec.language, pub.package).versions)
        if wanted is None:
            report = VerifyReport(pub.package, "?", False, [Check("version", False, "no version published")])
            out.append(Verified(pub.registry, pub.package, report))
            continue
        directory = package_dir(root, spec.language, pub.package)
        artifacts = version_artifacts(directory, wanted) if directory.is_dir() else []
        report = verify_release(Path(directory), pub.package, wanted, key, artifacts=artifacts)
        out.append(Verified(pub.registry, pub.package, report))
    return out


def _newest(versions: list[str]) -> str | None:
    def order(v: str) -> tuple[int, Version]:
        try:
            return (1, Version(v))
        except InvalidVersion:
            return (0, Version("0"))

    return max(versions, key=order) if versions else None
