"""The code search's query side: one snapshot file of the index, loaded once, ranked in memory.

Where this sits: ``oracle.search.index_chunks`` writes the chunks into LanceDB (the durable table) and then
this module's ``write_snapshot``: ``<db_dir>/snapshot.npz`` holds every row's vector, its metadata and the
BM25 index of its keyword field (``oracle.terms``), written to a temporary file and renamed into place.
``ResidentIndex`` answers queries from it: opening it reads one file (no table scan, no LanceDB import),
and it reloads by itself when the file changes (a ``stat`` per query), so the controller keeps one per
index and the CLI opens one per process.

Ranking: the vector ranker is exact cosine similarity (the vectors are unit rows: one matrix product);
the keyword ranker is Okapi BM25 (k1=1.2, b=0.75, Lucene's idf) over the stemmed keyword field, by ``bm25s``:
it scores every (term, row) pair when the snapshot is written and keeps them as a sparse term-by-row matrix,
which the snapshot stores as three arrays (bm25s' own ``save`` writes a directory of files; one file is what
makes the swap atomic), so a query only adds up the columns of its terms; ``hybrid`` adds both
scores, each min-max scaled over its ranker's top candidates and weighted (``FUSION``), and multiplies by a
prior that weighs down dunder methods and private names. (Fusing by score measured better than by
reciprocal rank: a chunk that one ranker puts far ahead keeps its lead. benchmarks/oracle_search.py.)
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import bm25s
import numpy as np

from codemonkeys.oracle.terms import query_terms, terms

SNAPSHOT = "snapshot.npz"
# a fleet's index, below the fleet root: kinds.loader.STATE_DIR / "oracle-search" (FleetSession.search_index;
# a test holds them equal), spelled out here so that a search need not import the loader
FLEET_INDEX = Path(".cmctl", "oracle-search")
FORMAT = 2  # 2: bm25s' score matrix instead of our own postings
# weights of the vector and keyword scores in the fusion (tuned on networkx, checked on the other libraries)
FUSION = (1.0, 0.75)
DUNDER_WEIGHT = 0.7
PRIVATE_WEIGHT = 0.7
BM25_K1 = 1.2
BM25_B = 0.75
META = ("product", "path", "symbol", "kind", "line", "language", "doc")
FILTERED = ("product", "language", "kind")

Mode = Literal["hybrid", "vector", "keyword"]


@dataclass(frozen=True)
class Hit:
    """A search result; ``score`` is the fused (or single-ranker) score, higher is better."""

    product: str
    path: str
    symbol: str
    kind: str
    line: int
    score: float
    doc: str = ""

    def to_dict(self) -> dict:
        """The hit as the CLI's ``--json`` and ``GET /api/search`` give it (score rounded to 4 places)."""
        return {
            "product": self.product,
            "path": self.path,
            "line": self.line,
            "symbol": self.symbol,
            "kind": self.kind,
            "doc": self.doc,
            "score": round(self.score, 4),
        }


class SnapshotFormatError(RuntimeError):
    """The snapshot file was written by another version of this module (rebuild it by indexing again)."""


def write_snapshot(
    db_dir: Path, meta: dict[str, Sequence], keywords: Sequence[str], vectors: np.ndarray
) -> Path:
    """Write the query snapshot of a whole index: ``meta`` columns (``META``), keyword texts, vectors.

    Atomic: a reader sees the old file or the new one. A failure leaves at most a ``.tmp`` file beside it.
    """
    n = len(keywords)
    vocab: list[str] = []
    scores = {
        "data": np.zeros(0, np.float32),
        "indices": np.zeros(0, np.int32),
        "indptr": np.zeros(1, np.int32),
    }
    if n:
        index = _bm25()
        index.index([terms(text) for text in keywords], show_progress=False)
        scores = index.scores
        vocab = sorted(index.vocab_dict, key=index.vocab_dict.__getitem__)  # a term's column is its place
    header = {"format": FORMAT, "vocab": vocab, "meta": {k: list(meta[k]) for k in META}}
    path = Path(db_dir) / SNAPSHOT
    tmp = path.with_name(f"{SNAPSHOT}.{os.getpid()}.{threading.get_ident()}.tmp")  # writers never share one
    with open(tmp, "wb") as f:
        np.savez(
            f,
            header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
            vectors=np.asarray(vectors, dtype=np.float32).reshape(n, -1),
            bm25_data=scores["data"],
            bm25_indices=scores["indices"],
            bm25_indptr=scores["indptr"],
        )
    os.replace(tmp, path)
    return path


class _Snapshot:
    """One loaded snapshot: arrays, metadata columns and the filters' codes."""

    def __init__(self, path: Path):
        with np.load(path) as z:
            header = json.loads(z["header"].tobytes())
            if header.get("format") != FORMAT:
                raise SnapshotFormatError(f"{path} has format {header.get('format')}, not {FORMAT}")
            self.vectors = z["vectors"]
            data, indices, indptr = z["bm25_data"], z["bm25_indices"], z["bm25_indptr"]
        self.meta: dict[str, list] = header["meta"]
        self.n = len(self.vectors)
        # what bm25s.BM25.load sets up from its directory, here from the snapshot's arrays
        self.index = _bm25()
        self.index.vocab_dict = {t: i for i, t in enumerate(header["vocab"])}
        self.index.unique_token_ids_set = set(self.index.vocab_dict.values())
        self.index.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": self.n}
        self.index.nonoccurrence_array = None  # Lucene's BM25 has none (BM25L and BM25+ do)
        self.codes: dict[str, tuple[dict[str, int], np.ndarray]] = {}
        for col in FILTERED:
            values: dict[str, int] = {}
            codes = np.fromiter((values.setdefault(v, len(values)) for v in self.meta[col]), np.int32, self.n)
            self.codes[col] = (values, codes)
        self.prior = np.array(
            [
                prior(s, k, lang)
                for s, k, lang in zip(
                    self.meta["symbol"], self.meta["kind"], self.meta["language"], strict=True
                )
            ],
            dtype=np.float32,
        )

    def mask(self, product: str | None, language: str | None, kind: str | Sequence[str] | None):
        """Rows passing the filters (None: every row)."""
        keep = None
        for col, wanted in (("product", product), ("language", language), ("kind", kind)):
            if not wanted:
                continue
            values, codes = self.codes[col]
            ids = [values[w] for w in ([wanted] if isinstance(wanted, str) else wanted) if w in values]
            m = np.isin(codes, ids)
            keep = m if keep is None else keep & m
        return keep

    def bm25(self, query: str) -> np.ndarray:
        """Every row's BM25 score for the query's terms (0 for a row with none of them)."""
        ids = self.index.get_tokens_ids(query_terms(query))
        if not ids:
            return np.zeros(self.n, dtype=np.float32)
        return self.index.get_scores(ids)

    def hit(self, row: int, score: float) -> Hit:
        m = self.meta
        return Hit(
            m["product"][row], m["path"][row], m["symbol"][row], m["kind"][row], int(m["line"][row]), score,
            m["doc"][row] or "",
        )  # fmt: skip


def _bm25() -> bm25s.BM25:
    """An empty bm25s index with our parameters (Lucene's variant: idf ``log(1 + (N - df + .5) / (df + .5))``,
    term weight ``tf / (tf + k1 * (1 - b + b * len / avglen))``: Okapi's without the constant ``k1 + 1``)."""
    return bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene", backend="numpy")


def prior(symbol: str, kind: str, language: str) -> float:
    """How likely a symbol is an answer before the question is read: dunder methods (protocol plumbing such
    as ``__init__``, ``__rich_console__``) and private Python names (``_helper``, a method of ``_Private``)
    are weighed down; a public symbol is 1."""
    parts = symbol.rsplit(".", 2 if kind == "method" else 1)[1:]
    name = parts[-1] if parts else symbol
    if kind == "method" and name.startswith("__") and name.endswith("__"):
        return DUNDER_WEIGHT
    if language == "python" and any(p.startswith("_") and not p.endswith("__") for p in parts):
        return PRIVATE_WEIGHT
    return 1.0


def _top(scores: np.ndarray, keep, n: int, positive: bool = False) -> np.ndarray:
    """Row numbers of the ``n`` best scores among the kept rows (best first)."""
    s = scores if keep is None else np.where(keep, scores, -np.inf)
    valid = np.isfinite(s) & (s > 0) if positive else np.isfinite(s)
    count = min(n, int(valid.sum()))
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-s, count - 1)[:count] if count < len(s) else np.arange(len(s))
    part = part[valid[part]]
    return part[np.lexsort((part, -s[part]))][:count]


class ResidentIndex:
    """The search index at ``db_dir`` held in memory; reloaded when its snapshot file changes.

    Thread-safe: a reload swaps the whole snapshot, a query works on the one it started with.
    """

    def __init__(self, db_dir: Path):
        self.db_dir = Path(db_dir)
        self.path = self.db_dir / SNAPSHOT
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._snap: _Snapshot | None = None
        self.loads = 0  # how many times the snapshot was read (for tests and the metrics)

    def _current(self) -> _Snapshot | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            with self._lock:
                self._stamp, self._snap = None, None
            return None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if stamp != self._stamp:
                self._snap, self._stamp = _Snapshot(self.path), stamp
                self.loads += 1
            return self._snap

    def exists(self) -> bool:
        """Whether a snapshot is there to answer from."""
        return self._current() is not None

    def count(self, product: str | None = None) -> int:
        """Indexed chunks (of ``product`` if given); 0 when there is no snapshot."""
        snap = self._current()
        if snap is None:
            return 0
        keep = snap.mask(product, None, None)
        return snap.n if keep is None else int(keep.sum())

    def search(
        self,
        query: str,
        embedder,
        *,
        product: str | None = None,
        language: str | None = None,
        kind: str | Sequence[str] | None = None,
        limit: int = 10,
        mode: Mode = "hybrid",
        candidates: int = 50,
        fusion: tuple[float, float] = FUSION,
    ) -> list[Hit]:
        """Rank chunks for a natural-language query; filters apply before ranking.

        ``mode="vector"`` / ``"keyword"`` return one ranker alone (scores: cosine similarity / BM25);
        ``"hybrid"`` adds both min-max scaled scores over the top ``max(candidates, limit)`` of each,
        weighted by ``fusion`` (vector, keyword), times each symbol's ``prior``.
        """
        snap = self._current()
        if snap is None or snap.n == 0 or not query.strip():
            return []
        keep = snap.mask(product, language, kind)
        if keep is not None and not keep.any():
            return []
        n = max(candidates, limit)
        vec_top = kw_top = np.zeros(0, dtype=np.int64)
        if mode in ("hybrid", "vector"):
            # einsum, not `@`: a matrix-vector product this small loses to BLAS's threads starting up
            sims = np.einsum("ij,j->i", snap.vectors, embedder.embed([query])[0])
            vec_top = _top(sims, keep, n)
            if mode == "vector":
                return [snap.hit(int(r), float(sims[r])) for r in vec_top[:limit]]
        if mode in ("hybrid", "keyword"):
            bm = snap.bm25(query)
            kw_top = _top(bm, keep, n, positive=True)
            if mode == "keyword":
                return [snap.hit(int(r), float(bm[r])) for r in kw_top[:limit]]
        fused: dict[int, float] = {}
        for weight, ranked, scores in ((fusion[0], vec_top, sims), (fusion[1], kw_top, bm)):
            if not len(ranked):
                continue
            top, low = float(scores[ranked[0]]), float(scores[ranked[-1]])
            for row in ranked.tolist():  # min-max over this ranker's candidates: its best is 1, its last 0
                fused[row] = fused.get(row, 0.0) + weight * (float(scores[row]) - low) / max(top - low, 1e-9)
        for row in fused:
            fused[row] *= float(snap.prior[row])
        best = sorted(fused, key=lambda r: (-fused[r], r))[:limit]
        return [snap.hit(r, fused[r]) for r in best]
