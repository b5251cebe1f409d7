"""Observe (stage 2): read the real state of every product into typed facts.

Each source is a fetch (I/O) plus a pure parse. Products are observed concurrently on a bounded
pool; a repository shared by several products (a monorepo) is fetched once per run. Any observer
error becomes an ``Unknown`` fact carrying the message, which blocks only the actions needing it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from codemonkeys.gitutil import GitError
from codemonkeys.kinds.loader import DesiredState
from codemonkeys.kinds.models import CIKind, RegistryType
from codemonkeys.observe.docs import observe_docs
from codemonkeys.observe.git import fetch_git, mirror_path, parse_git, sync_mirror
from codemonkeys.observe.registries import observe_registry
from codemonkeys.observe.registry_http import RegistryHttp
from codemonkeys.store.db import Store
from codemonkeys.vocab.facts import BuildFacts, BuildStatus, GitFacts, ProductFacts, RegistryFacts, Unknown

Progress = Callable[[str], None]


class Observer:
    """Observes products of one fleet; one instance per run (it caches repository fetches)."""

    def __init__(self, desired: DesiredState, store: Store, workers: int = 8):
        self.desired, self.store, self.workers = desired, store, workers
        self._synced: dict[str, threading.Lock] = {}
        self._sync_errors: dict[str, str] = {}
        self._guard = threading.Lock()
        self._done: set[str] = set()
        self.http = RegistryHttp()  # one HTTP client per run: per-host rate limits, retries
        self._jenkins = None  # a jenkinsci.Connection, made on first use
        self._oracle_lock = threading.Lock()
        self._oracle_url = f"sqlite:///{(desired.state_dir / 'oracle.db').resolve()}"
        self._jenkins_folders: dict[str, object] = {}  # folder -> {job: builds} or the JenkinsError
        self._jenkins_locks: dict[str, threading.Lock] = {}

    @property
    def state_dir(self) -> Path:
        return self.desired.state_dir

    def mirror(self, product: str) -> Path:
        return mirror_path(self.state_dir, self.desired.repo_location(product))

    def _sync_once(self, url: str) -> None:
        with self._guard:
            lock = self._synced.setdefault(url, threading.Lock())
        with lock:
            if url in self._done:
                return
            if url in self._sync_errors:
                raise GitError(["fetch"], 1, self._sync_errors[url])
            try:
                sync_mirror(url, mirror_path(self.state_dir, url))
            except GitError as exc:
                self._sync_errors[url] = exc.stderr or str(exc)
                raise
            self._done.add(url)

    def observe_product(self, name: str) -> ProductFacts:
        product = self.desired.products[name]
        spec = product.spec
        url = self.desired.repo_location(name)
        git: GitFacts | Unknown
        try:
            self._sync_once(url)
            git = parse_git(product, fetch_git(product, mirror_path(self.state_dir, url)))
            if spec.docs is not None and git.docs_inputs is not None:
                git = self._with_api(name, mirror_path(self.state_dir, url), git)
        except (GitError, OSError) as exc:
            msg = exc.stderr if isinstance(exc, GitError) else str(exc)
            git = Unknown(error=f"git: cannot read {spec.source.branch!r} of {url}: {msg}")

        build = None
        if spec.build is not None:
            build = self._observe_build(name, git)
        docs = None
        if spec.docs is not None:
            try:
                docs = observe_docs(self.state_dir, name)
            except (OSError, ValueError) as exc:
                docs = Unknown(error=f"docs: cannot read the published stamp: {exc}")
        registries: dict[str, RegistryFacts | Unknown] = {}
        for pub in spec.release.publish if spec.release else []:
            registries[pub.registry] = self._observe_registry(name, pub.registry, pub.package)
        return ProductFacts(git=git, build=build, docs=docs, registries=registries)

    def _with_api(self, name: str, mirror: Path, git: GitFacts) -> GitFacts:
        """Docs inputs include the public API fingerprint of head (living docs): a change of a public
        signature makes docs stale, a body-only change does not. Without the [oracle] extra, docs
        inputs are the docs sources alone."""
        try:
            from codemonkeys.oracle.repo import index_commit
        except ImportError:
            return git
        with self._oracle_lock:  # one SQLite writer; the index is incremental (content-hash keyed)
            stats = index_commit(
                self._oracle_url, name, mirror, git.head, self.desired.products[name].spec.source.path
            )
        fp = stats.api_fingerprint
        combined = hashlib.sha256(f"{git.docs_inputs}:{fp}".encode()).hexdigest()[:16]
        return git.model_copy(update={"api_fingerprint": fp, "docs_inputs": combined})

    def _observe_build(self, name: str, git: GitFacts | Unknown) -> BuildFacts | Unknown:
        if isinstance(git, Unknown):
            return Unknown(error="build: unknown because the commit to check is unknown")
        kind = self.desired.ci_kind(name)
        if kind is CIKind.JENKINS:
            return self._observe_jenkins(name, git.build_commit)
        result = self.store.build_result(name, git.build_commit)
        if result is None:
            return BuildFacts(commit=git.build_commit, status=BuildStatus.NONE)
        return BuildFacts(
            commit=git.build_commit,
            status=BuildStatus(result.status),
            duration=result.duration,
            finished_at=result.finished_at.isoformat(timespec="seconds"),
        )

    def _observe_jenkins(self, name: str, commit: str) -> BuildFacts | Unknown:
        """Batch observation: one request per Jenkins folder per run, shared by its products."""
        from codemonkeys.jenkinsci import JenkinsError, connect, job_name
        from codemonkeys.observe.ci_jenkins import build_facts, fetch_folder, parse_folder

        job = job_name(self.desired.products[name])
        folder, _, leaf = job.rpartition("/")
        with self._guard:
            lock = self._jenkins_locks.setdefault(folder, threading.Lock())
        with lock:
            if folder not in self._jenkins_folders:
                try:
                    self._jenkins = self._jenkins or connect(self.desired)
                    self._jenkins_folders[folder] = parse_folder(fetch_folder(self._jenkins, folder))
                except JenkinsError as exc:
                    # A folder that does not exist yet holds no builds: build.run will create it.
                    self._jenkins_folders[folder] = {} if "not found" in str(exc) else exc
        listing = self._jenkins_folders[folder]
        if isinstance(listing, JenkinsError):
            return Unknown(error=f"build: {listing}")
        return build_facts(listing.get(leaf), commit)

    def _observe_registry(self, product: str, registry: str, package: str) -> RegistryFacts | Unknown:
        reg = self.desired.fleet.spec.registries[registry]
        root = self.desired.registry_path(registry) if reg.type is RegistryType.FILE else None
        language = self.desired.products[product].spec.language
        return observe_registry(reg, registry, language, package, os.environ, self.http, file_root=root)

    def observe(self, names: Iterable[str], progress: Progress | None = None) -> dict[str, ProductFacts]:
        names = sorted(names)
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(names) or 1))) as pool:
                results = {}
                for name, facts in zip(names, pool.map(self.observe_product, names), strict=True):
                    results[name] = facts
                    if progress:
                        progress(name)
                return results
        finally:
            self.http.close()


__all__ = ["Observer", "ProductFacts"]
