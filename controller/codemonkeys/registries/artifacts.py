"""A released version's files as a consumer downloads them from a registry: what the supply facet signs
and checks its evidence against when the registry cannot hold that evidence itself.

``version_files`` lists (file name, URL) of one version: PyPI through the simple index (PEP 691 JSON or
PEP 503 HTML), npm through the packument's ``dist.tarball``. ``download`` fetches one into a directory.
Other registry types raise ``RegistryError`` (not supported). Failures name the registry's URL without
credentials (``RegistryHttp``).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from codemonkeys.kinds.models import Registry, RegistryType
from codemonkeys.registries.http import Auth, RegistryError, RegistryHttp, payload_error
from codemonkeys.registries.npm import ACCEPT as NPM_ACCEPT
from codemonkeys.registries.npm import packument_url
from codemonkeys.registries.pypi import SIMPLE_ACCEPT, SIMPLE_JSON, Anchors, index_urls, version_of_file
from codemonkeys.vocab.versioning import version_in


def _file_name(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def pypi_files(
    http: RegistryHttp, url: str, package: str, version: str, auth: Auth | None
) -> list[tuple[str, str]]:
    """The wheel and sdist files of ``package`` ``version`` on the index at ``url``: (name, absolute URL)."""
    _, page = index_urls(url, package)
    response = http.get(page, auth=auth, headers={"Accept": SIMPLE_ACCEPT}, expect={404})
    if response.status_code == 404:
        return []
    kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    links: list[tuple[str, str]] = []
    try:
        if kind == SIMPLE_JSON or kind.endswith("+json") or kind == "application/json":
            for f in json.loads(response.content).get("files") or []:
                if (
                    isinstance(f, dict)
                    and isinstance(f.get("filename"), str)
                    and isinstance(f.get("url"), str)
                ):
                    links.append((f["filename"], urljoin(page, f["url"])))
        else:
            parser = Anchors()
            parser.feed(response.text)
            parser.close()
            for attrs, label in parser.anchors:
                href = (attrs.get("href") or "").split("#", 1)[0]
                if href:
                    links.append((_file_name(href) or label, urljoin(page, href)))
    except (ValueError, AttributeError) as exc:
        raise payload_error(response, exc) from None
    return [
        (name, link)
        for name, link in links
        if (v := version_of_file(name, package)) is not None and version_in(version, [v])
    ]


def npm_files(
    http: RegistryHttp, url: str, package: str, version: str, auth: Auth | None
) -> list[tuple[str, str]]:
    """The tarball of ``package`` ``version`` on the npm registry at ``url``: [(name, URL)] or []."""
    response = http.get(packument_url(url, package), auth=auth, headers={"Accept": NPM_ACCEPT}, expect={404})
    if response.status_code == 404:
        return []
    try:
        entry = (json.loads(response.content).get("versions") or {}).get(version)
        tarball = entry["dist"]["tarball"] if isinstance(entry, dict) else None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise payload_error(response, exc) from None
    return [(_file_name(tarball), tarball)] if isinstance(tarball, str) else []


def version_files(
    http: RegistryHttp, registry: Registry, package: str, version: str, auth: Auth | None
) -> list[tuple[str, str]]:
    """(file name, URL) of every file of ``package`` ``version`` in ``registry`` (pypi or npm)."""
    if not registry.url:
        raise RegistryError(f"a {registry.type} registry needs a url")
    if registry.type is RegistryType.PYPI:
        return pypi_files(http, registry.url, package, version, auth)
    if registry.type is RegistryType.NPM:
        return npm_files(http, registry.url, package, version, auth)
    raise RegistryError(f"listing the files of a version is not supported for {registry.type} registries")


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` is on the registry at ``base``: the same scheme, host and port (credentials go
    nowhere else: pypi.org's files are on files.pythonhosted.org, a mirror may point anywhere)."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def download(http: RegistryHttp, url: str, dest: Path, auth: Auth | None, registry_url: str = "") -> Path:
    """Fetch ``url`` into the file ``dest`` (whole: release artifacts are small); ``dest``. The
    registry's credentials are sent only to its own origin (``registry_url``)."""
    auth = auth if registry_url and same_origin(url, registry_url) else None
    response = http.get(url, auth=auth, headers={"Accept": "*/*"})
    dest.write_bytes(response.content)
    return dest
