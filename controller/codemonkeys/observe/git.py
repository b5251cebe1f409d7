"""Git observer: fetch the product repo into a local mirror, read raw refs and logs, parse into GitFacts.

The mirror (a bare clone under ``<fleet>/.cmctl/repos/``) is also where actuators start their
worktrees. ``fetch_*`` functions do I/O; ``parse_git`` is pure and tested on recorded payloads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from codemonkeys.gitutil import GitError, git
from codemonkeys.kinds.models import Product
from codemonkeys.vocab.facts import GitFacts
from codemonkeys.vocab.versionfiles import read_version, version_file_for
from codemonkeys.vocab.versioning import (
    newest_version_tag,
    next_version,
    overall_bump,
    parse_commit,
)

SKIP_CI = ("[skip ci]", "[ci skip]")
_REC, _FLD = "\x1e", "\x1f"
LOG_FORMAT = f"%H{_FLD}%s{_FLD}%b{_REC}"


@dataclass(frozen=True)
class RawGit:
    """What ``fetch_git`` read from the mirror; input of the pure ``parse_git``."""

    head: str
    tags: list[str]  # all tags
    merged_tags: list[str]  # tags reachable from head
    log_since: str  # LOG_FORMAT records since the last version tag (or all), newest first, under path
    recent_log: str  # LOG_FORMAT records of the newest commits (any path), to find the build commit
    version_file: str
    version_text: str | None
    docs_ids: list[str]  # object ids of the docs inputs at head ("" for a missing path)
    jenkinsfile_id: str = ""  # object id of the product's Jenkinsfile at head ("" if missing)


def mirror_path(state_dir: Path, url: str) -> Path:
    """One mirror per repository URL (products of a monorepo share it)."""
    base = url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") or "repo"
    return state_dir / "repos" / f"{base}-{hashlib.sha256(url.encode()).hexdigest()[:8]}.git"


def sync_mirror(url: str, mirror: Path) -> None:
    """Create or update the bare mirror of ``url``: branches and tags as the source has them."""
    if not (mirror / "HEAD").exists():
        mirror.parent.mkdir(parents=True, exist_ok=True)
        git(["clone", "--bare", "--quiet", url, str(mirror)], mirror.parent)
        git(["config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*"], mirror)
    git(["fetch", "--quiet", "--prune", "--prune-tags", "--tags", "--force", "origin"], mirror)


def _rel(product: Product, path: str) -> str:
    base = (product.spec.source.path or "").strip("/")
    return f"{base}/{path}" if base else path


def fetch_git(product: Product, mirror: Path) -> RawGit:
    spec = product.spec
    branch = f"refs/heads/{spec.source.branch}"
    head = git(["rev-parse", "--verify", f"{branch}^{{commit}}"], mirror)
    tags = git(["tag", "--list"], mirror).split()
    merged = git(["tag", "--merged", head], mirror).split()
    tag_format = spec.tag_format
    last = newest_version_tag(merged, tag_format, product.metadata.name)
    rng = [f"{last[0]}..{head}"] if last else [head]
    pathspec = ["--", spec.source.path] if spec.source.path else []
    log_since = git(["log", f"--format={LOG_FORMAT}", *rng, *pathspec], mirror)
    # The build commit: the newest commit of this product (its path in a monorepo) that CI should build.
    recent = git(["log", "-n", "50", f"--format={LOG_FORMAT}", head, *pathspec], mirror)
    vfile = _rel(
        product, version_file_for(spec.language, spec.release.version_file if spec.release else None)
    )
    version_text = git(["show", f"{head}:{vfile}"], mirror, check=False) or None
    docs_ids: list[str] = []
    if spec.docs is not None:
        for p in (spec.docs.dir, spec.docs.config):
            docs_ids.append(
                git(["rev-parse", "--verify", "--quiet", f"{head}:{_rel(product, p)}"], mirror, check=False)
            )
    jenkinsfile = git(
        ["rev-parse", "--verify", "--quiet", f"{head}:{_rel(product, 'Jenkinsfile')}"], mirror, check=False
    )
    return RawGit(head, tags, merged, log_since, recent, vfile, version_text, docs_ids, jenkinsfile)


def _records(log: str) -> list[tuple[str, str, str]]:
    out = []
    for rec in log.split(_REC):
        rec = rec.strip("\n")
        if rec:
            sha, subject, body = [*rec.split(_FLD), "", ""][:3]
            out.append((sha, subject, body))
    return out


def parse_git(product: Product, raw: RawGit) -> GitFacts:
    """Pure: raw git output -> GitFacts (versions, releasable commits, build commit, docs inputs)."""
    spec = product.spec
    name = product.metadata.name
    tag_format = spec.tag_format
    last = newest_version_tag(raw.merged_tags, tag_format, name)
    commits = [parse_commit(sha, subject, body) for sha, subject, body in _records(raw.log_since)]
    file_version = read_version(raw.version_file, raw.version_text) if raw.version_text else None
    bump = overall_bump(commits)
    versions = {t: m[1] for t in raw.tags if (m := newest_version_tag([t], tag_format, name))}
    all_tags, taken = list(versions), list(versions.values())
    channel = spec.release.prerelease if spec.release else None
    nxt = next_version(last[1] if last else None, bump, file_version, channel, taken)
    build_commit = raw.head
    for sha, subject, body in _records(raw.recent_log):
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
    )


__all__ = ["GitError", "RawGit", "fetch_git", "mirror_path", "parse_git", "sync_mirror"]
