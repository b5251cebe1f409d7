"""Re-indexing at fleet pace: what a product's new commit costs the code search when one file changed.

The index path is the CLI's and the controller's (``oracle.chunks.index_sources``: tree-sitter code graph ->
chunks -> embeddings through the sha256-keyed cache shared by every product and version -> LanceDB ->
the query snapshot). A copy of an installed library (networkx by default: ~300 files, ~2,100 symbols) is
indexed as a product, then as the same product at four later "commits":

* **cold**: an empty index and an empty embedding cache (every chunk embedded);
* **unchanged**: the same files again (nothing to embed);
* **one file**: one function's body edited in one file (its chunk alone is new);
* **other product**: the same files under a second product name, as a fork or a second version (nothing
  embedded: the cache is keyed by the text, not by the product);
* **one file, big index**: the one-file change again with both products in the index.

Each step is split into its parts (parse + chunk, embed, LanceDB write, snapshot) and reported as the median
of ``--runs`` (the one-file steps edit a different function each run), with the embedded count, against
``cold`` in the same run. Nothing is asserted.

    PYTHONPATH=controller .venv/bin/python benchmarks/oracle_reindex.py [--library networkx] [--runs 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from codemonkeys.oracle import chunks as chunks_mod
from codemonkeys.oracle import search as search_mod
from codemonkeys.oracle.apidocs import is_test_file
from codemonkeys.oracle.chunks import read_dir
from codemonkeys.oracle.embed import Embedder


def library(name: str) -> dict[str, bytes]:
    """An installed package's source files, paths starting with its name."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not installed")
    base = Path(next(iter(spec.submodule_search_locations)))
    return {f"{name}/{p}": data for p, data in read_dir(base).items()}


_DEF = re.compile(rb"^(    def [a-z]\w*\(self[^\n]*\):\n)", re.M)


def edited(files: dict[str, bytes], n: int) -> dict[str, bytes]:
    """The files with the ``n``-th method found (in path order, tests left out) given one more statement:
    one file changes."""
    seen = 0
    for path in sorted(p for p in files if not is_test_file(p)):  # test files give no chunks
        for m in _DEF.finditer(files[path]):
            if seen == n:
                data = files[path]
                body = m.group(1) + b"        _reindex_probe = %d\n" % n
                return {**files, path: data[: m.start()] + body + data[m.end() :]}
            seen += 1
    raise SystemExit("no method to edit")


class Timed:
    """Seconds spent in each part of one index call (the functions wrapped for the duration)."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}

    def wrap(self, name: str, fn):
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.parts[name] = self.parts.get(name, 0.0) + time.perf_counter() - t

        return timed


def step(db: Path, sources: dict[str, dict[str, bytes]], embedder: Embedder) -> dict:
    """Index ``sources`` (product -> files) as the CLI does (``index_sources``); wall time, its parts and the
    embedded count."""
    timed = Timed()
    with (
        mock.patch.object(chunks_mod, "chunks_from_files", timed.wrap("parse", chunks_mod.chunks_from_files)),
        mock.patch.object(search_mod, "embed_with_cache", timed.wrap("embed", search_mod.embed_with_cache)),
        mock.patch.object(search_mod, "_write_snapshot", timed.wrap("snapshot", search_mod._write_snapshot)),
    ):
        t = time.perf_counter()
        count, stats = chunks_mod.index_sources(db, sources, embedder)
        wall = time.perf_counter() - t
    parse_s, embed_s = timed.parts.get("parse", 0.0), timed.parts.get("embed", 0.0)
    snap_s = timed.parts.get("snapshot", 0.0)
    return {
        "wall_s": wall,
        "parse_s": parse_s,
        "embed_s": embed_s,
        "lancedb_s": wall - parse_s - embed_s - snap_s,
        "snapshot_s": snap_s,
        "chunks": count,
        "embedded": stats.embedded,
    }


def median(runs: list[dict]) -> dict:
    """Per field, the median over runs (the counts of the first)."""
    out = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0] if k.endswith("_s")}
    return {**out, "chunks": runs[0]["chunks"], "embedded": runs[0]["embedded"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", default="networkx")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    files = library(args.library)
    embedder = Embedder()
    embedder.ensure_loaded()
    embedder.embed(["warm up"])
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="oracle-reindex-") as tmp:
        db = Path(tmp) / "lancedb"
        figures["cold"] = step(db, {"app": files}, embedder)
        figures["unchanged"] = median([step(db, {"app": files}, embedder) for _ in range(args.runs)])
        one = [step(db, {"app": edited(files, n)}, embedder) for n in range(args.runs)]
        figures["one file"] = median(one)
        figures["other product"] = step(db, {"fork": files}, embedder)
        big = [step(db, {"app": edited(files, 100 + n)}, embedder) for n in range(args.runs)]
        figures["one file, big index"] = median(big)
    cold = figures["cold"]["wall_s"]
    print(f"{args.library}: {len(files)} files, {figures['cold']['chunks']} chunks per product\n")
    print(
        f"{'step':<22}{'wall s':>8}{'x cold':>8}{'parse':>8}{'embed':>8}{'lancedb':>9}{'snapshot':>9}"
        f"{'embedded':>9}"
    )
    for name, f in figures.items():
        print(
            f"{name:<22}{f['wall_s']:>8.2f}{f['wall_s'] / cold:>8.3f}{f['parse_s']:>8.2f}{f['embed_s']:>8.2f}"
            f"{f['lancedb_s']:>9.2f}{f['snapshot_s']:>9.2f}{f['embedded']:>9}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
