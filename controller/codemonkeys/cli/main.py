"""`cmctl`: the command line. Thin: parse arguments, call the library, render the result.

Exit codes follow Terraform: 0 success / no changes, 1 error, 2 changes present (``--detailed-exitcode``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from codemonkeys.diagnostics import Diagnostic
from codemonkeys.kinds import load_fleet
from codemonkeys.kinds.schema import export_schemas

app = typer.Typer(
    name="cmctl",
    help="Code Monkeys: reconcile a fleet of software products to the state its fleet repo declares.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
schema_app = typer.Typer(help="JSON Schemas of the fleet-repo kinds.", no_args_is_help=True)
demo_app = typer.Typer(
    help="A self-contained demo workspace: init, then plan + apply until every product is in sync.",
    invoke_without_command=True,
)
app.add_typer(schema_app, name="schema")
app.add_typer(demo_app, name="demo")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

FleetOpt = Annotated[
    Path,
    typer.Option("--fleet", "-f", envvar="CMCTL_FLEET", help="Fleet repo directory.", show_default="current dir"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def print_diagnostics(diags: list[Diagnostic]) -> None:
    for d in diags:
        err.print(f"[bold]{d.file}:{d.line}:{d.col}:[/] [red]{d.severity}:[/] {d.message}", soft_wrap=True)


@app.command()
def validate(fleet: FleetOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Check the fleet repo: every problem as FILE:LINE:COL, exit 1 if there is any."""
    state, diags = load_fleet(fleet)
    if as_json:
        doc = {"valid": state is not None, "diagnostics": [d.to_json() for d in diags]}
        if state is not None:
            doc.update(products=len(state.entries), revision=state.revision)
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif state is None:
        print_diagnostics(diags)
        err.print(f"[red]{len(diags)} problem{'s' if len(diags) != 1 else ''}[/] in {fleet}")
    else:
        companies = len(state.fleet.spec.companies)
        out.print(
            f"[green]valid[/]: fleet {state.fleet.metadata.name!r}, {len(state.entries)} products, "
            f"{companies} companies, {len(state.constitution.spec.rules)} constitution rules "
            f"(revision {state.revision[:12]})"
        )
    raise typer.Exit(0 if state is not None else 1)


@schema_app.command("export")
def schema_export(
    directory: Annotated[Path, typer.Argument(help="Where to write the schemas.")] = Path("schemas"),
) -> None:
    """Write one JSON Schema (draft 2020-12) per kind."""
    for path in export_schemas(directory):
        out.print(f"wrote {path}")


@demo_app.callback()
def demo(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Option("--dir", help="Workspace directory.")] = Path("codemonkeys-demo"),
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty workspace.")] = False,
) -> None:
    """Create a demo workspace, then validate it (plan + apply arrive with the engine)."""
    if ctx.invoked_subcommand is not None:
        return
    ws = _demo_init(directory, force)
    state, diags = load_fleet(ws.fleet)
    if state is None:
        print_diagnostics(diags)
        raise typer.Exit(1)
    out.print(f"[green]valid[/]: {len(state.entries)} products in {ws.fleet}")


@demo_app.command("init")
def demo_init(
    directory: Annotated[Path, typer.Argument(help="Workspace directory (must be empty).")],
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty directory.")] = False,
) -> None:
    """Materialize DIR/fleet (the example fleet repo), DIR/repos/* (product repos), DIR/registry."""
    ws = _demo_init(directory, force)
    out.print(f"next: cmctl validate --fleet {ws.fleet}")


def _demo_init(directory: Path, force: bool):
    from codemonkeys.demo import DemoError, init_workspace

    try:
        with err.status(f"creating demo workspace in {directory} ..."):
            ws = init_workspace(directory, force=force)
    except DemoError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    repos = sorted(p.name for p in ws.repos.iterdir())
    out.print(f"demo workspace ready in {ws.root}")
    out.print(f"  fleet repo:    {ws.fleet}")
    out.print(f"  product repos: {ws.repos} ({', '.join(repos)})")
    out.print(f"  registry:      {ws.registry}")
    return ws


def main() -> None:  # pragma: no cover - console entry
    app()
