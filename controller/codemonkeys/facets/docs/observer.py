"""Docs facet observer: what the product's published site was built from (its stamp)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codemonkeys.docsite import published_docs
from codemonkeys.vocab.facts import DocsFacts, GitFacts, Unknown

if TYPE_CHECKING:
    from codemonkeys.observe import Observer


def observe_docs_facet(run: Observer, name: str, git: GitFacts | Unknown) -> DocsFacts | Unknown:
    """The published docs of ``name``; an unreadable stamp is ``Unknown``."""
    try:
        return published_docs(run.state_dir, name)
    except (OSError, ValueError) as exc:
        return Unknown(error=f"docs: cannot read the published stamp: {exc}")
