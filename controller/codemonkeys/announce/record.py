"""What was announced where, read back from the action journal (``announce.post`` outputs name the
channel and version) and where a run's browser files are kept (under the fleet's state directory)."""

from __future__ import annotations

from pathlib import Path

from codemonkeys.announce.message import Release, changelog_section
from codemonkeys.repos import GitError, Mirror
from codemonkeys.store.db import ActionStatus, Store
from codemonkeys.vocab.plan import ActionKind

DONE = (ActionStatus.SUCCEEDED, ActionStatus.NOOP)
CHANGELOG = "CHANGELOG.md"


def announced_versions(store: Store, product: str, channel: str) -> list[str]:
    """Versions of ``product`` the journal records as announced on ``channel`` (posted, or found there)."""
    out: list[str] = []
    for rec in store.actions(product=product):
        if rec.kind != ActionKind.ANNOUNCE_POST or rec.status not in DONE:
            continue
        outputs = rec.outputs or {}
        version = outputs.get("announced")
        if outputs.get("channel") == channel and version and version not in out:
            out.append(version)
    return out


def artifact_dir(state_dir: Path, product: str, channel: str, version: str, purpose: str, stamp: str) -> Path:
    """Where one browser run keeps its files: ``<state>/announce/<product>/<channel>/<version>/...``."""
    return state_dir / "announce" / product / channel / version / f"{stamp}-{purpose}"


def verified_marker(state_dir: Path, product: str, channel: str, version: str) -> Path:
    """The file the observer writes when a macro's ``verify`` found ``version`` on the site (a post that
    landed without being journaled), so later observations need not open the browser again."""
    return state_dir / "announce" / product / channel / version / "verified.json"


def release_of(
    mirror: Path, product: str, version: str, tag: str, source_path: str | None, links: dict[str, str]
) -> Release:
    """The release being announced, with its CHANGELOG section read at ``tag`` from the product's mirror
    (empty when the mirror has no such tag or file)."""
    path = f"{source_path}/{CHANGELOG}" if source_path else CHANGELOG
    try:
        with Mirror(mirror) as repo:
            text = repo.read_text(tag, path) if repo.has_tag(tag) else None
    except (GitError, OSError):
        text = None
    return Release(product, version, tag, changelog_section(text, version), links)
