"""`cmctl oracle search`: the command, light enough to start searching in a fraction of a second.

It imports neither the library API nor LanceDB: the index location follows from ``--fleet`` (its state dir,
as ``FleetSession.search_index``) or ``--db``, and the query runs on the index's snapshot
(``oracle.resident``) with the local embedder (``oracle.embed``, onnxruntime loaded once). ``cli.launch``
dispatches ``cmctl oracle search ...`` here before the rest of the CLI is imported; ``cli.oracle``
registers the same function in the full CLI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from codemonkeys.cli.console import FleetOpt, JsonOpt, fail, out

ORACLE_HELP = "The oracle: code graph and semantic code search."
BUILD = "build it with cmctl oracle index"


def search_cmd(
    query: Annotated[str, typer.Argument(help="What you are looking for, in words.")],
    product: Annotated[str | None, typer.Option("--product", "-p", help="Only this product's code.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-k", min=1, help="How many results.")] = 10,
    fleet: FleetOpt = Path("."),
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Index directory (default: the fleet's state dir, .cmctl/oracle-search)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Semantic + keyword search over indexed code: symbol, kind, product:path:line, score, first doc line.

    Exits 1 when the index is missing or empty, or holds no such product.
    """
    try:
        from codemonkeys.api.oracle import FLEET_INDEX, Embedder, ResidentIndex
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise fail(
            f"code search needs the [search] extra: pip install 'codemonkeys[search]' ({exc})"
        ) from None

    index_dir = db if db is not None else fleet / FLEET_INDEX
    index = _open(index_dir, product, ResidentIndex)
    hits = index.search(query, Embedder(threads=1), product=product, limit=limit)
    rows = [h.to_dict() for h in hits]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    for r in rows:
        out.print(
            f"[bold]{escape(r['symbol'])}[/] [dim]{r['kind']}[/]  {escape(r['product'])}:{escape(r['path'])}:"
            f"{r['line']}  [dim]score {r['score']:.3f}[/]",
            soft_wrap=True,
        )
        if r["doc"]:
            out.print(f"    {escape(r['doc'])}", soft_wrap=True)
    if not rows:
        out.print("no results")


def _open(index_dir: Path, product: str | None, resident):
    """The index at ``index_dir``; exit 1 saying so when it is missing or holds nothing (of ``product``)."""
    if not index_dir.is_dir():
        raise fail(f"no search index at {index_dir}: {BUILD} (or pass --fleet DIR / --db DIR)")
    index = resident(index_dir)
    if not index.exists() and (index_dir / "chunks.lance").is_dir():
        from codemonkeys.api.oracle import open_index  # an index from before snapshots: LanceDB, once

        index = open_index(index_dir)
    if index.count() == 0:
        raise fail(f"the search index at {index_dir} is empty: {BUILD}")
    if product and index.count(product) == 0:
        raise fail(f"no product {product!r} in the search index at {index_dir}: {BUILD} {product}")
    return index


def search_app() -> typer.Typer:
    """``cmctl`` holding only ``oracle search`` (what ``cli.launch`` runs for that command)."""
    app = typer.Typer(name="cmctl", add_completion=False, pretty_exceptions_show_locals=False)
    oracle = typer.Typer(help=ORACLE_HELP, no_args_is_help=True)
    oracle.command("search")(search_cmd)
    app.add_typer(oracle, name="oracle")
    return app
