"""npm registries (stage 2: observe): which versions of a node package are published.

Fetch (``observe_npm``): the packument ``GET {url}/{name}``, scoped names escaped as the npm CLI does
(``@scope/name`` -> ``@scope%2fname``), asking for the abbreviated install document
(``application/vnd.npm.install-v1+json``) and accepting the full one. A 404 means the package is not
there yet: no versions, not an error.

Parse (pure): ``parse_packument`` -> ``RegistryFacts`` (the keys of ``versions``, sorted as strings
like the file registry's; deprecated versions are kept: they are published). A fully unpublished
package (only ``time.unpublished`` left) has no versions. ``parse_dist_tags`` reads ``dist-tags``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from codemonkeys.registries.http import Auth, RegistryHttp, payload_error
from codemonkeys.vocab.facts import RegistryFacts

ACCEPT = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"


def _load(payload: bytes | str) -> dict[str, Any]:
    data = json.loads(payload)
    if not isinstance(data, dict):
        raise ValueError("a packument is a JSON object")
    return data


def parse_packument(payload: bytes | str) -> RegistryFacts:
    """Pure: a packument (full or abbreviated) -> its published versions."""
    versions = _load(payload).get("versions") or {}
    if not isinstance(versions, dict):
        raise ValueError("`versions` is not an object")
    return RegistryFacts(versions=sorted(str(v) for v in versions))


def parse_dist_tags(payload: bytes | str) -> dict[str, str]:
    """Pure: a packument -> its dist-tags (``{"latest": "7.0.0", ...}``); empty when there are none."""
    tags = _load(payload).get("dist-tags") or {}
    if not isinstance(tags, dict):
        raise ValueError("`dist-tags` is not an object")
    return {str(k): str(v) for k, v in sorted(tags.items())}


def escape_name(package: str) -> str:
    """The packument path of a package name: ``@scope/name`` -> ``@scope%2fname``."""
    if package.startswith("@") and "/" in package:
        scope, name = package[1:].split("/", 1)
        return f"@{quote(scope, safe='')}%2f{quote(name, safe='')}"
    return quote(package, safe="")


def packument_url(url: str, package: str) -> str:
    """The URL of ``package``'s packument (document of all its versions) on the registry."""
    return f"{url.rstrip('/')}/{escape_name(package)}"


def observe_npm(http: RegistryHttp, url: str, package: str, auth: Auth | None = None) -> RegistryFacts:
    """Fetch and parse; raises ``RegistryError``."""
    response = http.get(
        packument_url(url, package), auth=auth, headers={"Accept": ACCEPT}, expect={404}, conditional=True
    )
    if response.status_code == 404:
        return RegistryFacts()
    try:
        return parse_packument(response.content)
    except ValueError as exc:
        raise payload_error(response, exc) from None
