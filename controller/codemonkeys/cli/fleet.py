"""`cmctl fleet`: the fleet as a table of products (company, labels, facets, versions, last run), narrowed
by selectors (``codemonkeys.vocab.selectors``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from codemonkeys.api import SelectorError
from codemonkeys.cli.common import FleetOpt, JsonOpt, fail, out, session

fleet_app = typer.Typer(
    help="The fleet's products across companies, narrowed by selectors.", no_args_is_help=True
)

SelectOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--select",
        "-s",
        help="NAME|GLOB, company=C, label=K=V, language=L, dependsOn=P; comma = and, repeated = or.",
    ),
]

COLOURS = {"in_sync": "green", "failed": "red", "unknown": "yellow", "drifting": "yellow"}


def _facets(row: dict) -> str:
    parts = []
    for name, state in row["facets"].items():
        colour = COLOURS.get(str(state), "cyan")
        parts.append(f"{name}:[{colour}]{escape(str(state))}[/]")
    return " ".join(parts) or "[dim]not observed yet[/]"


@fleet_app.command("ls")
def fleet_ls(select: SelectOpt = None, fleet: FleetOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Products with company, labels, facets (as last observed), versions and their last run."""
    fs = session(fleet)
    try:
        rows = fs.fleet(select)
    except SelectorError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if not rows:
        out.print("no product matches")
        return
    table = Table("product", "company", "labels", "facets", "version", "last run", box=None)
    for r in rows:
        last = r["last_run"]
        table.add_row(
            escape(r["name"]),
            escape(r["company"] or "-"),
            escape(",".join(f"{k}={v}" for k, v in sorted(r["labels"].items())) or "-"),
            _facets(r),
            escape(r["version"] or "-"),
            escape(f"#{last['run']} {last['action']} {last['status']}" if last else "-"),
        )
    out.print(table)
    out.print(f"{len(rows)} product(s)")
