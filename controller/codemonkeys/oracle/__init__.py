"""The oracle: what the fleet's code *is*, as a graph of symbols, imports and calls per product and commit.

It is an observer of code, beside ``observe/`` (which observes git, CI and registries): the docs facet
asks it whether the public API changed (``api_fingerprint``), and later heal will ask it who calls what
(``callers`` / ``callees``) and where imports go in circles (``import_cycles``). The flow inside:

    repo (git ls-tree / cat-file) -> parse (pure, tree-sitter) -> store (incremental, oracle_ tables)
                                                     \\-> fingerprint (pure) / graph views (pure, networkx)

Needs the ``oracle`` extra (tree-sitter and the Python, JavaScript, TypeScript and Rust grammar wheels).
"""

from codemonkeys.oracle.fingerprint import ApiDiff, api_diff, api_fingerprint, public_api
from codemonkeys.oracle.parse import (
    Call,
    FileGraph,
    Import,
    SourceLanguage,
    Symbol,
    SymbolKind,
    UnsupportedLanguage,
    Visibility,
    language_for,
    module_name,
    parse_file,
)
from codemonkeys.oracle.repo import index_commit, list_tree, read_blobs, read_files
from codemonkeys.oracle.store import (
    IndexStats,
    call_graph,
    callees,
    callers,
    import_cycles,
    import_graph,
    index_entries,
    index_tree,
    load_graphs,
    session_factory,
    snapshot_fingerprint,
)

__all__ = [
    "ApiDiff",
    "Call",
    "FileGraph",
    "Import",
    "IndexStats",
    "SourceLanguage",
    "Symbol",
    "SymbolKind",
    "UnsupportedLanguage",
    "Visibility",
    "api_diff",
    "api_fingerprint",
    "call_graph",
    "callees",
    "callers",
    "import_cycles",
    "import_graph",
    "index_commit",
    "index_entries",
    "index_tree",
    "language_for",
    "list_tree",
    "load_graphs",
    "module_name",
    "parse_file",
    "public_api",
    "read_blobs",
    "read_files",
    "session_factory",
    "snapshot_fingerprint",
]
