"""Docs sites: where ``docs.build`` puts a product's site (the controller's preview), the stamp every copy
of a site carries, and the layout of a versioned branch.

The stamp (``.codemonkeys-stamp.json``) records the commit, the docs-inputs hash, the API fingerprint and,
on a versioned target, the version a site was built from. The actuators write it; the observer reads it
back from the preview, from a publish branch and from web hosts; the planner compares the inputs hash with
HEAD's.

A versioned branch is laid out as ``mike`` lays it out, so its version selector (mkdocs-material's, and
mike's own) reads it: one folder per version, ``versions.json`` (``[{version, title, aliases}]``, newest
first), each alias a folder of redirect pages to its version, and ``index.html`` at the root redirecting
to the default alias.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from codemonkeys.gitrev import GitError
from codemonkeys.vocab.facts import DocsFacts, DocsTargetFacts, SiteStamp

if TYPE_CHECKING:
    from codemonkeys.kinds.models import DocsBranchTarget
    from codemonkeys.repos import Mirror

STAMP = ".codemonkeys-stamp.json"
VERSIONS = "versions.json"
_REFRESH = re.compile(r'http-equiv="refresh" content="0; url=([^"]+)"')


def site_dir(state_dir: Path, product: str) -> Path:
    """Where ``product``'s site is published (under the fleet's state dir)."""
    return state_dir / "sites" / product


def publish_branch(target: DocsBranchTarget) -> str:
    """Code Monkeys' own branch of a publish target's commit in pull-request mode."""
    return f"codemonkeys/docs-{target.key}"


def preview_page(state_dir: Path, product: str, path: str) -> tuple[Path | None, bool]:
    """The file of ``product``'s preview that ``path`` (a URL path under ``/docs/<product>/``) names (a
    directory: its ``index.html``; None when there is none, or when ``path`` leads outside the site), and
    whether ``path`` names a directory of the site without its trailing slash (relative links need it)."""
    root = site_dir(state_dir, product).resolve()
    found = (root / path.lstrip("/")).resolve()
    if not found.is_relative_to(root):
        return None, False
    if found.is_dir():
        if path and not path.endswith("/"):
            return None, True
        found = found / "index.html"
    return (found if found.is_file() else None), False


def parse_stamp(text: str | None) -> DocsFacts:
    """Pure: the stamp's JSON (None: never published) -> docs facts."""
    if not text:
        return DocsFacts()
    data = json.loads(text)
    return DocsFacts(
        published_commit=data.get("commit"),
        published_inputs=data.get("inputs"),
        published_api=data.get("api"),
    )


def published_docs(state_dir: Path, product: str) -> DocsFacts:
    """What the published site of ``product`` was built from."""
    path = site_dir(state_dir, product) / STAMP
    return parse_stamp(path.read_text() if path.is_file() else None)


def stamp_text(commit: str, inputs: str | None, api: str | None = None, version: str | None = None) -> str:
    """Pure: the stamp a copy of a site carries."""
    data = {"commit": commit, "inputs": inputs, "api": api, **({"version": version} if version else {})}
    return json.dumps(data, indent=2) + "\n"


def site_stamp(text: str | None) -> SiteStamp | None:
    """Pure: a stamp's text -> what the site was built from; None without one. ``ValueError`` when it is
    not a stamp."""
    if not text:
        return None
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the stamp is not a JSON object")
    return SiteStamp(commit=data.get("commit"), inputs=data.get("inputs"), version=data.get("version"))


def redirect_page(url: str) -> str:
    """Pure: a page that sends the reader to ``url`` (relative), as mike's redirects do."""
    target = html.escape(url, quote=True)
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>Redirecting</title>\n'
        f'<noscript><meta http-equiv="refresh" content="0; url={target}"></noscript>\n'
        f"<script>window.location.replace({json.dumps(url)} + window.location.hash);</script>\n"
        f'<link rel="canonical" href="{target}">\n</head>\n<body>\n'
        f'Redirecting to <a href="{target}">{target}</a>...\n</body>\n</html>\n'
    )


def redirect_target(page: str | None) -> str | None:
    """Pure: where a redirect page written by ``redirect_page`` (or mike) sends the reader."""
    found = _REFRESH.search(page or "")
    return html.unescape(found.group(1)) if found else None


def parse_versions(text: str | None) -> list[dict]:
    """Pure: ``versions.json`` -> its entries (``{version, title, aliases}``); ``ValueError`` when it is
    not such a list."""
    if not text:
        return []
    data = json.loads(text)
    if not isinstance(data, list) or not all(isinstance(e, dict) and "version" in e for e in data):
        raise ValueError(f"{VERSIONS} is not a list of {{version, title, aliases}}")
    return [
        {
            "version": str(e["version"]),
            "title": str(e.get("title", e["version"])),
            "aliases": list(e.get("aliases", [])),
        }
        for e in data
    ]


def _release(version: str) -> Version | None:
    """A version folder's release number (``1.2.0``, ``v1.2``, ``1.0.0-rc.1``), None for a name (``dev``)."""
    try:
        return Version(version.removeprefix("v"))
    except InvalidVersion:
        return None


def _newest_first(entries: list[dict]) -> list[dict]:
    """Names that are not release numbers (``dev``) first, by name, then releases newest first."""
    names = sorted((e for e in entries if _release(e["version"]) is None), key=lambda e: e["version"])
    releases = [e for e in entries if _release(e["version"]) is not None]
    releases.sort(key=lambda e: (_release(e["version"]), e["version"]), reverse=True)
    return names + releases


def with_version(entries: list[dict], version: str, aliases: tuple[str, ...] = ()) -> list[dict]:
    """Pure: ``versions.json`` entries with ``version`` listed, and ``aliases`` moved to it from any other
    version (an alias names one version), newest first."""
    out = []
    for e in entries:
        if e["version"] != version:
            out.append({**e, "aliases": [a for a in e["aliases"] if a not in aliases]})
    mine = next(
        (e for e in entries if e["version"] == version), {"version": version, "title": version, "aliases": []}
    )
    out.append({**mine, "aliases": sorted({*mine["aliases"], *aliases})})
    return _newest_first(out)


def branch_paths(versioned: bool, files: Mapping[str, str | None] | None = None) -> list[str]:
    """The paths the observer reads of a publish branch: the stamp, or ``versions.json`` and the root page
    (then, given those ``files``, each listed version's stamp)."""
    if not versioned:
        return [STAMP]
    if files is None:
        return [VERSIONS, "index.html"]
    return [f"{e['version']}/{STAMP}" for e in parse_versions(files.get(VERSIONS))]


def branch_facts(versioned: bool, head: str | None, files: Mapping[str, str | None]) -> DocsTargetFacts:
    """Pure: what readers see on a publish branch at ``head`` (None: no such branch), from the texts of
    ``branch_paths`` (missing files: None). ``ValueError``: a stamp or ``versions.json`` that is not one."""
    if head is None:
        return DocsTargetFacts()
    if not versioned:
        stamp = site_stamp(files.get(STAMP))
        return DocsTargetFacts(head=head, versions={"": stamp} if stamp else {})
    entries = parse_versions(files.get(VERSIONS))
    # a listed folder whose stamp is gone (deleted by hand) is not there for readers: left out
    stamps = {e["version"]: site_stamp(files.get(f"{e['version']}/{STAMP}")) for e in entries}
    versions = {v: stamp for v, stamp in stamps.items() if stamp is not None}
    aliases = {a: e["version"] for e in entries for a in e["aliases"]}
    default = (redirect_target(files.get("index.html")) or "").strip("/") or None
    return DocsTargetFacts(head=head, versions=versions, aliases=aliases, default=default)


def read_branch(repo: Mirror, target: DocsBranchTarget) -> DocsTargetFacts:
    """The site on ``target``'s branch as the mirror has it; ``GitError`` or ``ValueError`` if unreadable."""
    try:
        head = repo.branch_head(target.branch)
    except GitError:
        return DocsTargetFacts()
    paths = branch_paths(target.versions)
    files = _texts(repo, head, paths)
    more = branch_paths(target.versions, files) if target.versions else []
    files |= _texts(repo, head, more)
    return branch_facts(target.versions, head, files)


def _texts(repo: Mirror, head: str, paths: list[str]) -> dict[str, str | None]:
    found = repo.at(head, paths)
    return {p: (o[2].decode("utf-8", "replace") if o and o[1] == "blob" else None) for p, o in found.items()}
