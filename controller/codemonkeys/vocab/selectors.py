"""Product selectors (``cmctl fleet ls --select``, the dashboard's filters): pure, over plain records.

A selector is comma-separated terms that must all match (AND); several selectors select the union (OR);
no selector selects every product. Terms:

- ``NAME`` or a glob (``acme-*``, ``*-lib``): the product's name (``name=GLOB`` says the same);
- ``company=NAME``: the product's ``metadata.company``;
- ``label=KEY=VALUE``: a label of ``metadata.labels`` (``label=KEY``: the label is set at all);
- ``language=LANG``: ``spec.language``;
- ``dependsOn=NAME``: every product that depends on ``NAME``, directly or through others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

KEYS = ("name", "company", "label", "language", "dependsOn")


class SelectorError(ValueError):
    """A selector that cannot be parsed (an unknown key, an empty term)."""


@dataclass(frozen=True)
class ProductRef:
    """What selectors look at of one product."""

    name: str
    company: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    language: str | None = None
    depends_on: tuple[str, ...] = ()


def dependents(products: Mapping[str, ProductRef], of: str) -> set[str]:
    """Every product that depends on ``of``, directly or transitively (without ``of`` itself)."""
    found: set[str] = set()
    frontier = {of}
    while frontier:
        frontier = {p.name for p in products.values() if set(p.depends_on) & frontier} - found - {of}
        found |= frontier
    return found


def _term(products: Mapping[str, ProductRef], term: str) -> set[str]:
    """The products one term selects."""
    key, eq, value = term.partition("=")
    if not eq:
        key, value = "name", term
    if key not in KEYS:
        raise SelectorError(f"unknown selector key {key!r} in {term!r} (known: {', '.join(KEYS)})")
    if not value:
        raise SelectorError(f"selector {term!r} has no value")
    if key == "name":
        return {n for n in products if fnmatchcase(n, value)}
    if key == "company":
        return {n for n, p in products.items() if p.company is not None and fnmatchcase(p.company, value)}
    if key == "language":
        return {n for n, p in products.items() if p.language == value}
    if key == "dependsOn":
        return dependents(products, value)
    label, has_value, want = value.partition("=")
    return {
        n for n, p in products.items() if label in p.labels and (not has_value or p.labels[label] == want)
    }


def select(products: Mapping[str, ProductRef], selectors: Iterable[str] | None) -> list[str]:
    """The names of the products ``selectors`` select, sorted; ``SelectorError`` if one is malformed."""
    chosen: set[str] = set()
    given = [s for s in (selectors or []) if s.strip()]
    if not given:
        return sorted(products)
    for selector in given:
        terms = [t.strip() for t in selector.split(",")]
        if any(not t for t in terms):
            raise SelectorError(f"selector {selector!r} has an empty term")
        matched = set(products)
        for term in terms:
            matched &= _term(products, term)
        chosen |= matched
    return sorted(chosen)
