"""The oracle as the front ends use it (``cmctl oracle``, ``GET /api/search``): indexing sources, the
resident index and its embedder (the call graph: ``api/graph.py``). Imported lazily by the front ends: it
loads LanceDB and the embedding model's runtime."""

from __future__ import annotations

from codemonkeys.oracle import search
from codemonkeys.oracle.chunks import index_sources, read_dir
from codemonkeys.oracle.embed import Embedder
from codemonkeys.oracle.resident import FLEET_INDEX, ResidentIndex
from codemonkeys.oracle.search import open_index

__all__ = [
    "FLEET_INDEX",
    "Embedder",
    "ResidentIndex",
    "index_sources",
    "open_index",
    "read_dir",
    "search",
]
