"""``cmctl verify PRODUCT [VERSION]``: a consumer's check of a released version's supply-chain evidence.

For every registry the product publishes to (or the one named), the version's artifacts are taken from the
registry (read in a file registry, downloaded from pypi or npm) with the evidence kept for them, and
checked with the public key the fleet declares (``spec.supply.sign.publicKey``) or one the consumer brings
(``--key``): the signature over the checksums, every artifact's SHA-256, the SBOM's and the provenance's
subjects. Never the key found next to the artifacts.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from codemonkeys.api.values import ApiError, unknown_products
from codemonkeys.context import Secrets
from codemonkeys.facets.supply.attest import Check, VerifyReport, verify_release
from codemonkeys.facets.supply.evidence import site_for, staged
from codemonkeys.facets.supply.sbom import SupplyError
from codemonkeys.kinds.credentials import registry_for
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.registries import observe_registry
from codemonkeys.registries.http import RegistryError, RegistryHttp
from codemonkeys.vocab.enums import RegistryType
from codemonkeys.vocab.facts import Unknown


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
    secrets: Secrets,
    product: str,
    version: str | None = None,
    public_key: str | None = None,
    registry: str | None = None,
) -> list[Verified]:
    """Verify ``product``'s ``version`` (default: the newest in each registry) in every registry it
    publishes to (or ``registry``); ``ApiError`` when there is nothing to verify with or in. ``secrets``:
    the registries' credentials."""
    if product not in desired.products:
        raise unknown_products([product], desired.products)
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
    with RegistryHttp() as http:
        for pub in publishes:
            out.append(
                Verified(
                    pub.registry, pub.package, _verify(desired, secrets, http, product, pub, version, key)
                )
            )
    return out


def _failed(package: str, version: str | None, check: str, detail: str) -> VerifyReport:
    return VerifyReport(package, version or "?", False, [Check(check, False, detail)])


def _verify(desired, secrets, http, product, pub, version, key) -> VerifyReport:
    site = site_for(desired, product, pub)
    if isinstance(site, str):
        return _failed(pub.package, version, "registry", site)
    language = desired.products[product].spec.language
    reg = registry_for(desired, product, pub.registry)
    root = desired.registry_path(pub.registry) if reg.type is RegistryType.FILE else None
    if version is None:
        seen = observe_registry(reg, pub.registry, language, pub.package, secrets.env, http, root, secrets)
        if isinstance(seen, Unknown):
            return _failed(pub.package, None, "version", seen.error)
        version = _newest(seen.versions)
        if version is None:
            return _failed(pub.package, None, "version", f"no version of {pub.package} in {pub.registry}")
    try:
        with staged(site, desired, product, pub, version, secrets, http) as (directory, artifacts):
            return verify_release(directory, pub.package, version, key, artifacts=artifacts)
    except (RegistryError, OSError, SupplyError) as exc:
        return _failed(pub.package, version, "download", f"{pub.registry}: {exc}")


def _newest(versions: list[str]) -> str | None:
    def order(v: str) -> tuple[int, Version]:
        try:
            return (1, Version(v))
        except InvalidVersion:
            return (0, Version("0"))

    return max(versions, key=order) if versions else None
