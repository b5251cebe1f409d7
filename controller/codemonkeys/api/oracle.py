"""The oracle as the front ends use it (``cmctl oracle``, ``GET /api/search``): indexing sources, the
resident index and its embedder (the call graph: ``api/graph.py``). Each name is imported when first used
(PEP 562), so a search loads neither LanceDB nor the index builder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codemonkeys.vocab.lazyexports import lazy_exports

_FROM = {  # name -> its module, imported on first use: a search loads neither LanceDB nor the index builder
    "index_sources": "codemonkeys.oracle.chunks",
    "read_dir": "codemonkeys.oracle.chunks",
    "Embedder": "codemonkeys.oracle.embed",
    "FLEET_INDEX": "codemonkeys.oracle.resident",
    "ResidentIndex": "codemonkeys.oracle.resident",
    "open_index": "codemonkeys.oracle.search",
}


__getattr__ = lazy_exports(__name__, _FROM, globals())


if TYPE_CHECKING:
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
]
