"""``GET /api/search``: the oracle's code search served from memory by the controller.

Where this sits: a route beside the controller's API (``service/api.py`` includes it). The index is the
fleet's (``FleetSession.search_index``, written by ``cmctl oracle index``); it is held as an
``oracle.resident.ResidentIndex`` (one snapshot file read once, re-read when the file changes) and queries
are embedded by one ``oracle.embed.Embedder`` loaded on the first query, so an answer costs one embedding
and two in-memory rankings. Needs the ``search`` extra; without it the route answers 503.
"""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query

from codemonkeys.service.controller import Controller

BUILD = "build it with cmctl oracle index"


class SearchService:
    """The controller's resident index (per index directory) and its one embedder, made on first use."""

    def __init__(self, ctl: Controller):
        self.ctl = ctl
        self._lock = threading.Lock()
        self._indexes: dict[Path, object] = {}
        self._embedder = None

    def index(self):
        """The resident index of the fleet's search index directory (the fleet may have been reloaded)."""
        from codemonkeys.api.oracle import ResidentIndex

        where = self.ctl.session.search_index()
        with self._lock:
            if where not in self._indexes:
                self._indexes[where] = ResidentIndex(where)
            return self._indexes[where]

    def embedder(self):
        """The query embedder, loaded once (raises ``EmbedderUnavailable`` without the model)."""
        from codemonkeys.api.oracle import Embedder

        with self._lock:
            if (
                self._embedder is None
            ):  # one thread: a short query gains nothing from more, under load it loses
                self._embedder = Embedder(threads=1)
        self._embedder.ensure_loaded()
        return self._embedder


def add_search(app: FastAPI, ctl: Controller) -> SearchService:
    """Register ``GET /api/search``; returns the service holding the resident index."""
    service = SearchService(ctl)
    app.state.search = service

    @app.get("/api/search")
    def search(
        q: str = Query(..., min_length=1, description="What you are looking for, in words."),
        k: int = Query(10, ge=1, le=100, description="How many results."),
        product: str | None = Query(None, description="Only this product's code."),
    ) -> list[dict]:
        """Hybrid (semantic + keyword) code search: the best ``k`` symbols for ``q``, best first."""
        try:
            index = service.index()
            embedder = service.embedder()
        except ImportError as exc:  # EmbedderUnavailable is a RuntimeError; the extra's modules ImportErrors
            raise HTTPException(503, f"code search needs the [search] extra: {exc}") from None
        except RuntimeError as exc:
            raise HTTPException(503, str(exc)) from None
        if index.count() == 0:
            raise HTTPException(404, f"no search index at {index.db_dir} (or it is empty): {BUILD}")
        if product and index.count(product) == 0:
            raise HTTPException(404, f"no product {product!r} in the search index: {BUILD} {product}")
        hits = index.search(q, embedder, product=product, limit=k)
        return [h.to_dict() for h in hits]

    return service
