"""Semantic code search for the Oracle: chunk -> embed -> LanceDB -> hybrid ranking.

Where this sits: beside the tree-sitter code graph (``oracle.parse`` / ``oracle.store``), this
answers "where in the fleet is the code that does X?". ``python_chunks`` cuts a Python tree into
one chunk per module docstring / class / function / method with the stdlib ``ast`` (it does not
depend on ``oracle.parse``); ``index_chunks`` embeds them with ``oracle.embed.Embedder`` (through
the sha256-keyed ``EmbeddingCache``, so unchanged code is never embedded twice) and replaces the
product's rows in the LanceDB table ``chunks``; ``search`` ranks rows for a natural-language query.

Ranking (``oracle.resident``) is hybrid, the weighted sum of two min-max scaled scores:

* vector: cosine similarity of the query's embedding to each chunk's (exact: one matrix product);
* keyword: BM25 over a ``keywords`` field that we fill ourselves: identifiers split on camelCase and
  snake_case (the symbol's own parts repeated to weigh them up), module path parts and docstring /
  comment words, lower-cased, stemmed and without stop words (``oracle.terms``).

LanceDB is the durable table (columns: product, path, symbol, kind, line, language, text, doc,
text_hash, keywords, vector); after every write the whole table is also written as one query snapshot
(``<db_dir>/snapshot.npz``), which queries read instead of the table (no LanceDB import, no scan).
The embedding cache is ``<db_dir>/embed_cache.sqlite``.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codemonkeys.oracle.embed import DIM, MODEL_ID, Embedder, EmbeddingCache, embed_with_cache
from codemonkeys.oracle.resident import FUSION, META, SNAPSHOT, Hit, Mode, ResidentIndex, write_snapshot
from codemonkeys.oracle.terms import split_identifier

TABLE = "chunks"
CACHE_FILE = "embed_cache.sqlite"
BODY_LINES = 30
SKIP_DIRS = {"__pycache__", ".git", ".venv", "venv", "node_modules", ".tox", "build", "dist"}

__all__ = ["FUSION", "Hit", "Mode", "split_identifier"]  # re-exported: their home is oracle.resident / .terms


@dataclass(frozen=True)
class Chunk:
    """One searchable piece of code: a function, method, class or module docstring."""

    product: str
    path: str
    symbol: str
    kind: str
    line: int
    language: str
    text: str
    doc: str = ""  # the first line of the docstring, shown with a hit
    keywords: str = ""  # extra words for the BM25 field (signature, parameters, neighbours, ...)


@dataclass(frozen=True)
class IndexStats:
    """What one ``index_chunks`` call did: chunks embedded by the model vs. served from the cache."""

    embedded: int
    cached: int


# --------------------------------------------------------------------------- keywords

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# Abbreviations common in identifiers, spelled out so that a question in words meets them.
ABBREVIATIONS = {
    "gt": "greater than",
    "gte": "greater than or equal",
    "lt": "less than",
    "lte": "less than or equal",
    "eq": "equal",
    "ne": "not equal",
    "neq": "not equal",
    "cmp": "compare",
    "inc": "increment",
    "dec": "decrement",
    "str": "string",
    "num": "number",
    "len": "length",
    "idx": "index",
    "pos": "position",
    "tz": "timezone",
    "dt": "datetime",
    "msg": "message",
    "err": "error",
    "cfg": "config",
    "conf": "config",
    "fn": "function",
    "func": "function",
    "args": "arguments",
    "arg": "argument",
    "val": "value",
    "src": "source",
    "dst": "destination",
    "dir": "directory",
    "max": "maximum",
    "min": "minimum",
    "prev": "previous",
    "cur": "current",
    "addr": "address",
    "attr": "attribute",
    "attrs": "attributes",
    "buf": "buffer",
    "ctx": "context",
    "db": "database",
    "doc": "document",
    "env": "environment",
    "exc": "exception",
    "init": "initialise",
    "iter": "iterate",
    "lib": "library",
    "mod": "module",
    "obj": "object",
    "op": "operator",
    "opts": "options",
    "param": "parameter",
    "params": "parameters",
    "pkg": "package",
    "req": "request",
    "res": "result",
    "resp": "response",
    "sep": "separator",
    "seq": "sequence",
    "sync": "synchronise",
    "tmp": "temporary",
    "ver": "version",
}


def normalise_words(words) -> list[str]:
    """Identifier words, common abbreviations spelled out: ``['gt']`` -> ``['gt', 'greater', 'than']``."""
    out: list[str] = []
    for w in words:
        out.append(w)
        full = ABBREVIATIONS.get(w)
        if full and full != w:
            out.extend(full.split())
    return out


def keyword_text(chunk: Chunk) -> str:
    """The BM25 field of a chunk: split identifiers and words, the symbol's own parts weighted x3."""
    own = normalise_words(split_identifier(re.split(r"[.:/]", chunk.symbol)[-1]))
    module = [w for p in re.split(r"[./\\]", chunk.path.removesuffix(".py")) for w in split_identifier(p)]
    words = [w for tok in _IDENT.findall(chunk.text) for w in split_identifier(tok)]
    extra = [w for tok in _IDENT.findall(chunk.keywords) for w in split_identifier(tok)]
    return " ".join(own * 3 + module + words + extra)


# --------------------------------------------------------------------------- chunker


def first_line(doc: str | None) -> str:
    """The first non-empty line of a docstring, stripped ('' when there is none)."""
    return next((line.strip() for line in (doc or "").splitlines() if line.strip()), "")


def _module_name(root: Path, file: Path) -> str:
    base = root.parent if (root / "__init__.py").is_file() else root
    parts = list(file.relative_to(base).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _node_chunk(product: str, rel: str, symbol: str, node: ast.AST, lines: list[str], kind: str) -> Chunk:
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    body = node.body
    first_body = body[0]
    doc = ast.get_docstring(node) or ""
    if doc and isinstance(first_body, ast.Expr) and len(body) > 1:
        after_doc = body[1].lineno
    else:
        after_doc = first_body.lineno if not doc else first_body.end_lineno + 1
    header = lines[start - 1 : first_body.lineno - 1] or [lines[node.lineno - 1]]
    if kind == "class":
        # class-level statements; methods only by their signature (they get chunks of their own)
        rest: list[str] = []
        for stmt in body:
            if doc and stmt is first_body:
                continue
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                rest.append(lines[stmt.lineno - 1].rstrip())
            else:
                rest.extend(lines[stmt.lineno - 1 : (stmt.end_lineno or stmt.lineno)])
            if len(rest) >= BODY_LINES:
                break
        rest = rest[:BODY_LINES]
    else:
        end = node.end_lineno or node.lineno
        rest = lines[after_doc - 1 : min(end, after_doc - 1 + BODY_LINES)]
    text = "\n".join([f"{kind} {symbol}", *(h.rstrip() for h in header), doc, *(r.rstrip() for r in rest)])
    return Chunk(product, rel, symbol, kind, start, "python", text.strip(), first_line(doc))


def _is_overload(node: ast.AST) -> bool:
    for d in getattr(node, "decorator_list", []):
        name = d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", "")
        if name == "overload":
            return True
    return False


def _walk(product: str, rel: str, prefix: str, body: list[ast.stmt], lines: list[str], in_class: bool):
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if _is_overload(node):
                continue  # typing stubs: the implementation that follows gets the chunk
            symbol = f"{prefix}.{node.name}" if prefix else node.name
            is_class = isinstance(node, ast.ClassDef)
            kind = "class" if is_class else ("method" if in_class else "function")
            yield _node_chunk(product, rel, symbol, node, lines, kind)
            if is_class:
                yield from _walk(product, rel, symbol, node.body, lines, True)


def chunk_python_source(product: str, rel_path: str, module: str, source: str) -> list[Chunk]:
    """Chunks of one Python file (empty if it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    lines = source.splitlines()
    chunks: list[Chunk] = []
    doc = ast.get_docstring(tree)
    if doc:
        chunks.append(
            Chunk(
                product, rel_path, module, "module", 1, "python", f"module {module}\n{doc}", first_line(doc)
            )
        )
    chunks.extend(_walk(product, rel_path, module, tree.body, lines, False))
    return chunks


def python_files(root: Path) -> list[Path]:
    """Every ``.py`` file under ``root``, sorted, skipping hidden, virtualenv and build directories."""
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        files.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py"))
    return files


def python_chunks(product: str, root: Path) -> list[Chunk]:
    """One chunk per module docstring / class / function / method under ``root`` (stdlib ``ast``).

    Symbols are dotted: ``rich.table.Table.add_row`` when ``root`` is the ``rich`` package.
    A chunk's text is ``"<kind> <symbol>"``, the signature (with decorators), the docstring and
    the first ``BODY_LINES`` lines of the body (for a class: class-level statements and method
    signatures).
    """
    root = Path(root)
    out: list[Chunk] = []
    for file in python_files(root):
        try:
            source = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        rel = file.relative_to(root).as_posix()
        out.extend(chunk_python_source(product, rel, _module_name(root, file), source))
    return out


# --------------------------------------------------------------------------- index

_db_lock = threading.Lock()


def _connect(db_dir: Path):
    try:
        import lancedb
    except ImportError as exc:  # pragma: no cover - depends on the environment
        from codemonkeys.oracle.embed import _EXTRA_HINT

        raise ImportError(f"{exc}; {_EXTRA_HINT}") from exc
    Path(db_dir).mkdir(parents=True, exist_ok=True)
    return lancedb.connect(str(db_dir))


def _schema():
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("product", pa.string()),
            pa.field("path", pa.string()),
            pa.field("symbol", pa.string()),
            pa.field("kind", pa.string()),
            pa.field("line", pa.int32()),
            pa.field("language", pa.string()),
            pa.field("text", pa.string()),
            pa.field("doc", pa.string()),
            pa.field("text_hash", pa.string()),
            pa.field("keywords", pa.string()),
            pa.field("row_hash", pa.string()),  # what the row is made of (``_row_hash``): rows kept or not
            pa.field("vector", pa.list_(pa.float32(), DIM)),
        ]
    )


def _open_table(db, create: bool):
    try:
        table = db.open_table(TABLE)
    except ValueError:  # not found
        if not create:
            return None
        return db.create_table(TABLE, schema=_schema(), exist_ok=True)
    if create and set(table.schema.names) != set(_schema().names):
        # an index of an older layout: rebuilt (its vectors come back from the embedding cache)
        db.drop_table(TABLE)
        return db.create_table(TABLE, schema=_schema())
    return table


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


SNAPSHOT_OF = "snapshot.version"  # the table version the snapshot was written from


def _snapshot_of(db_dir: Path) -> int | None:
    """The table version the query snapshot was written from (None: unknown, or no snapshot)."""
    try:
        return int((db_dir / SNAPSHOT_OF).read_text()) if (db_dir / SNAPSHOT).is_file() else None
    except (OSError, ValueError):
        return None


def _write_snapshot(db_dir: Path, table) -> None:
    """The query snapshot (``oracle.resident``) of the whole table, as it is after a write, and the table
    version it was written from."""
    data = table.to_arrow().select([*META, "keywords", "vector"])
    vectors = data.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    write_snapshot(
        db_dir,
        {k: data.column(k).to_pylist() for k in META},
        data.column("keywords").to_pylist(),
        np.asarray(vectors, dtype=np.float32).reshape(data.num_rows, DIM),
    )
    (db_dir / SNAPSHOT_OF).write_text(str(table.version))


def index_chunks(db_dir: Path, chunks: Iterable[Chunk], embedder: Embedder) -> IndexStats:
    """Make the rows of every product present in ``chunks`` these chunks.

    Vectors come from the embedding cache where the text is unchanged; only new texts are embedded. Only
    the files whose rows differ are rewritten (their rows deleted and added again; a file gone is
    deleted), and nothing at all when none does: a new commit that changed one file writes one file's
    rows. A product whose chunk list is empty is not touched (use ``delete_product`` to drop one).
    """
    chunks = list(chunks)
    db_dir = Path(db_dir)
    cache = EmbeddingCache(db_dir / CACHE_FILE)
    try:
        vectors, hashes, embedded = embed_with_cache(embedder, [c.text for c in chunks], cache)
    finally:
        cache.close()
    with _db_lock:
        table = _open_table(_connect(db_dir), create=True)
        products = sorted({c.product for c in chunks})
        had = _file_digests(table, products)
        model = getattr(embedder, "model_id", MODEL_ID)  # another model's vectors are other rows
        row_hashes = [_row_hash(c, h, model) for c, h in zip(chunks, hashes, strict=True)]
        now: dict[tuple[str, str], list[int]] = {}
        for i, c in enumerate(chunks):
            now.setdefault((c.product, c.path), []).append(i)
        digests = {key: _digest(row_hashes[i] for i in rows) for key, rows in now.items()}
        stale = {key for key in had.keys() | digests.keys() if had.get(key) != digests.get(key)}
        if not stale and _snapshot_of(db_dir) == table.version:  # a crash before the last snapshot: written
            return IndexStats(embedded=embedded, cached=len(chunks) - embedded)
        for product in products:
            paths = sorted(path for prod, path in stale if prod == product)
            for start in range(0, len(paths), 500):
                where = ", ".join(_sql_str(x) for x in paths[start : start + 500])
                table.delete(f"product = {_sql_str(product)} AND path IN ({where})")
        rows = [i for key in sorted(stale & digests.keys()) for i in now[key]]
        if rows:
            table.add(
                _arrow_rows(
                    [chunks[i] for i in rows],
                    vectors[rows],
                    [hashes[i] for i in rows],
                    [row_hashes[i] for i in rows],
                )
            )
        _write_snapshot(db_dir, table)
    return IndexStats(embedded=embedded, cached=len(chunks) - embedded)


def _row_hash(chunk: Chunk, text_hash: str, model: str) -> str:
    """What a chunk's row is made of (its keyword field too: ``keyword_text`` of these; its vector: the
    model's of the text), as one hash."""
    fields = (chunk.path, chunk.symbol, chunk.kind, chunk.line, chunk.language, text_hash, chunk.doc, model)
    return hashlib.sha256(repr((*fields, chunk.keywords)).encode()).hexdigest()


def _digest(row_hashes: Iterable[str]) -> str:
    """A file's rows (their ``_row_hash``, in any order) as one hash: equal digests, equal rows."""
    return hashlib.sha256("\n".join(sorted(row_hashes)).encode()).hexdigest()


def _file_digests(table, products: Sequence[str]) -> dict[tuple[str, str], str]:
    """The digest (``_digest``) of each file's rows of ``products`` in the table."""
    if not products:
        return {}
    found = (
        table.search()
        .where("product IN (" + ", ".join(_sql_str(p) for p in products) + ")")
        .select(["product", "path", "row_hash"])
        .limit(None)
        .to_arrow()
    )
    by_file: dict[tuple[str, str], list[str]] = {}
    for product, path, row in zip(
        *(found.column(c).to_pylist() for c in ("product", "path", "row_hash")), strict=True
    ):
        by_file.setdefault((product, path), []).append(row)
    return {key: _digest(rows) for key, rows in by_file.items()}


def _arrow_rows(chunks: Sequence[Chunk], vectors: np.ndarray, hashes: Sequence[str], rows: Sequence[str]):
    """Chunks as the table's rows (``rows``: their ``_row_hash``)."""
    import pyarrow as pa

    return pa.Table.from_pydict(
        {
            "product": [c.product for c in chunks],
            "path": [c.path for c in chunks],
            "symbol": [c.symbol for c in chunks],
            "kind": [c.kind for c in chunks],
            "line": [c.line for c in chunks],
            "language": [c.language for c in chunks],
            "text": [c.text for c in chunks],
            "doc": [c.doc for c in chunks],
            "text_hash": list(hashes),
            "keywords": [keyword_text(c) for c in chunks],
            "row_hash": list(rows),
            "vector": pa.FixedSizeListArray.from_arrays(
                pa.array(vectors.reshape(-1), type=pa.float32()), DIM
            ),
        },
        schema=_schema(),
    )


def delete_product(db_dir: Path, product: str) -> None:
    """Drop every row of one product."""
    with _db_lock:
        table = _open_table(_connect(Path(db_dir)), create=False)
        if table is not None:
            table.delete(f"product = {_sql_str(product)}")
            _write_snapshot(Path(db_dir), table)


def count_rows(db_dir: Path, product: str | None = None) -> int:
    """Indexed chunks in ``db_dir``, of one product if given (0 when nothing was indexed)."""
    return open_index(db_dir).count(product)


def open_index(db_dir: Path) -> ResidentIndex:
    """The index at ``db_dir`` for queries; an index written before snapshots existed gets one now."""
    index = ResidentIndex(db_dir)
    if not index.exists() and (Path(db_dir) / f"{TABLE}.lance").is_dir():
        with _db_lock:
            table = _open_table(_connect(Path(db_dir)), create=False)
            if table is not None and "keywords" in table.schema.names:
                _write_snapshot(Path(db_dir), table)
    return index


def search(
    db_dir: Path,
    query: str,
    embedder: Embedder,
    *,
    product: str | None = None,
    language: str | None = None,
    kind: str | Sequence[str] | None = None,
    limit: int = 10,
    mode: Mode = "hybrid",
    candidates: int = 50,
    fusion: tuple[float, float] = FUSION,
) -> list[Hit]:
    """Rank chunks for a natural-language query (``ResidentIndex.search``, opened for this one call).

    Callers that ask more than once keep an ``open_index(db_dir)`` and call its ``search``.
    """
    return open_index(db_dir).search(
        query,
        embedder,
        product=product,
        language=language,
        kind=kind,
        limit=limit,
        mode=mode,
        candidates=candidates,
        fusion=fusion,
    )
