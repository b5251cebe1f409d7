"""Benchmark of the Oracle's semantic code search: search quality on several real libraries, and index cost.

Where this sits: it drives the code search end to end as ``cmctl oracle index --path`` does (tree-sitter
code graph -> ``oracle.chunks`` -> local ONNX embedder with its sha256 cache -> LanceDB -> ranking) over
libraries installed from PyPI in the venv (code nobody here wrote), and scores it against the question
sets in ``tests/oracle/``: ``queries.yaml`` (rich) and ``libraries/*.yaml`` (networkx, python-dateutil,
node-semver's JavaScript). Questions are written from each library's documentation, never from its
identifiers.

For every library and strategy (``vector``, ``keyword`` = Lance's BM25 over our keyword field,
``hybrid`` = the default) it prints recall@5 and MRR@10, and beside them a plain Okapi BM25 baseline
(k1=1.2, b=0.75, lower-cased word tokens of the chunk text, no stemming) computed here over the same
chunks in the same run. ``--tune LIB`` names the library the fusion was tuned on (marked in the table).

    PYTHONPATH=controller .venv/bin/python benchmarks/oracle_search.py [--work DIR] [--json out.json]

``--work DIR`` keeps the index and its embedding cache between runs (unchanged chunk texts are not
embedded again); without it a temporary directory is used and removed.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import math
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from codemonkeys.oracle.chunks import chunks_from_files, read_dir
from codemonkeys.oracle.embed import Embedder
from codemonkeys.oracle.search import FUSION, Chunk, index_chunks, open_index

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    # tuned on: the first sets (questions close to the names and docstrings they look for)
    "tuning": [
        ROOT / "tests" / "oracle" / "queries.yaml",
        *sorted((ROOT / "tests" / "oracle" / "libraries").glob("*.yaml")),
    ],
    # tuned on too: needs in a user's words (written 2026-12-07 for issue 34's tuning)
    "needs": sorted((ROOT / "tests" / "oracle" / "needs").glob("*.yaml")),
    # never tuned on: run once, at the end (tests/oracle/held_out/README.md)
    "held_out": sorted((ROOT / "tests" / "oracle" / "held_out").glob("*.yaml")),
}
MODES = ("vector", "keyword", "hybrid")
SWEEP = [(1.0, 0.5), (1.0, 0.75), (1.0, 1.0), (0.75, 1.0), (0.5, 1.0), (0.3, 1.0)]


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


def load_set(path: Path) -> dict:
    """A question set; the older rich file names its package with ``package`` (root = the package)."""
    spec = yaml.safe_load(path.read_text())
    spec.setdefault("library", spec.get("package"))
    spec.setdefault("root", spec.get("package"))
    return spec


def library_files(spec: dict) -> dict[str, bytes]:
    """The library's source files as the CLI reads them; Python paths start with the package name."""
    root = spec["root"]
    top = root.split("/")[0]
    found = importlib.util.find_spec(top)
    if found is None or not found.submodule_search_locations:
        raise SystemExit(f"{top} is not installed: pip install -e '.[test]'")
    base = Path(next(iter(found.submodule_search_locations))).parent / root
    files = read_dir(base)
    if spec.get("language", "python") == "python":
        return {f"{root}/{path}": data for path, data in files.items()}
    return files


# --------------------------------------------------------------------------- the BM25 baseline

_WORD = re.compile(r"[a-z0-9]+")


class BM25:
    """Okapi BM25 over the chunks' text: lower-cased alphanumeric words, nothing else."""

    def __init__(self, chunks: list[Chunk], k1: float = 1.2, b: float = 0.75):
        self.chunks, self.k1, self.b = chunks, k1, b
        self.tf = [collections.Counter(_WORD.findall(c.text.lower())) for c in chunks]
        self.len = [sum(t.values()) for t in self.tf]
        self.avg = statistics.mean(self.len) if self.len else 1.0
        df = collections.Counter(w for t in self.tf for w in t)
        n = len(chunks)
        self.idf = {w: math.log(1 + (n - d + 0.5) / (d + 0.5)) for w, d in df.items()}

    def symbols(self, query: str, limit: int = 10) -> list[str]:
        terms = _WORD.findall(query.lower())
        scores = []
        for i, tf in enumerate(self.tf):
            norm = self.k1 * (1 - self.b + self.b * self.len[i] / self.avg)
            s = sum(self.idf[w] * tf[w] * (self.k1 + 1) / (tf[w] + norm) for w in terms if w in tf)
            if s > 0:
                scores.append((s, i))
        scores.sort(key=lambda x: -x[0])
        return [self.chunks[i].symbol for _, i in scores[:limit]]


# --------------------------------------------------------------------------- scoring


def score(ranked: list[list[str]], queries: list[dict]) -> dict:
    """recall@5 and MRR@10 of ranked symbol lists against the questions' expected symbols."""
    recall5, rr, misses = [], [], []
    for symbols, q in zip(ranked, queries, strict=True):
        rank = next((i + 1 for i, s in enumerate(symbols[:10]) if s in q["expect"]), None)
        recall5.append(1.0 if rank and rank <= 5 else 0.0)
        rr.append(1.0 / rank if rank else 0.0)
        if not rank or rank > 5:
            misses.append({"q": q["q"], "expect": q["expect"][0], "rank": rank, "top": symbols[:3]})
    return {"recall@5": statistics.mean(recall5), "mrr@10": statistics.mean(rr), "misses": misses}


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def evaluate(index, lib: str, queries: list[dict], embedder: Embedder, mode: str, fusion=FUSION) -> dict:
    """Quality and latency of one strategy, on the resident index (what the controller and the CLI query)."""
    ranked, lat = [], []
    for q in queries:
        t = time.perf_counter()
        hits = index.search(q["q"], embedder, product=lib, limit=10, mode=mode, fusion=fusion)
        lat.append((time.perf_counter() - t) * 1000)
        ranked.append([h.symbol for h in hits])
    return {**score(ranked, queries), "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--work", type=Path, help="keep the index and embedding cache here between runs")
    ap.add_argument("--only", action="append", help="only these libraries")
    ap.add_argument(
        "--set",
        choices=sorted(SETS),
        default="tuning",
        dest="which",
        help="question sets: tuning (default), needs (tuning, phrased as needs), held_out (report once)",
    )
    ap.add_argument("--tune", default="networkx", help="the library fusion was tuned on (marked)")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--sweep", action="store_true", help="also try fusion weights (vector, keyword)")
    ap.add_argument("--throughput", action="store_true", help="also embed chunks per batch size and threads")
    ap.add_argument("--no-serve", action="store_true", help="skip the API and CLI latency figures")
    args = ap.parse_args()

    specs = [load_set(p) for p in SETS[args.which]]
    specs = [s for s in specs if not args.only or s["library"] in args.only]
    work = args.work or Path(tempfile.mkdtemp(prefix="oracle-bench-"))
    db = work / "lancedb"
    embedder = TimedEmbedder()
    embedder.ensure_loaded()
    figures: dict = {"libraries": {}}
    try:
        for spec in specs:
            lib = spec["library"]
            t = time.perf_counter()
            chunks = chunks_from_files(lib, library_files(spec))
            chunk_s = time.perf_counter() - t
            known = {c.symbol for c in chunks}
            for q in spec["queries"]:
                if not set(q["expect"]) & known:
                    raise SystemExit(
                        f"{lib}: no expected symbol of {q['q']!r} is in the chunks: {q['expect']}"
                    )
            before = embedder.seconds
            t = time.perf_counter()
            stats = index_chunks(db, chunks, embedder)
            index_s = time.perf_counter() - t
            embed_s = embedder.seconds - before
            bm25 = BM25(chunks)
            quality = {"bm25": score([bm25.symbols(q["q"]) for q in spec["queries"]], spec["queries"])}
            index = open_index(db)
            for mode in MODES:
                quality[mode] = evaluate(index, lib, spec["queries"], embedder, mode)
            if args.sweep:
                for w in SWEEP:
                    q = evaluate(index, lib, spec["queries"], embedder, "hybrid", fusion=w)
                    print(
                        f"sweep {lib:<10} vector {w[0]:.1f} keyword {w[1]:.1f}: "
                        f"recall@5 {q['recall@5']:.3f} MRR {q['mrr@10']:.3f}"
                    )
            figures["libraries"][lib] = {
                "language": spec.get("language", "python"),
                "chunks": len(chunks),
                "queries": len(spec["queries"]),
                "chunk_s": round(chunk_s, 2),
                "index_s": round(index_s, 2),
                "embedded": stats.embedded,
                "embed_chunks_per_s": round(stats.embedded / embed_s, 1) if stats.embedded else None,
                "quality": quality,
            }
        if not args.no_serve:
            figures["serve"] = serve_latency(db, specs)
        if args.throughput:
            figures["throughput"] = throughput(specs)
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        report(figures, args.tune, args.show_misses)
        if args.json:
            for lib in figures["libraries"].values():
                for q in lib["quality"].values():
                    q.pop("misses")
            args.json.write_text(json.dumps(figures, indent=2))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def serve_latency(db: Path, specs: list[dict]) -> dict:
    """``GET /api/search`` through the real route (FastAPI's TestClient, index and model resident) over every
    question, and ``cmctl oracle search`` as a whole cold process against ``cmctl --version`` (the full
    CLI's start, measured in the same run)."""
    import subprocess
    from types import SimpleNamespace

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from codemonkeys.service.search import add_search

    app = FastAPI()
    add_search(app, SimpleNamespace(session=SimpleNamespace(search_index=lambda: db)))  # the route's one need
    client = TestClient(app)
    questions = [(s["library"], q["q"]) for s in specs for q in s["queries"]]
    client.get(
        "/api/search", params={"q": "warm up", "k": 5}
    )  # the first query loads the model and the index
    lat, cpu = [], []
    for lib, q in questions:
        t, c = time.perf_counter(), time.process_time()
        r = client.get("/api/search", params={"q": q, "k": 5, "product": lib})
        lat.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        assert r.status_code == 200, r.text
    env = {**os.environ, "PYTHONPATH": str(ROOT / "controller")}

    def run(*args: str) -> tuple[float, float]:
        """Wall and CPU (user + system) seconds of one whole process."""
        before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run([sys.executable, "-m", "codemonkeys", *args], env=env, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.perf_counter() - t, (after.ru_utime + after.ru_stime) - (
            before.ru_utime + before.ru_stime
        )

    lib, q = questions[0]
    cli = [run("oracle", "search", q, "--db", str(db), "--product", lib, "--limit", "5") for _ in range(5)]
    full = [run("--version") for _ in range(5)]
    return {
        "api_p50_ms": round(pct(lat, 50), 1),
        "api_p95_ms": round(pct(lat, 95), 1),
        "api_cpu_p95_ms": round(
            pct(cpu, 95), 1
        ),  # the process's CPU per request: what a loaded machine adds is not in it
        "load_avg": round(os.getloadavg()[0], 1),
        "api_queries": len(lat),
        "cli_search_s": round(statistics.median(w for w, _ in cli), 3),
        "cli_search_cpu_s": round(statistics.median(c for _, c in cli), 3),
        "cli_version_s": round(statistics.median(w for w, _ in full), 3),
        "cli_version_cpu_s": round(statistics.median(c for _, c in full), 3),
    }


def throughput(specs: list[dict], n: int = 96) -> dict:
    """Chunks embedded per second (wall and per CPU second) by onnxruntime threads and batch size: the same
    ``n`` chunk texts, each model loaded and warmed first, two interleaved rounds (the host may be busy)."""
    spec = next((s for s in specs if s["library"] == "networkx"), specs[0])
    texts = [c.text for c in chunks_from_files(spec["library"], library_files(spec))][:n]
    configs = [(None, 16, 1), (2, 16, 1), (1, 16, 1), (1, 16, 2), (1, 48, 2)]  # threads, batch, workers
    embedders = {c: Embedder(threads=c[0], batch_size=c[1], workers=c[2]) for c in configs}
    for e in embedders.values():
        e.ensure_loaded()
        e.embed(texts[:4])
    out: dict[str, list] = {}
    for _ in range(2):
        for (threads, batch, workers), e in embedders.items():
            t, cpu = time.perf_counter(), time.process_time()
            e.embed(texts)
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu
            key = f"threads={threads or 'default'} batch={batch} workers={workers}"
            out.setdefault(key, []).append((round(len(texts) / wall, 1), round(len(texts) / cpu, 1)))
    for key, runs in out.items():
        print(f"throughput {key:<26}" + "  ".join(f"{w} chunks/s ({c} per CPU s)" for w, c in runs))
    return out


def report(figures: dict, tune: str, show_misses: bool) -> None:
    """Print the index figures and the quality table (recall@5 / MRR@10 per library and strategy)."""
    cols = ("bm25", *MODES)
    print(f"{'library':<18}{'chunks':>7}{'index s':>9}{'embedded':>9}{'chunks/s':>9}")
    for lib, f in figures["libraries"].items():
        rate = f["embed_chunks_per_s"] or 0
        print(f"{lib:<18}{f['chunks']:>7}{f['index_s']:>9.1f}{f['embedded']:>9}{rate:>9}")
    print(f"peak RSS {figures['peak_rss_mb']} MiB\n")
    print(f"{'recall@5 / MRR@10':<26}" + "".join(f"{c:>16}" for c in cols))
    mean: dict[str, list[tuple[float, float]]] = {c: [] for c in cols}
    for lib, f in figures["libraries"].items():
        name = f"{lib}{' (tuned)' if lib == tune else ''} [{f['queries']}q]"
        cells = []
        for c in cols:
            q = f["quality"][c]
            mean[c].append((q["recall@5"], q["mrr@10"]))
            cells.append(f"{q['recall@5']:.3f} / {q['mrr@10']:.3f}")
        print(f"{name:<26}" + "".join(f"{x:>16}" for x in cells))
    avg = [
        f"{statistics.mean(r for r, _ in mean[c]):.3f} / {statistics.mean(m for _, m in mean[c]):.3f}"
        for c in cols
    ]
    print(f"{'mean':<26}" + "".join(f"{x:>16}" for x in avg))
    lat = [f["quality"]["hybrid"]["p95_ms"] for f in figures["libraries"].values()]
    print(f"hybrid query p95 {max(lat):.0f} ms (worst library, one process, model loaded)")
    if "serve" in figures:
        f = figures["serve"]
        print(
            f"GET /api/search p50 {f['api_p50_ms']} ms p95 {f['api_p95_ms']} ms "
            f"(CPU p95 {f['api_cpu_p95_ms']} ms; "
            f"{f['api_queries']} q, load average {f['load_avg']}); "
            f"\ncold `cmctl oracle search` {f['cli_search_s']} s (CPU {f['cli_search_cpu_s']} s) "
            f"vs `cmctl --version` {f['cli_version_s']} s (CPU {f['cli_version_cpu_s']} s): "
            f"{f['cli_search_s'] / f['cli_version_s']:.2f}x"
        )
    if show_misses:
        for lib, f in figures["libraries"].items():
            for m in f["quality"]["hybrid"]["misses"]:
                print(f"  miss[{lib}] {m['q']!r}: want {m['expect']} (rank {m['rank']}), got {m['top']}")


if __name__ == "__main__":
    sys.exit(main())
