"""The oracle: what the fleet's code *is*, as a graph of symbols, imports and calls per product and commit.

It is an observer of code, beside ``observe/`` (which observes git, CI and registries): the docs facet
asks it whether the public API changed (``api_fingerprint``), and later heal will ask it who calls what
(``callers`` / ``callees``) and where imports go in circles (``import_cycles``). The flow inside:

    repo (git ls-tree / cat-file) -> parse (pure, tree-sitter) -> store (incremental, oracle_ tables)
                                                     \\-> fingerprint (pure) / graph views (pure, networkx)

Needs the ``oracle`` extra (tree-sitter and the Python, JavaScript, TypeScript and Rust grammar wheels).
"""

from codemonkeys.vocab.lazyexports import lazy_exports

# the public names and the module each comes from, imported on first use (PEP 562): importing one submodule
# (the search path: oracle.embed, oracle.resident) does not load the graph store (SQLAlchemy, networkx)
_EXPORTS = {
    "ApiDiff": "codemonkeys.oracle.fingerprint",
    "Call": "codemonkeys.oracle.parse",
    "FileGraph": "codemonkeys.oracle.parse",
    "Import": "codemonkeys.oracle.parse",
    "IndexStats": "codemonkeys.oracle.store",
    "SourceLanguage": "codemonkeys.oracle.parse",
    "Symbol": "codemonkeys.oracle.parse",
    "SymbolKind": "codemonkeys.oracle.parse",
    "UnsupportedLanguage": "codemonkeys.oracle.parse",
    "Visibility": "codemonkeys.oracle.parse",
    "api_diff": "codemonkeys.oracle.fingerprint",
    "api_fingerprint": "codemonkeys.oracle.fingerprint",
    "call_graph": "codemonkeys.oracle.store",
    "callees": "codemonkeys.oracle.store",
    "callers": "codemonkeys.oracle.store",
    "import_cycles": "codemonkeys.oracle.store",
    "import_graph": "codemonkeys.oracle.store",
    "index_commit": "codemonkeys.oracle.repo",
    "index_entries": "codemonkeys.oracle.store",
    "index_tree": "codemonkeys.oracle.store",
    "language_for": "codemonkeys.oracle.parse",
    "list_tree": "codemonkeys.oracle.repo",
    "load_graphs": "codemonkeys.oracle.store",
    "module_name": "codemonkeys.oracle.parse",
    "parse_file": "codemonkeys.oracle.parse",
    "public_api": "codemonkeys.oracle.fingerprint",
    "read_blobs": "codemonkeys.oracle.repo",
    "read_files": "codemonkeys.oracle.repo",
    "session_factory": "codemonkeys.oracle.store",
    "snapshot_fingerprint": "codemonkeys.oracle.store",
}


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())


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
