"""Search chunks from the code graph: one per symbol (its qualified name, docstring and the first lines of
its body), from a product's files at a commit or from any local directory."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from codemonkeys.oracle.apidocs import is_test_file
from codemonkeys.oracle.parse import SymbolKind, language_for, parse_file
from codemonkeys.oracle.search import (
    Chunk,
    IndexStats,
    first_line,
    index_chunks,
    normalise_words,
    split_identifier,
)

BODY_LINES = 30
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


def chunks_from_files(product: str, files: Mapping[str, bytes]) -> list[Chunk]:
    """Code graph -> search chunks (``symbol_chunk``), one per class / function / method; tests skipped."""
    chunks = []
    for path, data in sorted(files.items()):
        language = language_for(path)
        if language is None or is_test_file(path):
            continue
        graph = parse_file(path, data, language)
        lines = data.decode("utf-8", errors="replace").splitlines()
        module_doc = next((first_line(s.docstring) for s in graph.symbols if s.kind is SymbolKind.MODULE), "")
        for sym in graph.symbols:
            if sym.kind is not SymbolKind.MODULE:
                chunks.append(symbol_chunk(product, path, language, graph, sym, lines, module_doc))
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
    for product, files in sources.items():
        chunks += chunks_from_files(product, files)
        if progress:
            progress(f"parsed {product}")
    if progress:
        progress(f"embedding {len(chunks)} chunks")
    return len(chunks), index_chunks(target, chunks, embedder)
