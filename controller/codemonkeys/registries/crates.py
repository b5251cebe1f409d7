"""Cargo sparse registries (stage 2: observe): which versions of a crate are published.

Fetch (``observe_crates``): ``GET {index_url}/{prefix}/{name}`` where the prefix follows Cargo's index
layout on the lowercased name (1 char: ``1/``, 2: ``2/``, 3: ``3/{first char}/``, else
``{first two}/{next two}/``). ``index_url`` is the sparse index base; a ``sparse+`` prefix, as written
in Cargo's config (``sparse+https://index.crates.io/``), is stripped. A token is sent as Cargo does,
raw in ``Authorization``. 404, 410 and 451 mean the crate is not there (Cargo treats them so): no
versions, not an error.

Parse (pure): ``parse_sparse_index`` -> ``RegistryFacts``: one JSON object per line, ``vers`` and
``yanked``. **Yanked versions are excluded** by default (Cargo no longer resolves to them);
``include_yanked=True`` keeps them (a yanked version still cannot be published again).
"""

from __future__ import annotations

import json
import re

from codemonkeys.registries.http import (
    Auth,
    RegistryError,
    RegistryHttp,
    TokenScheme,
    payload_error,
    safe_url,
)
from codemonkeys.vocab.facts import RegistryFacts

NOT_THERE = frozenset({404, 410, 451})
CRATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def index_path(name: str) -> str:
    """Cargo's index path of a crate: ``1/a``, ``2/ab``, ``3/a/abc``, ``se/rd/serde`` (lowercase)."""
    if not CRATE_NAME.fullmatch(name):
        raise ValueError(f"invalid crate name {name!r}")
    n = name.lower()
    if len(n) <= 2:
        return f"{len(n)}/{n}"
    if len(n) == 3:
        return f"3/{n[0]}/{n}"
    return f"{n[:2]}/{n[2:4]}/{n}"


def index_base(index_url: str) -> str:
    """The index's HTTP base URL (without the ``sparse+`` prefix and trailing slash)."""
    return index_url.removeprefix("sparse+").rstrip("/")


def parse_sparse_index(text: str, include_yanked: bool = False) -> RegistryFacts:
    """Pure: a sparse index file -> versions (sorted as strings), yanked ones only if asked."""
    versions: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number}: not JSON ({exc.msg})") from None
        vers = entry.get("vers") if isinstance(entry, dict) else None
        if not isinstance(vers, str) or not vers:
            raise ValueError(f"line {number}: no `vers`")
        if entry.get("yanked") and not include_yanked:
            continue
        versions.add(vers)
    return RegistryFacts(versions=sorted(versions))


def observe_crates(
    http: RegistryHttp, index_url: str, name: str, auth: Auth | None = None, include_yanked: bool = True
) -> RegistryFacts:
    """Fetch and parse; raises ``RegistryError``.

    Yanked versions count as present by default: a yanked version can never be published again, so
    for deciding whether to publish it is taken.
    """
    try:
        url = f"{index_base(index_url)}/{index_path(name)}"
    except ValueError as exc:
        raise RegistryError(f"{safe_url(index_base(index_url))}: {exc}") from None
    response = http.get(url, auth=auth, token_scheme=TokenScheme.RAW, expect=NOT_THERE, conditional=True)
    if response.status_code in NOT_THERE:
        return RegistryFacts()
    try:
        return parse_sparse_index(response.text, include_yanked=include_yanked)
    except ValueError as exc:
        raise payload_error(response, exc) from None
