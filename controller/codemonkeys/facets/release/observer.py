"""Release facet observers: the versions of each package ``release.publish`` names, per registry; in
pull-request mode the product's release pull request (``release_pull``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from codemonkeys.act.pulls import observe as observe_pull
from codemonkeys.act.pulls import pull_requests
from codemonkeys.facets.release import release_branch
from codemonkeys.kinds.credentials import registry_for
from codemonkeys.registries import observe_registry
from codemonkeys.repos import GitError, Mirror
from codemonkeys.vocab.enums import RegistryType
from codemonkeys.vocab.facts import GitFacts, PullFacts, RegistryFacts, ReleasePull, Unknown
from codemonkeys.vocab.versionfiles import read_version, version_file_for

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


def observe_release_pull(run: Observer, name: str, git: GitFacts | Unknown) -> ReleasePull | None:
    """Pull-request mode: the release pull request on record and whether it holds the branch's head (one
    or two forge calls while one is on record); None in push mode."""
    if not pull_requests(run.desired, name):
        return None
    pull = observe_pull(run.desired, run.store, run.context.secrets, name, release_branch(name))
    current, version = False, ""
    if isinstance(pull, PullFacts) and pull.head and not isinstance(git, Unknown):
        product = run.desired.products[name]
        rel = product.spec.release
        vfile = Path(product.spec.source.path or ".") / version_file_for(
            product.spec.language, rel.version_file if rel else None
        )
        try:
            with Mirror(run.mirror(name)) as repo:
                ours = pull.head == pull.proposed or pull.state == "merged"  # nobody pushed on top of it
                current = ours and repo.is_ancestor(git.head, pull.head)
                version = read_version(vfile.name, repo.read_text(pull.head, str(vfile)) or "") or ""
        except (GitError, ValueError):
            current = False
    return ReleasePull(pull=pull, current=current, version=version)
