"""What every `cmctl` command shares: consoles, common options, the fleet session, error handling,
planning with a progress bar, and applying with progress lines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from codemonkeys.api import ApiError, Context, FleetBusy, FleetSession, StalePlan
from codemonkeys.cli.console import (  # noqa: F401  (re-exported)
    FORMATS,
    FleetOpt,
    JsonOpt,
    OutputOpt,
    emit,
    err,
    fail,
    fleet_dir,
    out,
    output_format,
)
from codemonkeys.vocab.diagnostics import Diagnostic
from codemonkeys.vocab.plan import Plan

UnsandboxedOpt = Annotated[
    bool,
    typer.Option(
        "--unsandboxed",
        help="Run product code (builds, docs, packaging, fleet exec) without bubblewrap, with the "
        "controller's environment, as before the sandbox (else it is refused where bubblewrap cannot run). "
        "Also CMCTL_UNSANDBOXED=1.",
    ),
]
ProductOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--product",
        "-p",
        help="Only this product (and what it depends on). Repeatable.",
        autocompletion=lambda ctx, incomplete: complete_product(ctx, incomplete),
    ),
]


def _fleet_for_completion(ctx: typer.Context) -> FleetSession | None:
    context = Context.from_environ()
    fleet = ctx.params.get("fleet") or context.env.get("CMCTL_FLEET") or "."
    try:
        opened, _ = FleetSession.load(Path(fleet), context)
    except Exception:  # completion must never fail loudly
        return None
    return opened


def _completion_index(ctx: typer.Context) -> dict[str, list[str]]:
    """The fleet's completion index, written now (the fast completion answers from it next time)."""
    from codemonkeys.cli.complete import read_index
    from codemonkeys.cli.complete_tree import write_index

    fs = _fleet_for_completion(ctx)
    if fs is None:
        return {}
    write_index(fs)
    return read_index(fs.desired.root) or {}


def complete_product(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion: the fleet's product names."""
    return [p for p in _completion_index(ctx).get("products", []) if p.startswith(incomplete)]


def complete_action(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion: action ids in the journal, and PRODUCT/ for every product."""
    index = _completion_index(ctx)
    ids = set(index.get("actions", [])) | {f"{p}/" for p in index.get("products", [])}
    return sorted(i for i in ids if i.startswith(incomplete))


def complete_held(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion: the actions the last plans held (what approve and reject take)."""
    return [a for a in _completion_index(ctx).get("held", []) if a.startswith(incomplete)]


@contextmanager
def api_errors() -> Iterator[None]:
    """Expected library failures become ``error: ...`` and exit 1."""
    try:
        yield
    except (ApiError, FleetBusy, StalePlan) as exc:
        raise fail(str(exc)) from None


def print_diagnostics(diags: list[Diagnostic]) -> None:
    """Every diagnostic as FILE:LINE:COL: severity: message."""
    for d in diags:
        err.print(f"[bold]{escape(d.file)}:{d.line}:{d.col}:[/] [red]{d.severity}:[/] {escape(d.message)}")


def context_for(unsandboxed: bool = False) -> Context:
    """This process's context; ``unsandboxed``: product code runs without bubblewrap (``--unsandboxed``)."""
    context = Context.from_environ()
    return context.without_sandbox() if unsandboxed else context


def session(fleet: Path, unsandboxed: bool = False) -> FleetSession:
    """The fleet session, or the diagnostics and exit 1 when the fleet is invalid (nothing touched);
    ``unsandboxed``: product code runs without bubblewrap (``--unsandboxed``)."""
    fleet_dir(fleet)
    with api_errors():
        opened, diags = FleetSession.load(fleet, context_for(unsandboxed))
    if opened is None:
        print_diagnostics(diags)
        err.print(f"[red]fleet {escape(str(fleet))} is invalid[/]: nothing was observed or changed")
        raise typer.Exit(1)
    return opened


def plan_with_progress(
    fs: FleetSession, products: list[str] | None, quiet: bool = False, parallelism: int | None = None
) -> Plan:
    """Plan with a progress bar on stderr while products are observed (with predicted durations at
    ``parallelism`` if given)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    selected = set(products or fs.desired.products).union(*(fs.closure(p) for p in products or ()))
    columns = (TextColumn("observing"), BarColumn(), TaskProgressColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task("", total=2 * len(selected))  # each product's git, then its other facts
        with api_errors():
            planned = fs.plan(
                products,
                progress=lambda name: bar.update(task, advance=1, description=name),
                parallelism=parallelism,
            )
    from codemonkeys.cli.complete_tree import write_index

    write_index(fs, planned)  # the names shell completion offers, as this plan left them
    return planned


def apply_and_report(fs: FleetSession, plan: Plan, parallelism: int, as_json: bool = False) -> bool:
    """Apply with progress (a live panel on a terminal, plain lines otherwise; one JSON event per line on
    stdout with ``as_json``), print the summary and the refreshed state; returns whether all went well."""
    from codemonkeys.cli.complete_tree import write_index

    try:
        return _apply_and_report(fs, plan, parallelism, as_json)
    finally:
        write_index(fs)  # the journal's new action ids, for shell completion (never raises)


def _apply_and_report(fs: FleetSession, plan: Plan, parallelism: int, as_json: bool) -> bool:
    from codemonkeys.cli.progress import ApplyProgress, JsonEvents

    if as_json:
        events = JsonEvents()
        events.planned(plan)
        with api_errors():
            applied = fs.apply(plan, parallelism=parallelism, on_event=events)
        report = applied.report
        after = applied.after.summary() if applied.after is not None else None
        events.summary(report.run_id, report.ok, report.counts(), after)
        return report.ok
    with ApplyProgress(err) as progress, api_errors():
        applied = fs.apply(plan, parallelism=parallelism, on_event=progress)
    report = applied.report
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.counts().items()))
    if report.interrupted_runs:
        err.print(f"[yellow]note:[/] marked earlier run(s) {report.interrupted_runs} as interrupted")
    verdict = "complete" if report.ok else "failed"
    out.print(f"[bold]Apply {verdict}[/] (run {report.run_id}): {counts or 'nothing to do'}")
    if applied.after is not None:
        n = len(applied.after.products)
        out.print(f"now, of the {n} product{'s' if n != 1 else ''} applied to: {applied.after.summary()}")
    return report.ok
