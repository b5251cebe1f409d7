"""The announce facet's observer: which versions each of a product's channels carries.

The journal records every announcement (``announce.post`` outputs name channel and version). A browser
channel whose macro has a ``verify`` block is also checked on the site itself when the newest released
version is not on record: a post that landed before a crash (so nothing was journaled) is found there
and not posted again. A positive check is remembered in ``verified.json`` next to that run's files, so
the browser opens once. Verify's own failure (the site unreachable, a login refused) is an ``Unknown``;
its ``expect_text`` / ``assert_url`` / ``wait_for`` not matching means "not there".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from codemonkeys.announce.macro import Browser, Macro, MacroError, ensure_ffmpeg, macro_values, run_macro
from codemonkeys.announce.record import announced_versions, artifact_dir, release_of, verified_marker
from codemonkeys.kinds.models import BrowserChannel
from codemonkeys.vocab.enums import Versioning
from codemonkeys.vocab.facts import AnnouncedFacts, GitFacts, Unknown
from codemonkeys.vocab.versioning import format_tag

if TYPE_CHECKING:
    from codemonkeys.observe import Observer

NOT_THERE = ("expect_text", "assert_url", "wait_for")  # a verify step that did not match: no post


def observe_announce(
    run: Observer, name: str, git: GitFacts | Unknown
) -> dict[str, AnnouncedFacts | Unknown]:
    """Per channel of ``name``: the announced versions (journal, plus a ``verify`` that found the newest)."""
    product = run.desired.products[name]
    spec = product.spec.announce
    assert spec is not None
    channels = run.desired.fleet.spec.announce.channels
    version = _released(product, git)
    out: dict[str, AnnouncedFacts | Unknown] = {}
    for ch in spec.channels:
        versions = announced_versions(run.store, name, ch)
        channel = channels.get(ch)
        if version and version not in versions and isinstance(channel, BrowserChannel):
            found = _verify(run, name, ch, channel, version)
            if isinstance(found, Unknown):
                out[ch] = found
                continue
            if found:
                versions = [*versions, version]
        out[ch] = AnnouncedFacts(versions=versions)
    return out


def _released(product, git: GitFacts | Unknown) -> str | None:
    """The newest version that has a tag (a pinned version only once its tag exists)."""
    if isinstance(git, Unknown):
        return None
    rel = product.spec.release
    if rel is not None and rel.versioning is Versioning.PINNED:
        tag = format_tag(product.spec.tag_format, product.metadata.name, rel.version)
        return rel.version if tag in git.tags else git.last_version
    return git.last_version


def _verify(run: Observer, name: str, ch: str, channel: BrowserChannel, version: str) -> bool | Unknown:
    marker = verified_marker(run.state_dir, name, ch, version)
    if marker.is_file():
        return True
    path = run.desired.root / channel.macro
    try:
        macro = Macro.parse(path.read_text(), channel.macro)
    except (OSError, MacroError) as exc:
        return Unknown(error=f"announce {ch}: macro {channel.macro}: {exc}")
    if not macro.verify:
        return False
    product = run.desired.products[name]
    tag = format_tag(product.spec.tag_format, name, version)
    links = dict(product.spec.announce.links) if product.spec.announce else {}
    release = release_of(run.mirror(name), name, version, tag, product.spec.source.path, links)
    secrets = run.context.secrets
    values = macro_values(release.values(), channel.secrets, secrets.get)
    env = run.context.env
    no_video = ensure_ffmpeg(env, Path(env.get("HOME") or Path.home()))
    browser = Browser(executable=env.get("CM_CHROMIUM", Browser.executable), video=no_video is None)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    where = artifact_dir(run.state_dir, name, ch, version, "verify", stamp)
    result = run_macro(
        macro.verify, values, where, browser, path.parent, _redactor(secrets.values(channel.secrets))
    )
    if result.ok:
        marker.write_text(
            json.dumps({"version": version, "dir": str(where), "files": result.hashes()}, indent=2)
        )
        return True
    if result.failed_key in NOT_THERE:
        return False
    return Unknown(
        error=f"announce {ch}: verify of {channel.macro} failed at {result.failed_step}: {result.error}"
    )


def _redactor(values: list[str]):
    def redact(text: str) -> str:
        for v in sorted(values, key=len, reverse=True):
            if v and len(v) >= 4:
                text = text.replace(v, "***")
        return text

    return redact
