"""Per-product drafts kept between plans (issue 21): a plan where one product changed drafts that one.

A product's draft (``planner.plan_product``: its facets and ungated actions) is a pure function of the
product's document, its observed facts, its CI kind, what the facets read across products
(``FacetPlugin.fleet_inputs``) and the code. ``draft_key`` hashes exactly those: the product by the
loader's content key of its document (``ProductEntry.source``: the file's bytes, the document's index,
the defaults merged in and the models' code), the facts by their canonical JSON (what the fingerprints
hash), and ``DraftCache.version`` (the planner's, facets' and vocabulary's code, set by whoever
persists the cache, ``codemonkeys.plancache``). Gating is never cached: budgets, windows, freezes,
approvals and ancestry are decided afresh each plan.

Pure: a dict in memory; reading and writing it is ``codemonkeys.plancache``'s job.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from codemonkeys.plan.planner import ProductDraft


def draft_key(version: str, source: str, ci: str, fleet: str, facts_json: str) -> str:
    """What one product's draft depends on, hashed (see the module docstring)."""
    blob = f"{version}\0{source}\0{ci}\0{fleet}\0{facts_json}"
    return hashlib.sha256(blob.encode()).hexdigest()


class DraftCache:
    """Product name -> (key, draft) of its last plan; ``changed`` the names drafted anew since loaded."""

    def __init__(self, version: str, entries: dict[str, tuple[str, Any]] | None = None):
        self.version = version
        self.entries: dict[str, tuple[str, Any]] = entries if entries is not None else {}
        self.changed: set[str] = set()
        self.hits = 0

    def get(self, name: str, key: str) -> ProductDraft | None:
        """The draft kept for ``name`` if it was made under ``key``."""
        entry = self.entries.get(name)
        if entry is None or entry[0] != key:
            return None
        self.hits += 1
        return entry[1]

    def put(self, name: str, key: str, draft: ProductDraft) -> None:
        """Keep ``draft`` as ``name``'s, made under ``key`` (replaces the previous one)."""
        self.entries[name] = (key, draft)
        self.changed.add(name)
