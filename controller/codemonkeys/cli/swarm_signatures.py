"""`cmctl swarm signatures`: the top failure causes across the fleet (one row per cause, with the products
and where in each it happened) and what fixed them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from codemonkeys.cli.common import FleetOpt, JsonOpt, OutputOpt, emit, out, output_format, session
from codemonkeys.cli.swarm import swarm_app


def fixed_by(row: dict[str, Any]) -> str:
    """What fixed a signature, in a few words: its templates (with their record) and merged heals."""
    parts = [
        f"template {t['id'][:12]} ({t['origin']}, {t['successes']}✓ {t['failures']}✗)"
        for t in row["fixed_by"]["templates"]
    ]
    parts += [
        f"heal {h['strategy']} in {h['product']} @ {(h['heal_commit'] or h['commit'])[:12]}"
        for h in row["fixed_by"]["heals"]
    ]
    return "; ".join(parts) or "-"


def products_and_locations(row: dict[str, Any]) -> str:
    """``product (location | location), ...``: where the cause was seen in each product."""
    return ", ".join(
        f"{name} ({' | '.join(where)})" if any(where) else name
        for name, where in ((p, [w for w in row["locations"].get(p, []) if w]) for p in row["products"])
    )


def fixed_in(row: dict[str, Any]) -> str:
    """``fixed in M of N products: p (how), ...``."""
    fixed = row["fixed_in"]
    how = ", ".join(f"{name} ({what})" for name, what in sorted(fixed.items()))
    return f"fixed in {len(fixed)} of {len(row['products'])} product(s)" + (f": {how}" if how else "")


@swarm_app.command("signatures")
def swarm_signatures(
    fleet: FleetOpt = Path("."),
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many signatures.")] = 20,
    as_json: JsonOpt = False,
    output: OutputOpt = None,
) -> None:
    """Top failure causes across the fleet: builds, products and where, first / last seen, fixed by what."""
    fmt = output_format(output, as_json)
    rows = session(fleet).signatures(limit)
    if emit(rows, fmt, [r["fingerprint"] for r in rows]):
        return
    if not rows:
        out.print("no failure signatures yet: they are recorded when a build fails")
        return
    for r in rows:
        seen = f"first seen {r['first_seen'].replace('T', ' ')}, last seen {r['last_seen'].replace('T', ' ')}"
        out.print(f"[bold]{r['builds']} build(s)[/] {r['kind']} [dim]{r['fingerprint']}[/]", highlight=False)
        out.print(f"  {escape(r['cause'])}", highlight=False, soft_wrap=True)
        if r["summary"] != r["cause"]:
            out.print(f"  [dim]e.g. {escape(r['summary'])}[/]", highlight=False, soft_wrap=True)
        out.print(f"  in {escape(products_and_locations(r))}; {seen}", highlight=False, soft_wrap=True)
        out.print(f"  {escape(fixed_in(r))}", highlight=False, soft_wrap=True)
        out.print(f"  fixed by: {escape(fixed_by(r))}", highlight=False, soft_wrap=True)
