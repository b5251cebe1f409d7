"""Supply facet observer: whether the released version's evidence verifies, per publish registry.

The version is the last release tag's (``GitFacts.last_version``); a newer target is the planner's to
attest. The evidence is checked against the artifacts as published: read in a file registry, downloaded
from a pypi or npm registry (``evidence.staged``); see ``evidence.py`` for where it is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codemonkeys.facets.supply.evidence import evidence_state, site_for, staged
from codemonkeys.facets.supply.facts import SupplyFacts
from codemonkeys.facets.supply.sbom import SupplyError
from codemonkeys.registries.http import RegistryError
from codemonkeys.vocab.facts import GitFacts, Unknown

if TYPE_CHECKING:
    from codemonkeys.observe import Observer


def observe_supply(
    run: Observer, name: str, git: GitFacts | Unknown
) -> dict[str, SupplyFacts | Unknown] | None:
    """Registry name -> the state of the last released version's evidence there; None when the product
    does not want the supply facet."""
    spec = run.desired.products[name].spec
    if spec.supply is None or spec.release is None or not spec.release.publish:
        return None
    if isinstance(git, Unknown) or git.last_version is None:
        return {}
    version = git.last_version
    secrets = run.context.secrets.at(run.desired.root)
    out: dict[str, SupplyFacts | Unknown] = {}
    for pub in spec.release.publish:
        site = site_for(run.desired, name, pub)
        if isinstance(site, str):
            out[pub.registry] = Unknown(error=site)
            continue
        try:
            with staged(site, run.desired, name, pub, version, secrets, run.http) as (directory, artifacts):
                out[pub.registry] = evidence_state(
                    directory, pub.package, version, spec.supply.sign.public_key, artifacts
                )
        except (OSError, SupplyError, RegistryError) as exc:
            out[pub.registry] = Unknown(error=f"supply: cannot check the evidence in {pub.registry}: {exc}")
    return out
