"""Release facet observer: the versions of each package ``release.publish`` names, per registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codemonkeys.kinds.credentials import registry_for
from codemonkeys.registries import observe_registry
from codemonkeys.vocab.enums import RegistryType
from codemonkeys.vocab.facts import GitFacts, RegistryFacts, Unknown

if TYPE_CHECKING:
    from codemonkeys.observe import Observer


def observe_release(run: Observer, name: str, git: GitFacts | Unknown) -> dict[str, RegistryFacts | Unknown]:
    """Registry name -> the versions found there (``Unknown`` with the reason when it cannot be read)."""
    product = run.desired.products[name]
    out: dict[str, RegistryFacts | Unknown] = {}
    secrets = run.context.secrets.at(run.desired.root)
    for pub in product.spec.release.publish if product.spec.release else []:
        reg = registry_for(run.desired, name, pub.registry)  # its company's credentials, if any
        root = (
            run.once(("registry-path", pub.registry), lambda r=pub.registry: run.desired.registry_path(r))
            if reg.type is RegistryType.FILE
            else None
        )
        out[pub.registry] = observe_registry(
            reg,
            pub.registry,
            product.spec.language,
            pub.package,
            run.context.env,
            run.http,
            file_root=root,
            secrets=secrets,
        )
    return out
