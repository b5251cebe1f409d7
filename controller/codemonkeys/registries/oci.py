"""OCI distribution registries (stage 2: observe): which tags of a repository are published.

Fetch (``observe_oci``): ``GET {url}/v2/{name}/tags/list``, first without credentials. On 401 the
``WWW-Authenticate`` challenge decides (the distribution spec's token flow, as docker and oras do it):

- ``Basic realm=...``: retry with basic auth (username + password or token);
- ``Bearer realm="...",service="...",scope="..."``: get a token from the realm
  (``GET realm?service=...&scope=...``, with basic auth when a username is configured), then retry with
  ``Authorization: Bearer <token>``. A token configured alone is a pre-issued bearer token, sent on the
  first request.

``Link: <...>; rel="next"`` pagination is followed. A 404 whose error code is ``NAME_UNKNOWN`` (or
Harbor's ``NOT_FOUND``) means the repository is not there yet: no tags, not an error; any other 404
is an error (most likely a wrong URL).

Parse (pure): ``parse_tags`` -> ``RegistryFacts`` (every tag, ``latest`` included, sorted as strings:
the registry has no notion of which tags are versions), ``parse_www_authenticate`` -> ``Challenge``
(the first challenge of the header), ``parse_errors`` -> the error codes of an error body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import httpx

from codemonkeys.registries.http import Auth, RegistryError, RegistryHttp, payload_error, safe_url
from codemonkeys.vocab.facts import RegistryFacts

# the distribution spec's repository name grammar
REPOSITORY = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*")
NOT_THERE_CODES = frozenset({"NAME_UNKNOWN", "NOT_FOUND"})
MAX_PAGES = 1000
ACCEPT = "application/json"

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PART = re.compile(rf'\s*(?:({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)|({_TOKEN}))\s*,?')


class ChallengeScheme(StrEnum):
    """The ``WWW-Authenticate`` schemes the OCI observer answers: ``basic`` and ``bearer``."""

    BASIC = "basic"
    BEARER = "bearer"


@dataclass(frozen=True)
class Challenge:
    """One ``WWW-Authenticate`` challenge: its scheme and parameters (keys lowercased)."""

    scheme: ChallengeScheme
    params: Mapping[str, str] = field(default_factory=dict)  # keys lowercased

    @property
    def realm(self) -> str | None:
        """The token service URL of a Bearer challenge (the realm of a Basic one), if given."""
        return self.params.get("realm")

    @property
    def service(self) -> str | None:
        """The ``service`` to ask the token service for, if given."""
        return self.params.get("service")

    @property
    def scope(self) -> str | None:
        """The ``scope`` to ask the token service for, if given."""
        return self.params.get("scope")


def parse_www_authenticate(header: str) -> Challenge:
    """Pure: a ``WWW-Authenticate`` value -> its first challenge. ``ValueError`` if it has none or the
    scheme is neither Basic nor Bearer."""
    scheme: str | None = None
    params: dict[str, str] = {}
    pos = 0
    while pos < len(header):
        m = _PART.match(header, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        key, value, bare = m.groups()
        if bare is not None:
            if scheme is not None:  # the next challenge starts
                break
            scheme = bare
        elif scheme is not None and key is not None:
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            params[key.lower()] = value
    if scheme is None:
        raise ValueError("no challenge in WWW-Authenticate")
    try:
        kind = ChallengeScheme(scheme.lower())
    except ValueError:
        raise ValueError(f"unsupported auth scheme {scheme!r}") from None
    return Challenge(kind, params)


def parse_tags(payload: bytes | str) -> RegistryFacts:
    """Pure: a ``tags/list`` answer (``{"name": ..., "tags": [...]}``; ``tags`` may be null) -> tags."""
    data = json.loads(payload)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError("`tags` is not a list of strings")
    return RegistryFacts(versions=sorted(set(tags)))


def parse_errors(payload: bytes | str) -> list[str]:
    """Pure: the ``code`` of each entry of a distribution error body; empty when it is not one."""
    try:
        data = json.loads(payload)
    except ValueError:
        return []
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list):
        return []
    return [str(e["code"]) for e in errors if isinstance(e, dict) and "code" in e]


def registry_base(url: str) -> str:
    """The registry's HTTPS base URL from a configured one (``oci://``, bare host or ``.../v2``)."""
    base = url.rstrip("/")
    if base.startswith("oci://"):
        base = "https://" + base.removeprefix("oci://")
    elif "://" not in base:
        base = "https://" + base
    return base.removesuffix("/v2")


def tags_url(url: str, name: str) -> str:
    """The ``tags/list`` URL of repository ``name``."""
    return f"{registry_base(url)}/v2/{name}/tags/list"


def fetch_token(http: RegistryHttp, challenge: Challenge, name: str, auth: Auth, registry_url: str) -> str:
    """Ask the challenge's realm for a bearer token (basic auth when a username is configured)."""
    if not challenge.realm:
        raise RegistryError(f"GET {safe_url(registry_url)}: HTTP 401, a Bearer challenge without realm", 401)
    params = {"scope": challenge.scope or f"repository:{name}:pull"}
    if challenge.service:
        params["service"] = challenge.service
    try:
        realm = httpx.URL(challenge.realm)
    except httpx.InvalidURL:
        raise RegistryError(
            f"GET {safe_url(registry_url)}: HTTP 401, a Bearer challenge with a bad realm", 401
        ) from None
    basic = auth if auth.basic else None
    if basic and realm.scheme == "http" and registry_url.startswith("https://"):
        raise RegistryError(
            f"GET {safe_url(realm)}: refusing to send credentials to a plain-http realm of an https registry"
        )
    response = http.get(str(realm.copy_merge_params(params)), auth=basic, headers={"Accept": ACCEPT})
    try:
        data = json.loads(response.content)
        token = (data.get("token") or data.get("access_token")) if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ValueError("no `token` in the token service's answer")
    except ValueError as exc:
        raise payload_error(response, exc) from None
    return token


def observe_oci(http: RegistryHttp, url: str, name: str, auth: Auth | None = None) -> RegistryFacts:
    """Fetch (all pages) and parse; raises ``RegistryError``."""
    auth = auth or Auth()
    if not REPOSITORY.fullmatch(name):
        raise RegistryError(f"{safe_url(registry_base(url))}: invalid repository name {name!r}")
    first = tags_url(url, name)
    headers = {"Accept": ACCEPT}
    if auth.token and not auth.basic:
        headers["Authorization"] = f"Bearer {auth.token}"
    response = http.get(first, headers=headers, expect={401, 404}, secrets=auth.secrets())
    if response.status_code == 401:
        header = response.headers.get("www-authenticate")
        if not header:
            raise RegistryError(f"GET {safe_url(first)}: HTTP 401 without a WWW-Authenticate challenge", 401)
        try:
            challenge = parse_www_authenticate(header)
        except ValueError as exc:
            raise RegistryError(f"GET {safe_url(first)}: HTTP 401: {exc}", 401) from None
        if challenge.scheme is ChallengeScheme.BASIC:
            if not auth.basic:
                raise RegistryError(f"GET {safe_url(first)}: HTTP 401 (basic auth; none configured)", 401)
            headers["Authorization"] = auth.authorization() or ""
        else:
            token = fetch_token(http, challenge, name, auth, registry_base(url))
            headers["Authorization"] = f"Bearer {token}"
        response = http.get(first, headers=headers, expect={404}, secrets=auth.secrets())

    tags: set[str] = set()
    seen = {first}
    while True:
        if response.status_code == 404:
            codes = parse_errors(response.content)
            if NOT_THERE_CODES.intersection(codes):
                return RegistryFacts(versions=sorted(tags))
            detail = f" ({', '.join(codes)})" if codes else ""
            raise RegistryError(f"GET {safe_url(response.request.url)}: HTTP 404{detail}", 404)
        try:
            tags.update(parse_tags(response.content).versions)
        except ValueError as exc:
            raise payload_error(response, exc) from None
        nxt = response.links.get("next", {}).get("url")
        if not nxt:
            break
        page_url = response.url.join(nxt)
        page = str(page_url)
        if (page_url.scheme, page_url.netloc) != (response.url.scheme, response.url.netloc):
            raise RegistryError(f"GET {safe_url(response.url)}: next page elsewhere: {safe_url(page)}")
        if page in seen or len(seen) >= MAX_PAGES:
            raise RegistryError(f"GET {safe_url(page)}: pagination does not end", response.status_code)
        seen.add(page)
        response = http.get(page, headers=headers, expect={404}, secrets=auth.secrets())
    return RegistryFacts(versions=sorted(tags))
