"""Search chunks from the code graph: one per symbol (its qualified name, docstring and the first lines of
its body), from a product's files at a commit or from any local directory.

A file's chunks depend on its path and bytes alone, so ``ChunkCache`` keeps them by the sha256 of both (in
the index's SQLite cache file, beside the embeddings): a new commit of a product parses only the files it
changed, and a fork or another version of it none at all.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from codemonkeys import __version__
from codemonkeys.oracle.apidocs import is_test_file
from codemonkeys.oracle.parse import SymbolKind, language_for, parse_file
from codemonkeys.oracle.search import (
    CACHE_FILE,
    Chunk,
    IndexStats,
    first_line,
    index_chunks,
    normalise_words,
    split_identifier,
)

BODY_LINES = 30
CHUNK_FORMAT = 1  # bump when what a chunk holds changes: the cache's keys change with it
SOURCE_SUFFIXES = {".py", ".js", ".mjs", ".ts", ".tsx", ".rs"}
SKIP_DIRS = {".git", "node_modules", "__pycache__", ".venv", "target", "dist", "build", ".cmctl"}


def symbol_chunk(product: str, path: str, language, graph, sym, lines: list[str], module_doc: str) -> Chunk:
    """One symbol as a search chunk.

    The embedded text is the qualified name, the docstring and the first ``BODY_LINES`` of the symbol
    (measured better for the vector ranker than a shorter "skim" text of name words, signature and the
    docstring's first paragraph: benchmarks/oracle_search.py). The BM25 field adds the name and its
    module split into words with abbreviations spelled out, the signature, the module docstring's first
    line and the names the symbol calls.
    """
    name_words = " ".join(normalise_words(split_identifier(sym.name)))
    owner = sym.qualname[: -len(sym.name)].strip(".:/")
    owner_words = " ".join(
        normalise_words(w for part in re.split(r"[.:/\\-]+", owner) for w in split_identifier(part))
    )
    body = lines[sym.start_line - 1 : min(sym.end_line, sym.start_line - 1 + BODY_LINES)]
    callees = sorted({c.callee_name for c in graph.calls if c.caller == sym.qualname})
    keywords = " ".join([name_words, owner_words, sym.signature, module_doc, *callees])
    text = f"{sym.qualname}\n{sym.docstring or ''}\n" + "\n".join(body)
    return Chunk(
        product,
        path,
        sym.qualname,
        str(sym.kind),
        sym.start_line,
        str(language),
        text,
        first_line(sym.docstring),
        keywords,
    )


GRAMMARS = (
    "tree-sitter",
    "tree-sitter-python",
    "tree-sitter-javascript",
    "tree-sitter-typescript",
    "tree-sitter-rust",
)


@functools.cache
def chunker_stamp() -> str:
    """What a file's chunks depend on besides the file: the chunk format, Code Monkeys' version, the source
    of the modules that make chunks and the tree-sitter packages' versions (a change of any is a new key)."""
    from importlib import metadata

    from codemonkeys.oracle import apidocs, parse, search, terms

    h = hashlib.sha256(f"{CHUNK_FORMAT}\0{__version__}\0{BODY_LINES}".encode())
    for module in (apidocs, parse, search, terms, sys.modules[__name__]):
        h.update(Path(module.__file__ or "").read_bytes())
    for dist in GRAMMARS:
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            continue
    return h.hexdigest()[:16]


class ChunkCache:
    """A file's chunks (product left out) keyed by the sha256 of the chunker's version, its path and its
    bytes, in a table of the index's SQLite cache file; safe across threads."""

    def __init__(self, path: Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS file_chunks (key TEXT PRIMARY KEY, chunks TEXT NOT NULL)"
        )
        self._conn.commit()

    @staticmethod
    def key(path: str, data: bytes) -> str:
        """The cache key of one file's chunks: the chunker (its format, its own code and the grammars'
        versions: ``chunker_stamp``), the path and the bytes."""
        head = f"{chunker_stamp()}\0{path}\0".encode()
        return hashlib.sha256(head + data).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, list[dict]]:
        """The cached chunk lists of ``keys`` (keys not cached are absent)."""
        found: dict[str, list[dict]] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                q = f"SELECT key, chunks FROM file_chunks WHERE key IN ({','.join('?' * len(part))})"
                found.update((k, json.loads(v)) for k, v in self._conn.execute(q, part))
        return found

    def put_many(self, items: dict[str, list[dict]]) -> None:
        """Store chunk lists by key."""
        with self._lock:
            self._conn.executemany(
                "INSERT OR REPLACE INTO file_chunks (key, chunks) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in items.items()],
            )
            self._conn.commit()

    def close(self) -> None:
        """Close the SQLite connection."""
        with self._lock:
            self._conn.close()


def file_chunks(product: str, path: str, data: bytes) -> list[Chunk]:
    """One file's chunks (``symbol_chunk``), one per class / function / method; none for a test file or a
    language the code graph does not read."""
    language = language_for(path)
    if language is None or is_test_file(path):
        return []
    graph = parse_file(path, data, language)
    lines = data.decode("utf-8", errors="replace").splitlines()
    module_doc = next((first_line(s.docstring) for s in graph.symbols if s.kind is SymbolKind.MODULE), "")
    return [
        symbol_chunk(product, path, language, graph, sym, lines, module_doc)
        for sym in graph.symbols
        if sym.kind is not SymbolKind.MODULE
    ]


def _row(chunk: Chunk) -> dict:
    return {k: v for k, v in dataclasses.asdict(chunk).items() if k != "product"}


def chunks_from_files(
    product: str, files: Mapping[str, bytes], cache: ChunkCache | None = None
) -> list[Chunk]:
    """Code graph -> search chunks (``file_chunks``) of every file, in path order; with a ``cache``, a file
    whose path and bytes were chunked before is not parsed again."""
    order = sorted(files)
    keys = {path: ChunkCache.key(path, files[path]) for path in order} if cache is not None else {}
    found = cache.get_many(list(keys.values())) if cache is not None else {}
    chunks, new = [], {}
    for path in order:
        if (rows := found.get(keys.get(path, ""))) is not None:
            chunks += [Chunk(product=product, **row) for row in rows]
            continue
        mine = file_chunks(product, path, files[path])
        chunks += mine
        if cache is not None:
            new[keys[path]] = [
                {k: v for k, v in dataclasses.asdict(c).items() if k != "product"} for c in mine
            ]
    if cache is not None and new:
        cache.put_many(new)
    return chunks


def read_dir(root: Path) -> dict[str, bytes]:
    """Source files of a local directory (relative path -> bytes), skipping build and VCS folders."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not set(rel.parts) & SKIP_DIRS and path.suffix in SOURCE_SUFFIXES:
            files[str(rel)] = path.read_bytes()
    return files


def index_sources(
    target: Path,
    sources: Mapping[str, Mapping[str, bytes]],
    embedder,
    progress: Callable[[str], None] | None = None,
) -> tuple[int, IndexStats]:
    """Chunk every product's files and index them into the LanceDB index at ``target``; returns the
    number of chunks and the index statistics (embedded vs from the cache)."""
    chunks: list[Chunk] = []
    cache = ChunkCache(Path(target) / CACHE_FILE)
    try:
        for product, files in sources.items():
            chunks += chunks_from_files(product, files, cache)
            if progress:
                progress(f"parsed {product}")
    finally:
        cache.close()
    if progress:
        progress(f"embedding {len(chunks)} chunks")
    return len(chunks), index_chunks(target, chunks, embedder)
