"""PyPI-compatible registries (stage 2: observe): which versions of a Python package are published.

Fetch (``observe_pypi``), in order:

1. the JSON API ``GET {url}/pypi/{name}/json`` (PyPI, devpi, Artifactory). A 404 here is not
   conclusive (pypiserver and many indexes have no such route), so it falls through to 2.
2. the simple index ``GET {url}/simple/{normalized-name}/``, content-negotiated as PEP 691 asks:
   PEP 691 JSON (``application/vnd.pypi.simple.v1+json``) preferred, PEP 503 HTML accepted; the
   answer is parsed by the content type the server chose. A 404 means the package is not there yet:
   no versions, not an error.

``url`` is the index's base (``https://pypi.org``); a base ending in ``/simple`` is accepted too.

Parse (pure): ``parse_pypi_json``, ``parse_simple_json``, ``parse_simple_html`` -> ``RegistryFacts``.
Versions are read from distribution file names (``packaging``'s wheel and sdist name parsers), so a
version counts once at least one file of it was uploaded; they are normalized (``2.0.0-rc1`` ->
``2.0.0rc1``) and sorted as strings, like the file registry's. **Yanked files are kept**: a yanked
version is still published (PyPI never accepts the same file name or version again), which is what
the planner asks ("is this version already out?"). The JSON API's release keys are authoritative;
the simple index shows files only, so a release made only of legacy files (``.exe``, ``.egg``) is seen
through the JSON API alone.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from codemonkeys.registries.http import Auth, RegistryError, RegistryHttp, payload_error, safe_url
from codemonkeys.vocab.facts import RegistryFacts

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_ACCEPT = f"{SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
JSON_API_FALLTHROUGH = frozenset({404, 405, 406})  # "no JSON API here" (or no such project): try simple


def normalize_version(raw: str) -> str:
    """``raw`` in PEP 440 normal form (``1.0.0-rc.1`` -> ``1.0.0rc1``); as is if it is not PEP 440."""
    try:
        return str(Version(raw))
    except InvalidVersion:
        return raw


def version_of_file(filename: str, name: str | None = None) -> str | None:
    """The version in a wheel or sdist file name; None for other files, unparsable names, or (given
    ``name``) files of another project."""
    try:
        if filename.endswith(".whl"):
            project, version, _build, _tags = parse_wheel_filename(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            project, version = parse_sdist_filename(filename)
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    if name is not None and project != canonicalize_name(name):
        return None
    return str(version)


def _facts(versions: set[str]) -> RegistryFacts:
    return RegistryFacts(versions=sorted(versions))


def _load_object(payload: bytes | str) -> dict[str, Any]:
    data = json.loads(payload)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def parse_pypi_json(payload: bytes | str) -> RegistryFacts:
    """Pure: the JSON API's project document -> versions with at least one file (yanked included).

    Real PyPI lists every file under ``releases``; pypiserver's minimal document has ``releases`` with
    file URLs only. A release whose file list is empty (every file deleted) is not counted.
    """
    data = _load_object(payload)
    releases = data.get("releases")
    if releases is None:
        info = data.get("info") or {}
        version = info.get("version") if isinstance(info, dict) else None
        return _facts({normalize_version(version)} if isinstance(version, str) and version else set())
    if not isinstance(releases, dict):
        raise ValueError("`releases` is not an object")
    return _facts({normalize_version(str(v)) for v, files in releases.items() if files})


def parse_simple_json(payload: bytes | str, name: str) -> RegistryFacts:
    """Pure: a PEP 691 project page -> versions of its wheel and sdist files (yanked included).

    Versions listed by PEP 700's ``versions`` key without any file are not counted.
    """
    data = _load_object(payload)
    files = data.get("files")
    if not isinstance(files, list):
        raise ValueError("`files` is not a list")
    versions: set[str] = set()
    for f in files:
        filename = f.get("filename") if isinstance(f, dict) else None
        if isinstance(filename, str) and (v := version_of_file(filename, name)):
            versions.add(v)
    return _facts(versions)


class Anchors(HTMLParser):
    """The anchors of an HTML page: (attributes, text) each (a PEP 503 project page's files)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """An anchor opens: keep its attributes."""
        if tag == "a":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        """Text inside an open anchor is its label."""
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        """An anchor closes: record it with its label."""
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, "".join(self._text).strip()))
            self._open = None


def parse_simple_html(text: str, name: str) -> RegistryFacts:
    """Pure: a PEP 503 project page -> versions of its wheel and sdist files (``data-yanked`` included).

    The file name is the last path segment of each anchor's ``href`` (PEP 503), else the anchor text.
    """
    parser = Anchors()
    parser.feed(text)
    parser.close()
    versions: set[str] = set()
    for attrs, label in parser.anchors:
        href = attrs.get("href") or ""
        filename = unquote(urlsplit(href).path.rsplit("/", 1)[-1]) or label
        v = version_of_file(filename, name) or version_of_file(label, name)
        if v:
            versions.add(v)
    return _facts(versions)


def index_urls(url: str, package: str) -> tuple[str, str]:
    """(JSON API URL, simple project page URL) for ``package`` on the index at ``url``."""
    base = url.rstrip("/")
    if base.endswith("/simple"):
        base = base.removesuffix("/simple")
    return (
        f"{base}/pypi/{quote(canonicalize_name(package), safe='')}/json",
        f"{base}/simple/{quote(canonicalize_name(package), safe='')}/",
    )


def observe_pypi(http: RegistryHttp, url: str, package: str, auth: Auth | None = None) -> RegistryFacts:
    """Fetch and parse; raises ``RegistryError``."""
    json_url, simple_url = index_urls(url, package)
    accept = {"Accept": "application/json"}
    response = http.get(json_url, auth=auth, headers=accept, expect=JSON_API_FALLTHROUGH, conditional=True)
    if response.status_code == 200 and _content_type(response) == "application/json":
        try:
            return parse_pypi_json(response.content)
        except ValueError as exc:
            raise payload_error(response, exc) from None

    response = http.get(
        simple_url, auth=auth, headers={"Accept": SIMPLE_ACCEPT}, expect={404}, conditional=True
    )
    if response.status_code == 404:
        return RegistryFacts()
    kind = _content_type(response)
    try:
        if kind == SIMPLE_JSON or kind.endswith("+json") or kind == "application/json":
            return parse_simple_json(response.content, package)
        if kind in ("text/html", "application/vnd.pypi.simple.v1+html", ""):
            return parse_simple_html(response.text, package)
    except ValueError as exc:
        raise payload_error(response, exc) from None
    where = f"GET {safe_url(simple_url)}: HTTP {response.status_code}"
    raise RegistryError(f"{where}: unexpected content type {kind!r}", response.status_code)


def _content_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
