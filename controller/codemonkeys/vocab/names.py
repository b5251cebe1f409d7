"""Suggestions for a name nobody declared ("did you mean"), as git and kubectl make them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean X?)`` with the nearest of ``known`` to ``name``, empty when none is near enough to
    be a typo."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
