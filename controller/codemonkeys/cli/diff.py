"""`cmctl diff BASE [HEAD]`: plan before merge (Atlantis style). Thin: parse, call
``codemonkeys.plandiff``, render.

Exit codes follow ``cmctl plan``: 0 success, 1 error (a revision that does not load, an unknown
revision), and with ``--detailed-exitcode`` 0 no difference, 2 differences.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from codemonkeys.api import Context
from codemonkeys.cli.common import FleetOpt, err, print_diagnostics
from codemonkeys.plandiff import DiffFormat, Loaded, diff_revisions, render


def _report_failure(failed: Loaded) -> None:
    """Which side does not load, and why (every diagnostic as FILE:LINE:COL)."""
    if failed.error:
        err.print(f"[red]error:[/] {failed.side} {escape(failed.label)}: {escape(failed.error)}")
        return
    n = len(failed.diagnostics)
    err.print(
        f"[red]error:[/] {failed.side} {escape(failed.label)} does not load: "
        f"{n} problem{'s' if n != 1 else ''}"
    )
    print_diagnostics(failed.diagnostics)


def diff_cmd(
    base: Annotated[
        str, typer.Argument(metavar="BASE", help="Base revision of the fleet repo (branch, tag or commit).")
    ],
    head: Annotated[
        str | None,
        typer.Argument(
            metavar="HEAD", help="Head revision; default: the working tree as it is.", show_default=False
        ),
    ] = None,
    fleet: FleetOpt = Path("."),
    fmt: Annotated[
        DiffFormat,
        typer.Option("--format", help="text for humans, markdown for a pull-request comment, json for bots."),
    ] = DiffFormat.TEXT,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="Exit 0 when nothing differs, 2 when something does, 1 on error."
        ),
    ] = False,
) -> None:
    """Plan the fleet at BASE and at HEAD with one observation, and show what the change would do:
    products, constitution rules, actions and verdicts that differ. The working tree is not touched."""
    result, failed = diff_revisions(fleet, base, head, Context.from_environ())
    for side in failed:
        _report_failure(side)
    if result is None:
        raise typer.Exit(1)
    sys.stdout.write(render(result, fmt))
    raise typer.Exit(2 if detailed_exitcode and result.has_changes else 0)


__all__ = ["diff_cmd"]
