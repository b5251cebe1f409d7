"""Observe (stage 2): read the real state of every product into typed facts.

The git source is shared by every facet: each product's repository is mirrored once per run (a
monorepo's products share the fetch) and parsed into ``GitFacts``. Then each registered facet's
observer (``facets.FACETS``: build -> CI results, docs -> the published stamp, release -> registries)
fills its field of ``ProductFacts``. Products are observed concurrently on a bounded pool. Any observer
error becomes an ``Unknown`` fact carrying the message, which blocks only the actions needing it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from codemonkeys.context import Context
from codemonkeys.facets import FACETS, Registry
from codemonkeys.facets.base import OWN_FACTS
from codemonkeys.facets.release.plugin import fleet_packages
from codemonkeys.gitcred import helper_for
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.observe.git import fetch_git, parse_git
from codemonkeys.observe.gitcache import (
    GitFactsCache,
    facts_keys,
    mark_synced,
    mirror_current,
    packages_digest,
    source_refs,
)
from codemonkeys.observe.oracle import with_public_api
from codemonkeys.registries.http import RegistryHttp
from codemonkeys.repos import GitError, mirror_path, repo_lock, sync_mirror
from codemonkeys.store.db import Store
from codemonkeys.vocab.facts import GitFacts, ProductFacts, Unknown

Progress = Callable[[str], None]
T = TypeVar("T")

_PACKAGES_GUARD = threading.Lock()
_PACKAGES: dict[int, tuple[weakref.ref, tuple[dict, str]]] = {}  # id(DesiredState) -> (ref, value)


def packages_of(desired: DesiredState) -> tuple[dict, str]:
    """``fleet_packages`` of a loaded fleet and its digest, kept while that ``DesiredState`` lives (it
    never changes): each observer of a long-lived session would otherwise read every product's
    packages again, O(fleet) per one-product plan. A fleet no longer referenced drops its entry."""
    key = id(desired)
    with _PACKAGES_GUARD:
        entry = _PACKAGES.get(key)
        if entry is not None and entry[0]() is desired:
            return entry[1]
    packages = fleet_packages(desired.products)
    value = (packages, packages_digest(packages))
    with _PACKAGES_GUARD:
        _PACKAGES[key] = (weakref.ref(desired, lambda _ref, k=key: _PACKAGES.pop(k, None)), value)
    return value


class Observer:
    """Observes products of one fleet; one instance per run (it caches fetches shared by products)."""

    def __init__(
        self,
        desired: DesiredState,
        store: Store,
        context: Context,
        workers: int = 8,
        registry: Registry = FACETS,
    ):
        self.desired, self.store, self.context, self.workers = desired, store, context, workers
        self.registry = registry
        # one HTTP client per run: per-host rate limits, retries, conditional requests
        self.http = RegistryHttp(cache_dir=self.state_dir / "http-documents")
        self._guard = threading.Lock()
        self._locks: dict[Any, threading.Lock] = {}
        self.gits: dict[str, GitFacts | Unknown] = {}  # the git facts observed by this run, per product
        self._once: dict[Any, Any] = {}
        self.git_facts = GitFactsCache(desired.state_dir)

    @property
    def state_dir(self) -> Path:
        """The fleet's state directory (mirrors, published sites, the oracle's index)."""
        return self.desired.state_dir

    def mirror(self, product: str) -> Path:
        """The bare mirror of ``product``'s repository."""
        return mirror_path(self.state_dir, self.desired.repo_location(product))

    def lock(self, key: Any) -> threading.Lock:
        """A lock per ``key`` for this run (e.g. one SQLite writer, one Jenkins folder request)."""
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def once(self, key: Any, fetch: Callable[[], T]) -> T:
        """``fetch()`` at most once per ``key`` and run; later callers get the same value. Observers
        share per-run fetches through it (a mirror sync, a Jenkins folder listing)."""
        with self.lock(("once", key)):
            if key not in self._once:
                try:
                    self._once[key] = fetch()
                except Exception as exc:  # remembered: every product sharing the fetch sees the error
                    self._once[key] = exc
            value = self._once[key]
        if isinstance(value, Exception):
            raise value
        return value

    def observe_git(self, name: str, api: bool = True) -> GitFacts | Unknown:
        """Sync the product's mirror (once per repository and run; not at all when a local source's refs
        are those it was synced from) and parse its git state (with the public API's fingerprint for
        docs, unless ``api`` is False); facts read under the same refs and spec are reused
        (``observe.gitcache``)."""
        product = self.desired.products[name]
        url = self.desired.repo_location(name)
        mirror = mirror_path(self.state_dir, url)
        try:
            self.once(("mirror", url), lambda: self._sync(url, mirror, helper_for(self.desired, name)))
            packages, digest = self.once("fleet-packages", lambda: packages_of(self.desired))
            has_api = product.spec.docs is not None  # without docs there is no API to read
            api = api and has_api
            # facts read with the API serve a caller that does not need it (a partial plan reading the
            # others' manifests): the two never evict each other's kept facts
            apis = (api,) if api or not has_api else (False, True)
            key, *wider = facts_keys(mirror, product.model_dump_json(), digest, apis)
            kept = self.git_facts.get(name, key, *wider)
            if kept is not None:
                return kept
            git = parse_git(product, fetch_git(product, mirror), packages)
            if api and git.docs_inputs is not None:
                git = with_public_api(self, name, mirror, git)
            self.git_facts.put(name, key, git)
            return git
        except (GitError, OSError) as exc:
            msg = exc.stderr if isinstance(exc, GitError) else str(exc)
            return Unknown(error=f"git: cannot read {product.spec.source.branch!r} of {url}: {msg}")

    @staticmethod
    def _sync(url: str, mirror: Path, helper: str | None) -> None:
        source = source_refs(url)  # read before the fetch: a push meanwhile shows at the next check
        if mirror_current(mirror, source):
            return
        # under the repository's lock: a release of this product in another process (a controller
        # observing it as a dependency) commits and tags in the mirror, which a pruning fetch must not
        # undo before its push
        with repo_lock(mirror):
            if mirror_current(mirror, source):
                return
            sync_mirror(url, mirror, helper)
            mark_synced(mirror, source)

    def observe_product(self, name: str) -> ProductFacts:
        """Every fact of one product: git first (``observe`` reads every product's first), then each
        wanted facet's observer."""
        product = self.desired.products[name]
        git = self.gits.get(name)
        if git is None:
            git = self.gits[name] = self.observe_git(name)
        fields: dict[str, Any] = {}
        own: dict[str, Any] = {}  # facets with their own facts model (FacetPlugin.facts_model)
        for facet in self.registry.facets:
            if facet.observer is None or facet.wants(product) is None:
                continue
            value = facet.observer.load()(self, name, git)
            if facet.facts_field != OWN_FACTS:
                fields[facet.facts_field] = value
            elif value is not None:
                own[facet.name] = value
            for field, side in facet.side_observers.items():
                if (extra := side.load()(self, name, git)) is not None:
                    fields[field] = extra
        return ProductFacts(git=git, **fields, facets=own)

    def observe_git_facts(self, names: Iterable[str]) -> dict[str, ProductFacts]:
        """Only the git facts of ``names`` (their manifests' requirements, for the products planned
        next to them), concurrently; products whose git cannot be read are left out."""
        names = sorted(names)
        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(names) or 1))) as pool:
            gits = list(pool.map(lambda n: self.observe_git(n, api=False), names))
        return {
            n: ProductFacts(git=g) for n, g in zip(names, gits, strict=True) if not isinstance(g, Unknown)
        }

    def observe(self, names: Iterable[str], progress: Progress | None = None) -> dict[str, ProductFacts]:
        """Observe ``names`` concurrently: every product's git first (facet observers then read what
        they need of all of them at once: ``gits``, the local runner's results in one query), then each
        product's facets. ``progress(name)`` twice per product: after its git, after the rest."""
        names = sorted(names)

        def git(name: str) -> GitFacts | Unknown:
            out = self.observe_git(name)
            if progress:
                progress(name)
            return out

        try:
            with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(names) or 1))) as pool:
                self.gits.update(zip(names, pool.map(git, names), strict=True))
                results = {}
                for name, facts in zip(names, pool.map(self.observe_product, names), strict=True):
                    results[name] = facts
                    if progress:
                        progress(name)
                return results
        finally:
            self.http.close()


__all__ = ["Observer", "ProductFacts"]
