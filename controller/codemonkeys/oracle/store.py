"""The oracle's store: code graphs per product and commit, indexed incrementally, plus networkx views.

Sits after ``oracle.repo`` (which reads a product's files at a commit) and ``oracle.parse`` (pure, one
file): ``index_tree`` keeps one parsed graph per (path, content hash, parser version), so indexing the
next commit parses only the files whose content changed and reuses every other graph. Content hashes
are git blob ids when the files come from git, else sha256 of the bytes. A snapshot row ties
(product, commit) to its files and its API fingerprint (``oracle.fingerprint``).

Its own declarative base and ``oracle_`` tables, beside (never inside) the main store
(``codemonkeys.store.db``); any SQLAlchemy URL or engine works. The graph views (``call_graph``,
``import_graph``, ``import_cycles``, ``callers``, ``callees``) are pure over ``FileGraph`` values.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import networkx as nx
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

from codemonkeys.oracle.fingerprint import api_fingerprint
from codemonkeys.oracle.parse import (
    PARSER_VERSION,
    Call,
    FileGraph,
    Import,
    SourceLanguage,
    Symbol,
    SymbolKind,
    Visibility,
    language_for,
    parse_file,
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class OracleBase(DeclarativeBase):
    """Declarative base of the oracle's own ``oracle_`` tables (kept apart from the main store)."""

    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class FileGraphRow(OracleBase):
    """One parse result, shared by every snapshot that has this path with this content."""

    __tablename__ = "oracle_file_graphs"
    __table_args__ = (UniqueConstraint("path", "content_hash", "parser_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(1024))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    parser_version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    module: Mapped[str] = mapped_column(String(1024))
    has_errors: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)
    symbols: Mapped[list[SymbolRow]] = relationship(order_by="SymbolRow.id", cascade="all, delete-orphan")
    imports: Mapped[list[ImportRow]] = relationship(order_by="ImportRow.id", cascade="all, delete-orphan")
    calls: Mapped[list[CallRow]] = relationship(order_by="CallRow.id", cascade="all, delete-orphan")


class SymbolRow(OracleBase):
    """One symbol of a stored file graph."""

    __tablename__ = "oracle_symbols"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_graph_id: Mapped[int] = mapped_column(ForeignKey("oracle_file_graphs.id"), index=True)
    qualname: Mapped[str] = mapped_column(String(1024), index=True)
    name: Mapped[str] = mapped_column(String(256), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    visibility: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(Text, default="")
    docstring: Mapped[str | None] = mapped_column(Text, nullable=True)
    start_line: Mapped[int] = mapped_column(Integer)
    end_line: Mapped[int] = mapped_column(Integer)


class ImportRow(OracleBase):
    """One import of a stored file graph."""

    __tablename__ = "oracle_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_graph_id: Mapped[int] = mapped_column(ForeignKey("oracle_file_graphs.id"), index=True)
    module: Mapped[str] = mapped_column(String(1024))
    names: Mapped[list[str]] = mapped_column(JSON, default=list)
    line: Mapped[int] = mapped_column(Integer, default=0)


class CallRow(OracleBase):
    """One call site of a stored file graph."""

    __tablename__ = "oracle_calls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_graph_id: Mapped[int] = mapped_column(ForeignKey("oracle_file_graphs.id"), index=True)
    caller: Mapped[str] = mapped_column(String(1024))
    callee: Mapped[str] = mapped_column(String(1024))
    line: Mapped[int] = mapped_column(Integer, default=0)


class Snapshot(OracleBase):
    """A product's code graph at one commit."""

    __tablename__ = "oracle_snapshots"
    __table_args__ = (UniqueConstraint("product", "commit"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[str] = mapped_column(String(256), index=True)
    commit: Mapped[str] = mapped_column(String(64))
    api_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)


class SnapshotFile(OracleBase):
    """One file of a snapshot: its path and the stored graph of its content."""

    __tablename__ = "oracle_snapshot_files"
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("oracle_snapshots.id"), primary_key=True)
    path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    file_graph_id: Mapped[int] = mapped_column(ForeignKey("oracle_file_graphs.id"), index=True)


@dataclass(frozen=True)
class IndexStats:
    """What one indexing did: files parsed, reused and skipped, and the resulting API fingerprint."""

    parsed: int  # files parsed now
    reused: int  # files whose (path, content) graph was already stored
    skipped: int = 0  # files in no supported language
    api_fingerprint: str = ""


StoreTarget = str | Engine | sessionmaker


def session_factory(target: StoreTarget) -> sessionmaker:
    """A session factory over the oracle tables (created if missing) from a URL, an engine or a factory."""
    if isinstance(target, sessionmaker):
        factory = target
        engine = factory.kw.get("bind")
    else:
        engine = create_engine(target) if isinstance(target, str) else target
        factory = sessionmaker(bind=engine, expire_on_commit=False)
    if engine is not None:
        try:
            OracleBase.metadata.create_all(engine)
        except DatabaseError:  # another process or thread created them at the same moment: now they exist
            OracleBase.metadata.create_all(engine)
    return factory


def content_hash(data: bytes) -> str:
    """The sha256 of ``data`` (content hash of files that do not come from git)."""
    return hashlib.sha256(data).hexdigest()


def index_tree(
    target: StoreTarget,
    product: str,
    commit: str,
    files: Mapping[str, bytes],
    hashes: Mapping[str, str] | None = None,
) -> IndexStats:
    """Index ``files`` (path -> bytes) as ``product`` at ``commit``; ``hashes`` (path -> blob id) if known."""
    hashes = hashes or {}
    entries = {path: hashes.get(path) or content_hash(data) for path, data in files.items()}
    by_hash = {entries[path]: data for path, data in files.items()}
    return index_entries(target, product, commit, entries, lambda wanted: {h: by_hash[h] for h in wanted})


def index_entries(
    target: StoreTarget,
    product: str,
    commit: str,
    entries: Mapping[str, str],
    read: Callable[[list[str]], Mapping[str, bytes]],
) -> IndexStats:
    """Index a tree given as path -> content hash; ``read`` fetches the contents of hashes not stored yet.

    Only files whose (path, hash) has no stored graph are read and parsed.
    """
    factory = session_factory(target)
    supported = {p: h for p, h in entries.items() if language_for(p) is not None}
    skipped = len(entries) - len(supported)
    with factory() as session, session.begin():
        known: dict[tuple[str, str], FileGraphRow] = {}
        hashes = sorted(set(supported.values()))
        for chunk in (hashes[i : i + 500] for i in range(0, len(hashes), 500)):
            rows = session.scalars(
                select(FileGraphRow).where(
                    FileGraphRow.content_hash.in_(chunk), FileGraphRow.parser_version == PARSER_VERSION
                )
            )
            known.update({(r.path, r.content_hash): r for r in rows})
        missing = sorted({h for p, h in supported.items() if (p, h) not in known})
        contents = read(missing) if missing else {}
        parsed = 0
        for path, digest in sorted(supported.items()):
            if (path, digest) in known:
                continue
            graph = parse_file(path, contents[digest])
            row = _to_row(graph, digest)
            session.add(row)
            known[path, digest] = row
            parsed += 1
        session.flush()
        graphs = [_from_row(known[p, h]) for p, h in sorted(supported.items())]
        fingerprint = api_fingerprint(graphs)
        snap = session.scalar(select(Snapshot).where(Snapshot.product == product, Snapshot.commit == commit))
        if snap is None:
            snap = Snapshot(product=product, commit=commit, api_fingerprint=fingerprint)
            session.add(snap)
            session.flush()
        else:
            snap.api_fingerprint = fingerprint
            session.execute(delete(SnapshotFile).where(SnapshotFile.snapshot_id == snap.id))
        session.add_all(
            SnapshotFile(snapshot_id=snap.id, path=p, file_graph_id=known[p, h].id)
            for p, h in supported.items()
        )
    return IndexStats(
        parsed=parsed, reused=len(supported) - parsed, skipped=skipped, api_fingerprint=fingerprint
    )


def load_graphs(target: StoreTarget, product: str, commit: str) -> list[FileGraph]:
    """The stored file graphs of ``product`` at ``commit``, by path ([] if never indexed)."""
    factory = session_factory(target)
    with factory() as session:
        rows = session.scalars(
            select(FileGraphRow)
            .join(SnapshotFile, SnapshotFile.file_graph_id == FileGraphRow.id)
            .join(Snapshot, Snapshot.id == SnapshotFile.snapshot_id)
            .where(Snapshot.product == product, Snapshot.commit == commit)
            .order_by(SnapshotFile.path)
        ).all()
        return [_from_row(r) for r in rows]


def snapshot_fingerprint(target: StoreTarget, product: str, commit: str) -> str | None:
    """The API fingerprint stored for ``product`` at ``commit``, None if never indexed."""
    factory = session_factory(target)
    with factory() as session:
        return session.scalar(
            select(Snapshot.api_fingerprint).where(Snapshot.product == product, Snapshot.commit == commit)
        )


def _to_row(graph: FileGraph, digest: str) -> FileGraphRow:
    return FileGraphRow(
        path=graph.path,
        content_hash=digest,
        parser_version=PARSER_VERSION,
        language=str(graph.language),
        module=graph.module,
        has_errors=graph.has_errors,
        symbols=[
            SymbolRow(
                qualname=s.qualname,
                name=s.name,
                kind=str(s.kind),
                visibility=str(s.visibility),
                signature=s.signature,
                docstring=s.docstring,
                start_line=s.start_line,
                end_line=s.end_line,
            )
            for s in graph.symbols
        ],
        imports=[ImportRow(module=i.module, names=list(i.names), line=i.line) for i in graph.imports],
        calls=[CallRow(caller=c.caller, callee=c.callee, line=c.line) for c in graph.calls],
    )


def _from_row(row: FileGraphRow) -> FileGraph:
    return FileGraph(
        path=row.path,
        language=SourceLanguage(row.language),
        module=row.module,
        has_errors=row.has_errors,
        symbols=tuple(
            Symbol(
                name=s.name,
                qualname=s.qualname,
                kind=SymbolKind(s.kind),
                signature=s.signature,
                docstring=s.docstring,
                start_line=s.start_line,
                end_line=s.end_line,
                visibility=Visibility(s.visibility),
            )
            for s in row.symbols
        ),
        imports=tuple(Import(i.module, tuple(i.names), i.line) for i in row.imports),
        calls=tuple(Call(c.caller, c.callee, c.line) for c in row.calls),
    )


# ----------------------------------------------------------------------------------------- graph views


def _sep(language: SourceLanguage) -> str:
    return "::" if language is SourceLanguage.RUST else "."


def call_graph(files: Iterable[FileGraph], include_unresolved: bool = False) -> nx.DiGraph:
    """Caller -> callee over qualified names, resolved best effort.

    A callee is resolved, in order: as a qualified name; ``self.``/``this.``/``Self::`` to the caller's
    class; within the caller's module; else to the one symbol of that name in the product. Ambiguous and
    external callees are dropped, or kept as ``?callee`` nodes with ``include_unresolved``.
    """
    files = list(files)
    graph = nx.DiGraph()
    by_qual: dict[str, Symbol] = {}
    by_name: dict[str, list[str]] = {}
    for f in files:
        for s in f.symbols:
            by_qual[s.qualname] = s
            graph.add_node(s.qualname, kind=str(s.kind), path=f.path, line=s.start_line)
            if s.kind is not SymbolKind.MODULE:
                by_name.setdefault(s.name, []).append(s.qualname)
    for f in files:
        sep = _sep(f.language)
        for call in f.calls:
            target = _resolve_call(call, f.module, sep, by_qual, by_name)
            if target is None and include_unresolved:
                target = f"?{call.callee}"
                graph.add_node(target, kind="unresolved")
            if target is not None:
                graph.add_edge(call.caller, target)
                graph.edges[call.caller, target].setdefault("lines", []).append(call.line)
    return graph


_SELF = frozenset({"self", "this", "cls", "Self"})


def _resolve_call(
    call: Call, module: str, sep: str, by_qual: dict[str, Symbol], by_name: dict[str, list[str]]
) -> str | None:
    callee = call.callee
    if callee in by_qual:
        return callee
    parts = [p for p in re.split(r"[.:]+", callee) if p]
    if not parts:
        return None
    if parts[0] in _SELF and len(parts) == 2:
        container = call.caller.rsplit(sep, 1)[0]
        if f"{container}{sep}{parts[1]}" in by_qual:
            return f"{container}{sep}{parts[1]}"
    local = f"{module}{sep}{sep.join(parts)}"
    if local in by_qual:
        return local
    candidates = by_name.get(parts[-1], [])
    if len(candidates) > 1 and len(parts) > 1:
        suffix = sep + sep.join(parts)
        candidates = [c for c in candidates if c.endswith(suffix)]
    return candidates[0] if len(candidates) == 1 else None


def callers(graph: nx.DiGraph, symbol: str) -> list[str]:
    """Symbols calling ``symbol`` in a call graph, sorted ([] if it is not in the graph)."""
    return sorted(graph.predecessors(symbol)) if symbol in graph else []


def callees(graph: nx.DiGraph, symbol: str) -> list[str]:
    """Symbols ``symbol`` calls in a call graph, sorted ([] if it is not in the graph)."""
    return sorted(graph.successors(symbol)) if symbol in graph else []


def import_graph(files: Iterable[FileGraph]) -> nx.DiGraph:
    """Module -> imported module, for imports that resolve to a module of the same product."""
    files = list(files)
    known = {f.module for f in files}
    graph = nx.DiGraph()
    graph.add_nodes_from((f.module, {"path": f.path}) for f in files)
    for f in files:
        sep = "/" if f.language not in (SourceLanguage.PYTHON, SourceLanguage.RUST) else _sep(f.language)
        for imp in f.imports:
            candidates = [f"{imp.module}{sep}{n}" for n in imp.names if n != "*"] + [imp.module]
            for target in {t for c in candidates if (t := _resolve_module(c, known, sep))}:
                if target != f.module:
                    graph.add_edge(f.module, target)
    return graph


def _resolve_module(name: str, known: set[str], sep: str) -> str | None:
    for candidate in (name, f"{name}/index" if sep == "/" else None):
        if candidate in known:
            return candidate
    parts = name.split(sep)
    for end in range(len(parts) - 1, 0, -1):
        prefix = sep.join(parts[:end])
        if prefix in known and not (sep == "::" and prefix == "crate" and end == 1 and len(parts) > 2):
            return prefix
    return None


def import_cycles(files_or_graph: Iterable[FileGraph] | nx.DiGraph) -> list[list[str]]:
    """Groups of modules that import each other (strongly connected components of size > 1), sorted."""
    graph = files_or_graph if isinstance(files_or_graph, nx.DiGraph) else import_graph(files_or_graph)
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)
