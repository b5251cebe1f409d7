"""`cmctl swarm`: what the fleet learned: fix templates (from human fixes and merged heals) and heals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from codemonkeys.cli.common import FleetOpt, JsonOpt, OutputOpt, api_errors, emit, out, output_format, session

swarm_app = typer.Typer(
    help="Fleet learning: fix templates, heal attempts, dependency conflicts.", no_args_is_help=True
)


@swarm_app.command("templates")
def swarm_templates(
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
    why: Annotated[
        str | None,
        typer.Option("--why", metavar="PRODUCT", help="What the product's recent fixes taught, and why not."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Fix templates the fleet learned, best record first: what each fixes, where it came from, its record.
    With --why PRODUCT: the product's recent fixes of red builds, what each taught or why nothing."""
    fmt = output_format(output, as_json)
    if why is not None:
        _templates_why(fleet, why, fmt)
        return
    rows = session(fleet).templates()
    if emit(rows, fmt, [r["id"] for r in rows]):
        return
    if not rows:
        out.print("no fix templates yet: they are learned when a person fixes a red build, or a heal merges")
        return
    table = Table("id", "fixes", "change", "origin", "record", box=None)
    for r in rows:
        origin = f"{r['origin']['kind']} fix in {r['origin']['product']} @ {r['origin']['commit'][:12]}"
        table.add_row(
            r["id"],
            escape(r["pattern"][:70]),
            escape(r["description"]),
            escape(origin),
            f"[green]{r['successes']}✓[/] [red]{r['failures']}✗[/]",
        )
    out.print(table)


def _templates_why(fleet: Path, product: str, fmt: str) -> None:
    with api_errors():
        rows = session(fleet).templates_why(product)
    if emit(rows, fmt, [r["commit"] for r in rows]):
        return
    if not rows:
        out.print(f"no fix of a red build of {product} on record")
    for r in rows:
        head = f"{r['at'][:19]} {r['commit'][:12]}" + (f" (fixes {r['red'][:12]})" if r["red"] else "")
        if r["learned"]:
            out.print(f"{head} [green]learned[/] {r['learned']}: {escape(r['description'])}")
            continue
        out.print(f"{head} [yellow]nothing learned[/]")
        for reason in r["reasons"]:
            what = f"{escape(reason['summary'][:90])}: " if reason["summary"] else ""
            out.print(f"  {what}{escape(reason['reason'])}")


@swarm_app.command("heals")
def swarm_heals(
    product: Annotated[str, typer.Argument(help="The product.")],
    fleet: FleetOpt = Path("."),
    patches: Annotated[bool, typer.Option("--patches", help="Show each attempt's patch.")] = False,
    as_json: JsonOpt = False,
    output: OutputOpt = None,
) -> None:
    """Heal attempts of a product, oldest first: candidate, branch, result, and why an attempt failed."""
    fmt = output_format(output, as_json)
    with api_errors():
        rows = session(fleet).heal_attempts(product)
    if emit(rows, fmt, [r["branch"] for r in rows]):
        return
    if not rows:
        out.print(f"no heal attempts for {product}")
    for r in rows:
        what = r["strategy"] + (f" {r['template']}" if r["template"] else "")
        colour = {"green": "green", "merged": "green", "red": "red", "invalid": "red"}.get(
            r["status"], "yellow"
        )
        out.print(
            f"{r['commit'][:12]} #{r['attempt']} {what:<22} [{colour}]{r['status']:<8}[/] "
            f"{r['branch']} {r['lines']} line(s) {escape(r['reason'])}"
        )
        if patches and r["patch"]:
            out.print(escape(r["patch"]), highlight=False)


@swarm_app.command("flaky")
def swarm_flaky(
    product: Annotated[str | None, typer.Argument(help="Only this product.")] = None,
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
    output: OutputOpt = None,
) -> None:
    """Failures that passed on a re-run of the same commit (build.confirmRed), most frequent first."""
    fmt = output_format(output, as_json)
    with api_errors():
        rows = session(fleet).flaky(product)
    if emit(rows, fmt, sorted({r["product"] for r in rows})):
        return
    if not rows:
        out.print("no flaky failures on record")
        return
    table = Table("product", "flaked", "failure", "last seen", box=None)
    for r in rows:
        table.add_row(
            r["product"], str(r["flaked"]), escape(f"{r['kind']}: {r['summary']}"[:90]), r["last_seen"]
        )
    out.print(table)
