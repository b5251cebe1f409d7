"""`cmctl swarm slowdowns` and `cmctl swarm predict`: what the fleet's recorded durations say (registered
on the ``swarm`` group)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from codemonkeys.cli.common import (
    FleetOpt,
    JsonOpt,
    OutputOpt,
    api_errors,
    complete_product,
    emit,
    out,
    output_format,
    session,
)
from codemonkeys.cli.render import seconds_text
from codemonkeys.cli.swarm import swarm_app


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


@swarm_app.command("slowdowns")
def swarm_slowdowns(fleet: FleetOpt = Path("."), as_json: JsonOpt = False, output: OutputOpt = None) -> None:
    """Products whose builds are getting slower: a significant trend over their last runs (adjusted for
    change size and hour of day), not noise; biggest growth first."""
    fmt = output_format(output, as_json)
    rows = session(fleet).slowdowns()
    if emit(rows, fmt, [r["product"] for r in rows]):
        return
    if not rows:
        out.print("no product is getting slower (a trend needs at least 8 recorded runs of a kind)")
        return
    table = Table("product", "kind", "runs", "from", "to", "growth", "per run", "p", box=None)
    for r in rows:
        table.add_row(
            r["product"],
            r["kind"],
            str(r["runs"]),
            seconds_text(r["from_s"]),
            seconds_text(r["to_s"]),
            f"[red]+{r['growth'] * 100:.0f}%[/]",
            f"+{r['per_run'] * 100:.1f}%",
            f"{r['p']:.1g}",
        )
    out.print(table)


@swarm_app.command("predict")
def swarm_predict(
    product: Annotated[str, typer.Argument(help="The product.", autocompletion=complete_product)],
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
    output: OutputOpt = None,
) -> None:
    """Predicted duration of a product's next run of each action kind, and the error so far against
    Jenkins' estimate (the mean of the last three successful runs) on the same recorded runs."""
    fmt = output_format(output, as_json)
    with api_errors():
        rows = session(fleet).predictions(product)
    if emit(rows, fmt, [r["kind"] for r in rows]):
        return
    if not rows:
        out.print(f"no recorded runs of {product} yet: durations are recorded as actions finish")
        return
    table = Table("kind", "next", "runs", "error so far", "jenkins' error", "backtested", box=None)
    for r in rows:
        table.add_row(
            r["kind"],
            "?" if r["predicted_s"] is None else f"~{seconds_text(r['predicted_s'])}",
            str(r["runs"]),
            _pct(r["mdape"]),
            _pct(r["jenkins_mdape"]),
            str(r["backtested"]),
        )
    out.print(table)
    out.print("[dim]error: median absolute percentage error, each run predicted from the runs before it[/]")
