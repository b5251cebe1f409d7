"""Where a version's supply-chain evidence lives, and its state: what the supply facet's observer, its
actuator and ``cmctl verify`` share.

* A ``file`` registry keeps the evidence beside the artifacts (the package's folder).
* A ``pypi`` or ``npm`` registry cannot hold arbitrary files: the evidence goes to ``spec.supply.store``,
  a file registry of the fleet, under ``supply/<registry>/<package>/``; the artifacts are downloaded from
  the registry (as a consumer would) to sign them and to check the evidence against them.
* ``crates`` and ``oci`` registries: not supported yet (said, never signed silently).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from codemonkeys.context import Secrets
from codemonkeys.facets.supply.attest import (
    BundleFiles,
    bundle_files,
    parse_checksums,
    verify_release,
    version_artifacts,
)
from codemonkeys.facets.supply.facts import SupplyFacts
from codemonkeys.facets.supply.sbom import SupplyError, artifact_digests
from codemonkeys.kinds.credentials import registry_for
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.kinds.models import Language, Publish
from codemonkeys.registries import resolve_auth
from codemonkeys.registries.artifacts import download, version_files
from codemonkeys.registries.file import package_dir
from codemonkeys.registries.http import RegistryHttp
from codemonkeys.vocab.enums import RegistryType

LANGUAGES = (Language.PYTHON, Language.NODE, Language.RUST)  # what an SBOM can be made for
STORED = (RegistryType.PYPI, RegistryType.NPM)  # registries whose evidence goes to spec.supply.store


@dataclass(frozen=True)
class Site:
    """Where the evidence of one product's releases in one publish registry is kept: ``directory``;
    ``beside``: the artifacts are there too (a file registry); ``root``: the file registry written to
    (its ``.lock`` serializes writers)."""

    directory: Path
    beside: bool
    root: Path


def site_for(desired: DesiredState, product: str, pub: Publish) -> Site | str:
    """The evidence site of ``product``'s releases in ``pub.registry``, or why there is none."""
    spec = desired.products[product].spec
    registries = desired.fleet.spec.registries
    reg = registries[pub.registry]
    if spec.language not in LANGUAGES:
        return f"supply: no SBOM for {spec.language} products (python, node and rust only)"
    if reg.type is RegistryType.FILE:
        root = desired.registry_path(pub.registry)
        return Site(package_dir(root, spec.language, pub.package), True, root)
    if reg.type not in STORED:
        return (
            f"supply: evidence for {reg.type} registries is not supported yet "
            "(file registries; pypi and npm with spec.supply.store)"
        )
    store = spec.supply.store if spec.supply else None
    if store is None:
        return (
            f"supply: a {reg.type} registry cannot hold the evidence: "
            "set spec.supply.store to a file registry of the fleet"
        )
    if store not in registries or registries[store].type is not RegistryType.FILE:
        return f"supply: spec.supply.store {store!r} is not a file registry of the fleet"
    root = desired.registry_path(store)
    folder = (
        canonicalize_name(pub.package) if reg.type is RegistryType.PYPI else pub.package.replace("/", "%2f")
    )
    return Site(root / "supply" / pub.registry / folder, False, root)


@contextmanager
def staged(
    site: Site,
    desired: DesiredState,
    product: str,
    pub: Publish,
    version: str,
    secrets: Secrets,
    http: RegistryHttp | None = None,
) -> Iterator[tuple[Path, list[Path]]]:
    """A directory holding ``version``'s artifacts as published and the evidence kept for them, and the
    artifacts: the site itself for a file registry; otherwise a temporary directory with the artifacts
    downloaded from the registry and a copy of the evidence (``RegistryError`` if they cannot be had)."""
    if site.beside:
        yield site.directory, (version_artifacts(site.directory, version) if site.directory.is_dir() else [])
        return
    reg = registry_for(desired, product, pub.registry)
    auth = resolve_auth(reg.credentials, secrets.env, secrets)
    with tempfile.TemporaryDirectory(prefix="cm-supply-") as tmp, _client(http) as client:
        here = Path(tmp)
        artifacts = [
            download(client, url, here / name, auth, reg.url or "")
            for name, url in version_files(client, reg, pub.package, version, auth)
            if name == Path(name).name and name not in bundle_files(pub.package, version).all
        ]
        for name in bundle_files(pub.package, version).all:
            if (site.directory / name).is_file():
                shutil.copyfile(site.directory / name, here / name)
        yield here, sorted(artifacts)


@contextmanager
def _client(http: RegistryHttp | None) -> Iterator[RegistryHttp]:
    if http is not None:
        yield http
        return
    with RegistryHttp() as own:
        yield own


def _unlike_sums(sums: Path, artifacts: list[Path], files: BundleFiles) -> str:
    """How the artifacts differ from the checksums a bundle wrote before its signature ("" when they are
    the same): a crash before the signature leaves checksums that match, a swapped artifact does not."""
    listed = {
        n: d for n, d in parse_checksums(sums.read_text(errors="replace")).items() if n not in files.all
    }
    present = artifact_digests(artifacts)
    differ = sorted(n for n in set(listed) | set(present) if listed.get(n) != present.get(n))
    return ", ".join(differ)


def evidence_state(
    directory: Path, package: str, version: str, public_key: str, artifacts: list[Path]
) -> SupplyFacts:
    """The state of ``package`` ``version``'s evidence in ``directory`` (beside ``artifacts``): missing
    (no signature: none yet, or a write that did not finish), verified, or invalid (why)."""
    files = bundle_files(package, version)
    if shutil.which("ssh-keygen") is None:
        raise SupplyError("ssh-keygen is not installed (apt install openssh-client): cannot check signatures")
    if not (directory / files.signature).is_file():
        if (directory / files.sums).is_file():  # a write that did not finish, or a signature removed
            changed = _unlike_sums(directory / files.sums, artifacts, files)
            if changed:
                return SupplyFacts(
                    version=version,
                    state="invalid",
                    detail=f"no {files.signature}, and the artifacts differ from {files.sums}: {changed}"
                    " (not signed again: remove the bundle to sign what is there now)",
                )
        return SupplyFacts(version=version, state="missing", detail=f"no {files.signature}")
    report = verify_release(directory, package, version, public_key, artifacts=artifacts)
    if report.ok:
        return SupplyFacts(version=version, state="verified")
    return SupplyFacts(version=version, state="invalid", detail="; ".join(c.detail for c in report.failed))
