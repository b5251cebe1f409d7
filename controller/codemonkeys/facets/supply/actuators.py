"""supply.attest: the SBOM, checksums, signature and provenance of one published version, written beside
its artifacts in a file registry, or for a pypi or npm registry into ``spec.supply.store`` (the artifacts
downloaded from the registry to sign what consumers get; see ``evidence.py``).

Idempotent: evidence that verifies is a noop. Evidence that exists and does not verify (a tampered
artifact, another key) is never signed over: the action fails and says which check failed, and a person
decides (remove the bundle to sign again). The key is checked against the declared public key before
anything is written; the bundle is written under the registry's lock, its signature last, so a crash
leaves no signature (the next run writes the bundle again) or a complete bundle (the next run's noop).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from filelock import FileLock

from codemonkeys import __version__
from codemonkeys.act.base import ActContext, ActionResult, Outcome
from codemonkeys.facets.supply.attest import (
    bundle_files,
    provenance,
    sign,
    verify_release,
    verify_signature,
    write_bundle,
)
from codemonkeys.facets.supply.evidence import Site, evidence_state, site_for, staged
from codemonkeys.facets.supply.sbom import SupplyError, make_sbom
from codemonkeys.registries.file import ecosystem
from codemonkeys.registries.http import RegistryError
from codemonkeys.repos import GitError
from codemonkeys.repos import run as git
from codemonkeys.secrets import SecretError
from codemonkeys.vocab.plan import Action

# what the release facet's file publisher runs to make the artifacts (the provenance's build command)
PACKAGING = {
    "python": "python -m build --no-isolation --sdist --wheel",
    "node": "npm pack",
    "rust": "cargo package --offline",
}
BUILDER = f"https://codemonkeys.dev/controller/v{__version__}"
PROBE = b"codemonkeys: does this key match the declared public key?"


def attest(action: Action, ctx: ActContext) -> ActionResult:
    """Make and publish the evidence of ``params.package`` ``params.version`` in ``params.registry``."""
    name = action.product
    product = ctx.desired.products[name]
    supply = product.spec.supply
    registry, package, version = (action.params[k] for k in ("registry", "package", "version"))
    if supply is None:
        return ActionResult(Outcome.FAILED, f"{name} no longer declares supply")
    pub = next(
        (p for p in (product.spec.release.publish if product.spec.release else []) if p.registry == registry),
        None,
    )
    if pub is None:
        return ActionResult(Outcome.FAILED, f"{name} no longer publishes to {registry}")
    site = site_for(ctx.desired, name, pub)
    if isinstance(site, str):
        return ActionResult(Outcome.FAILED, site)
    secrets = ctx.context.secrets.at(ctx.desired.root)
    try:
        with staged(site, ctx.desired, name, pub, version, secrets) as (directory, artifacts):
            return _attest(action, ctx, site, directory, artifacts)
    except (RegistryError, OSError) as exc:
        return ActionResult(Outcome.FAILED, ctx.redact(f"supply: {package} {version} in {registry}: {exc}"))


def _attest(
    action: Action, ctx: ActContext, site: Site, directory: Path, artifacts: list[Path]
) -> ActionResult:
    name = action.product
    product = ctx.desired.products[name]
    supply = product.spec.supply
    assert supply is not None
    registry, package, version, tag = (action.params[k] for k in ("registry", "package", "version", "tag"))
    if not artifacts:
        return ActionResult(
            Outcome.FAILED, f"{package} {version} has no artifacts in {registry}: not published"
        )
    state = evidence_state(directory, package, version, supply.sign.public_key, artifacts)
    if state.state == "verified":
        return ActionResult(Outcome.NOOP, f"{package} {version} in {registry}: evidence present and verified")
    if state.state == "invalid":
        return ActionResult(
            Outcome.FAILED,
            f"{package} {version} in {registry}: the evidence does not verify, not signed over "
            f"(remove its bundle to sign again): {state.detail}",
        )
    try:
        key = ctx.context.secrets.provider(ctx.desired.root).require(supply.sign.key.secret_ref)
    except SecretError as exc:
        return ActionResult(Outcome.FAILED, f"supply: {exc}")
    try:
        if not verify_signature(PROBE, sign(PROBE, key), supply.sign.public_key):
            return ActionResult(
                Outcome.FAILED,
                f"supply: the key {supply.sign.key.secret_ref} does not match spec.supply.sign.publicKey",
            )
        with ctx.checkout(name, tag) as checkout:
            commit = git(["rev-parse", "HEAD"], checkout.root)
            sbom = make_sbom(
                checkout.product_dir,
                str(product.spec.language),
                package,
                version,
                artifacts,
                source_date_epoch=int(git(["log", "-1", "--format=%ct", "HEAD"], checkout.root)),
            )
        statement = provenance(
            package,
            version,
            commit,
            ctx.desired.repo_location(name),
            PACKAGING[ecosystem(product.spec.language)],
            BUILDER,
            artifacts,
        )
        site.root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(site.root / ".lock")):
            write_bundle(directory, package, version, artifacts, sbom, statement, key)
            if not site.beside:
                _publish_to_store(directory, site.directory, bundle_files(package, version).all)
    except (SupplyError, GitError, OSError) as exc:
        return ActionResult(Outcome.FAILED, ctx.redact(f"supply: {package} {version}: {exc}"))
    report = verify_release(directory, package, version, supply.sign.public_key, artifacts=artifacts)
    if not report.ok:
        failed = "; ".join(c.detail for c in report.failed)
        return ActionResult(
            Outcome.FAILED, f"{package} {version}: the evidence written does not verify: {failed}"
        )
    files = [Path(p).name for p in artifacts]
    log = "\n".join(f"{'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}" for c in report.checks)
    where = registry if site.beside else f"{registry} (evidence in {site.directory})"
    return ActionResult(
        Outcome.SUCCEEDED,
        f"signed {package} {version} in {where}: SBOM, checksums of {len(files)} artifacts, provenance",
        {"registry": registry, "version": version, "artifacts": files, "commit": commit},
        f"verified with spec.supply.sign.publicKey:\n{log}\n",
        evidence={
            "dry-run": f"the key matched the declared public key and {len(report.checks)} checks passed"
        },
    )


def _publish_to_store(staging: Path, dest: Path, names: tuple[str, ...]) -> None:
    """Copy the bundle ``names`` (signature last) from ``staging`` into the store folder ``dest``: an old
    signature goes first, each file lands by rename, so a crash leaves no signature or all of it."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / names[-1]).unlink(missing_ok=True)
    for file_name in names:
        part = dest / f".{file_name}.part"
        shutil.copyfile(staging / file_name, part)
        part.replace(dest / file_name)
