"""`cmctl swarm conflicts`: dependency resolver conflicts (pip, npm, cargo) the fleet's builds ran into."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from codemonkeys.cli.common import FleetOpt, JsonOpt, OutputOpt, api_errors, emit, out, output_format, session
from codemonkeys.cli.swarm import swarm_app


@swarm_app.command("conflicts")
def swarm_conflicts(
    product: Annotated[str | None, typer.Argument(help="Only this product.")] = None,
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
    output: OutputOpt = None,
) -> None:
    """Dependency conflicts seen in build logs, oldest first: the resolver, the package it could not
    select, and the versions involved."""
    fmt = output_format(output, as_json)
    with api_errors():
        rows = session(fleet).conflicts(product)
    if emit(rows, fmt, [r["package"] for r in rows]):
        return
    if not rows:
        out.print("no dependency conflicts seen in build logs")
        return
    for r in rows:
        where = f"{r['product']} @ {r['commit'][:12]}"
        out.print(f"{where} [red]{r['tool']}[/]: {escape(r['package'])} cannot be resolved")
        for line in r["involved"]:
            out.print(f"    {escape(line)}", highlight=False)
