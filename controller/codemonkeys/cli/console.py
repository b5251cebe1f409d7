"""The CLI's consoles, its error exit and the ``--fleet`` / ``--json`` options, without the library.

``cli.common`` re-exports all of these; commands that must start fast (``cmctl oracle search``, dispatched
by ``cli.launch`` before the rest of the CLI is imported) take them from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

FleetOpt = Annotated[
    Path,
    typer.Option(
        "--fleet", "-f", envvar="CMCTL_FLEET", help="Fleet repo directory.", show_default="current dir"
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr; the caller raises the returned exit (code 1)."""
    err.print(f"[red]error:[/] {escape(message)}")
    return typer.Exit(1)
