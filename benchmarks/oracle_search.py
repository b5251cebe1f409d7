"""Benchmark of the Oracle's semantic code search: index cost and search quality on a real codebase.

Where this sits: it drives ``codemonkeys.oracle.search`` end to end (stdlib-``ast`` chunker ->
local ONNX embedder with its sha256 cache -> LanceDB -> hybrid ranking) over the ``rich`` package
installed in the venv (a codebase nobody here wrote), and scores it against the hand-written
queries in ``tests/oracle/queries.yaml``. Prints index figures (files, chunks, chunk seconds,
embed chunks/s, full vs. incremental re-index after a one-file change, size on disk, peak memory)
and, for hybrid and the vector-only / keyword-only baselines, recall@5, MRR@10 and query latency.

    .venv/bin/python benchmarks/oracle_search.py [--json out.json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from codemonkeys.oracle.embed import Embedder
from codemonkeys.oracle.search import index_chunks, python_chunks, python_files, search

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "tests" / "oracle" / "queries.yaml"


class TimedEmbedder(Embedder):
    """The real embedder, counting the seconds and texts spent in the model."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = 0.0
        self.texts = 0

    def embed(self, texts):
        t = time.perf_counter()
        out = super().embed(texts)
        self.seconds += time.perf_counter() - t
        self.texts += len(texts)
        return out


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def evaluate(db: Path, queries: list[dict], embedder: Embedder, mode: str) -> dict:
    recall5, rr, lat = [], [], []
    misses = []
    for q in queries:
        t = time.perf_counter()
        hits = search(db, q["q"], embedder, limit=10, mode=mode)
        lat.append((time.perf_counter() - t) * 1000)
        symbols = [h.symbol for h in hits]
        rank = next((i + 1 for i, s in enumerate(symbols) if s in q["expect"]), None)
        recall5.append(1.0 if rank and rank <= 5 else 0.0)
        rr.append(1.0 / rank if rank else 0.0)
        if not rank or rank > 5:
            misses.append({"q": q["q"], "expect": q["expect"][0], "rank": rank, "top": symbols[:3]})
    return {
        "recall@5": statistics.mean(recall5),
        "mrr@10": statistics.mean(rr),
        "p50_ms": pct(lat, 50),
        "p95_ms": pct(lat, 95),
        "misses": misses,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()

    spec = yaml.safe_load(QUERIES.read_text())
    queries = spec["queries"]
    pkg = spec["package"]
    src = Path(next(iter(importlib.util.find_spec(pkg).submodule_search_locations)))
    from importlib.metadata import version

    work = Path(tempfile.mkdtemp(prefix="oracle-bench-"))
    try:
        root = work / pkg
        shutil.copytree(src, root, ignore=shutil.ignore_patterns("__pycache__"))
        db = work / "lancedb"
        embedder = TimedEmbedder()
        embedder.ensure_loaded()

        t = time.perf_counter()
        n_files = len(python_files(root))
        chunks = python_chunks(pkg, root)
        chunk_s = time.perf_counter() - t

        t = time.perf_counter()
        full = index_chunks(db, chunks, embedder)
        full_s = time.perf_counter() - t
        embed_s = embedder.seconds

        # incremental: change one file, re-chunk, re-index (only the changed chunks are embedded)
        target = root / "table.py"
        target.write_text(target.read_text() + '\n\ndef bench_added(x):\n    """A function added."""\n')
        embedder.seconds = 0.0
        t = time.perf_counter()
        inc = index_chunks(db, python_chunks(pkg, root), embedder)
        inc_s = time.perf_counter() - t

        size = dir_size(db)
        quality = {mode: evaluate(db, queries, embedder, mode) for mode in ("hybrid", "vector", "keyword")}
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        figures = {
            "corpus": f"{pkg} {version(pkg)}",
            "files": n_files,
            "chunks": len(chunks),
            "chunk_seconds": round(chunk_s, 3),
            "embed_chunks_per_s": round(full.embedded / embed_s, 1) if embed_s else None,
            "full_index_s": round(full_s, 2),
            "full_embedded": full.embedded,
            "incremental_index_s": round(inc_s, 2),
            "incremental_embedded": inc.embedded,
            "incremental_cached": inc.cached,
            "index_mb": round(size / 2**20, 2),
            "peak_rss_mb": round(peak_mb, 1),
            "queries": len(queries),
            "quality": {m: {k: v for k, v in q.items() if k != "misses"} for m, q in quality.items()},
        }
        print(f"corpus              {figures['corpus']}: {n_files} files, {len(chunks)} chunks")
        print(f"chunk (ast)         {chunk_s:.2f} s")
        print(f"embed               {figures['embed_chunks_per_s']} chunks/s ({embed_s:.1f} s in the model)")
        print(f"full index          {full_s:.2f} s ({full.embedded} embedded, {full.cached} cached)")
        print(
            f"incremental index   {inc_s:.2f} s after a one-file change "
            f"({inc.embedded} embedded, {inc.cached} cached)"
        )
        print(f"index on disk       {figures['index_mb']} MiB (LanceDB + embedding cache)")
        print(f"peak RSS            {figures['peak_rss_mb']} MiB")
        print(
            f"{'mode':<10}{'recall@5':>10}{'MRR@10':>10}{'p50 ms':>10}{'p95 ms':>10}"
            f"   ({len(queries)} queries)"
        )
        for mode, q in quality.items():
            print(
                f"{mode:<10}{q['recall@5']:>10.3f}{q['mrr@10']:>10.3f}{q['p50_ms']:>10.1f}{q['p95_ms']:>10.1f}"
            )
        if args.show_misses:
            for mode, q in quality.items():
                for m in q["misses"]:
                    print(f"  miss[{mode}] {m['q']!r}: want {m['expect']} (rank {m['rank']}), got {m['top']}")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
