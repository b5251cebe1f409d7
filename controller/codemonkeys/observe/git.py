"""Git observer: read raw refs, logs and files of a product's mirror, parse them into GitFacts.

The mirror (a bare clone under ``<fleet>/.cmctl/repos/``, synced by the Observer through ``repos``) is
also where actuators start their worktrees. ``fetch_git`` does I/O; ``parse_git`` is pure and tested on
recorded payloads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from codemonkeys.kinds.models import Product
from codemonkeys.repos import SKIP_CI, GitError, Mirror
from codemonkeys.swarm.deps import MANIFESTS, is_manifest, parse_manifests
from codemonkeys.vocab.enums import Ecosystem
from codemonkeys.vocab.facts import GitFacts
from codemonkeys.vocab.versionfiles import read_version, version_file_for
from codemonkeys.vocab.versioning import (
    newest_version_tag,
    next_version,
    overall_bump,
    parse_commit,
)


@dataclass(frozen=True)
class RawGit:
    """What ``fetch_git`` read from the mirror; input of the pure ``parse_git``."""

    head: str
    tags: list[str]  # all tags
    merged_tags: list[str]  # tags reachable from head
    log_since: list[tuple[str, str, str]]  # (sha, subject, body) since the last version tag, newest first
    recent_log: list[tuple[str, str, str]]  # the newest commits (under path), to find the build commit
    version_file: str
    version_text: str | None
    docs_ids: list[str]  # object ids of the docs inputs at head ("" for a missing path)
    jenkinsfile_id: str = ""  # object id of the product's Jenkinsfile at head ("" if missing)
    manifests: dict[str, str] = field(default_factory=dict)  # manifest path (product-relative) -> text


def _rel(product: Product, path: str) -> str:
    base = (product.spec.source.path or "").strip("/")
    return f"{base}/{path}" if base else path


def tree_names(tree: bytes) -> list[str]:
    """The entry names of a raw git tree object (``<mode> <name>\\0<binary id>`` entries)."""
    names, pos = [], 0
    while pos < len(tree):
        nul = tree.index(b"\0", pos)
        names.append(tree[pos:nul].split(b" ", 1)[1].decode("utf-8", "replace"))
        pos = nul + 1 + 20  # SHA-1 ids
    return names


def _manifests(repo: Mirror, head: str, product: Product, objects: dict) -> dict[str, str]:
    """The manifests at head: the usual ones came with the batch; other ``requirements*.txt`` files named
    by the product's tree cost one more read, only when there are some."""
    found = {m: obj[2] for m in MANIFESTS if (obj := objects[_rel(product, m)]) and obj[1] == "blob"}
    tree = objects[_rel(product, "")]
    extra = (
        [n for n in tree_names(tree[2]) if n not in found and n not in MANIFESTS and is_manifest(n)]
        if (tree and tree[1] == "tree")
        else []
    )
    if extra:
        more = repo.at(head, [_rel(product, n) for n in extra])
        found |= {n: obj[2] for n in extra if (obj := more[_rel(product, n)]) and obj[1] == "blob"}
    return {path: blob.decode("utf-8", "replace") for path, blob in found.items()}


def fetch_git(product: Product, mirror: Path) -> RawGit:
    """Read what ``parse_git`` needs from the mirror: refs and logs, then every file and tree id at head
    in one ``cat-file --batch``."""
    spec = product.spec
    path = spec.source.path or None
    vfile = _rel(
        product, version_file_for(spec.language, spec.release.version_file if spec.release else None)
    )
    docs = [_rel(product, p) for p in (spec.docs.dir, spec.docs.config)] if spec.docs is not None else []
    jenkinsfile_path = _rel(product, "Jenkinsfile")
    with Mirror(mirror) as repo:
        head = repo.branch_head(spec.source.branch)
        tags = repo.tags()
        merged = repo.merged_tags(head)
        last = newest_version_tag(merged, spec.tag_format, product.metadata.name)
        log_since = repo.commits_since(last[0] if last else None, head, path)
        # The build commit: the newest commit of this product (its path in a monorepo) CI should build.
        recent = repo.log(head, path, limit=50)
        manifests = [_rel(product, m) for m in MANIFESTS]
        # one process for every file and tree
        objects = repo.at(head, [vfile, *docs, jenkinsfile_path, *manifests, _rel(product, "")])
        texts = _manifests(repo, head, product, objects)
    version = objects[vfile]
    version_text = version[2].decode("utf-8", "replace") if version and version[1] == "blob" else None
    docs_ids = [objects[p][0] if objects[p] else "" for p in docs]
    jenkinsfile = objects[jenkinsfile_path][0] if objects[jenkinsfile_path] else ""
    return RawGit(
        head, tags, merged, log_since, recent, vfile, version_text or None, docs_ids, jenkinsfile, texts
    )


def parse_git(product: Product, raw: RawGit, packages: dict[Ecosystem, set[str]] | None = None) -> GitFacts:
    """Pure: raw git output -> GitFacts (versions, releasable commits, build commit, docs inputs, and the
    manifests' requirements on ``packages``, ecosystem -> normalized names: the fleet's; none if None)."""
    spec = product.spec
    name = product.metadata.name
    tag_format = spec.tag_format
    last = newest_version_tag(raw.merged_tags, tag_format, name)
    commits = [parse_commit(sha, subject, body) for sha, subject, body in raw.log_since]
    file_version = read_version(raw.version_file, raw.version_text) if raw.version_text else None
    bump = overall_bump(commits)
    versions = {t: m[1] for t in raw.tags if (m := newest_version_tag([t], tag_format, name))}
    all_tags, taken = list(versions), list(versions.values())
    channel = spec.release.prerelease if spec.release else None
    nxt = next_version(last[1] if last else None, bump, file_version, channel, taken)
    build_commit = raw.head
    for sha, subject, body in raw.recent_log:
        if not any(marker in f"{subject}\n{body}" for marker in SKIP_CI):
            build_commit = sha
            break
    docs_inputs = None
    if raw.docs_ids and all(raw.docs_ids):
        docs_inputs = hashlib.sha256("\n".join(raw.docs_ids).encode()).hexdigest()[:16]
    return GitFacts(
        head=raw.head,
        build_commit=build_commit,
        last_tag=last[0] if last else None,
        last_version=last[1] if last else None,
        tags=sorted(all_tags),
        commits_since=commits,
        bump=bump,
        next_version=nxt,
        file_version=file_version,
        docs_inputs=docs_inputs,
        jenkinsfile=bool(raw.jenkinsfile_id),
        requires=parse_manifests(raw.manifests, packages) if packages else [],
    )


__all__ = ["GitError", "RawGit", "fetch_git", "parse_git"]
