"""`cmctl graph`: the plan's DAG as a picture (like ``terraform graph``), as DOT, SVG or Mermaid.

Thin: plan through the library (``FleetSession.plan``), render with the pure ``codemonkeys.plangraph``;
SVG is DOT rendered by Graphviz's ``dot -Tsvg`` (an argument list, the DOT text on stdin). Without
Graphviz, ``--format svg`` exits 1 naming the package to install; ``--format dot`` and ``mermaid`` need
nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from codemonkeys.cli.common import FleetOpt, ProductOpt, err, fail, plan_with_progress, session
from codemonkeys.plangraph import plan_to_dot, plan_to_mermaid

__all__ = ["GraphFormat", "graph_cmd", "render_svg"]

GRAPHVIZ_HINT = "Graphviz's `dot` is not on PATH: install it with `apt-get install graphviz` (Debian/Ubuntu)"
DOT_TIMEOUT = 120.0


class GraphFormat(StrEnum):
    """What `cmctl graph` writes."""

    DOT = "dot"
    SVG = "svg"
    MERMAID = "mermaid"


def render_svg(dot_text: str, dot_program: str) -> str:
    """SVG from DOT through ``dot -Tsvg``; ``typer.Exit(1)`` with Graphviz's message when it fails."""
    try:
        done = subprocess.run(
            [dot_program, "-Tsvg"],
            input=dot_text,
            capture_output=True,
            text=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise fail(f"cannot run {dot_program}: {exc}") from None
    if done.returncode != 0:
        raise fail(f"dot -Tsvg failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout


def graph_cmd(
    fleet: FleetOpt = Path("."),
    product: ProductOpt = None,
    fmt: Annotated[
        GraphFormat,
        typer.Option("--format", "-F", help="dot (Graphviz source), svg (needs Graphviz), or mermaid."),
    ] = GraphFormat.DOT,
    output: Annotated[Path | None, typer.Option("--out", help="Write to FILE instead of stdout.")] = None,
    old_output: Annotated[
        Path | None, typer.Option("-o", hidden=True, help="Deprecated spelling of --out FILE.")
    ] = None,
) -> None:
    """Draw the plan's DAG: products as clusters, actions by wave, verdicts as colours (allow green, hold
    amber, deny red), dependencies as edges."""
    if old_output is not None:  # `-o FILE`, as before: one more release, then -o is the output format
        err.print(f"[yellow]warning:[/] -o FILE is deprecated: use --out {escape(str(old_output))}")
        output = output or old_output
    dot_program = None
    if fmt is GraphFormat.SVG:
        dot_program = shutil.which("dot")
        if dot_program is None:  # before observing anything
            raise fail(GRAPHVIZ_HINT)
    result = plan_with_progress(session(fleet), product)
    if fmt is GraphFormat.MERMAID:
        text = plan_to_mermaid(result)
    else:
        text = plan_to_dot(result)
        if dot_program is not None:
            text = render_svg(text, dot_program)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text)
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc}") from None
    err.print(f"wrote {output} ({fmt}): {len(result.actions)} actions in {len(result.products)} products")
