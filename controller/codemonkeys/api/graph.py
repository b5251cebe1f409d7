"""The oracle's call graph as the front ends read it (``cmctl oracle graph``): callers and callees of a
symbol from a product's stored index. Apart from ``api/oracle.py`` so that it needs only the ``[oracle]``
extra (LanceDB), not the search's (bm25s, the embedder)."""

from __future__ import annotations

from codemonkeys.oracle.store import callees, callers

__all__ = ["callees", "callers"]
