"""`cmctl fleet`: the fleet as a table of products (company, labels, facets, versions, last run), narrowed
by selectors (``codemonkeys.vocab.selectors``); cross-repo changes; the ripple of a release (``fleet
ripple``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from codemonkeys.api import SelectorError
from codemonkeys.cli.common import (
    FleetOpt,
    JsonOpt,
    OutputOpt,
    api_errors,
    complete_product,
    emit,
    fail,
    out,
    output_format,
    session,
)
from codemonkeys.cli.render import running_text, seconds_text, time_text

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
def fleet_ls(
    select: SelectOpt = None, fleet: FleetOpt = Path("."), as_json: JsonOpt = False, output: OutputOpt = None
) -> None:
    """Products with company, labels, facets (as last observed), versions and their last run (``-o
    wide``: also language, dependencies, when observed, what runs now and the failure that stands)."""
    fmt = output_format(output, as_json)
    fs = session(fleet)
    try:
        rows = fs.fleet(select)
    except SelectorError as exc:
        raise fail(str(exc)) from None
    if emit(rows, fmt, [r["name"] for r in rows]):
        return
    if not rows:
        out.print("no product matches")
        return
    wide = fmt == "wide"
    columns = ["product", "company", "labels", "facets", "version", "last run"]
    table = Table(*columns, *(WIDE_LS if wide else ()), box=None)
    for r in rows:
        last = r["last_run"]
        cells = [
            escape(r["name"]),
            escape(r["company"] or "-"),
            escape(",".join(f"{k}={v}" for k, v in sorted(r["labels"].items())) or "-"),
            _facets(r),
            escape(r["version"] or "-"),
            escape(f"#{last['run']} {last['action']} {last['status']}" if last else "-"),
        ]
        table.add_row(*cells, *(_wide_ls(r) if wide else ()))
    out.print(table)
    out.print(f"{len(rows)} product(s)")


WIDE_LS = ("language", "depends on", "observed", "running", "last failure")  # `fleet ls -o wide` adds


def _wide_ls(r: dict) -> list[str]:
    """The cells ``fleet ls -o wide`` adds to a product's row (``WIDE_LS``)."""
    fail_ = r["last_failure"]
    return [
        escape(r["language"] or "-"),
        escape(", ".join(r["depends_on"]) or "-"),
        escape(time_text(r["observed_at"])),
        escape(running_text(r.get("running"))),
        escape(f"{fail_['action']} (run {fail_['run']}): {fail_['message']}" if fail_ else "-"),
    ]


# --- cross-repo changes: fleet patch, fleet exec, fleet changes ------------------------------------

STATE_COLOURS = {
    "merged": "green",
    "green": "green",
    "red": "red",
    "conflict": "red",
    "denied": "red",
    "held": "yellow",
    "dropped": "dim",
}
MessageOpt = Annotated[
    str | None,
    typer.Option("--message", "-m", help="The change's commit subject (default: says what it does)."),
]


def _propose(select: list[str] | None, how, message: str | None, fleet: Path, as_json: bool) -> None:
    """Propose ``how`` to the selected products and print one line per product."""
    from codemonkeys.api import ApiError

    if not select:
        raise fail("--select is required (--select '*' selects every product)")
    fs = session(fleet)
    try:
        result = fs.propose_change(select, how, message or "")
    except (SelectorError, ApiError) as exc:
        raise fail(str(exc)) from None
    rows = [
        {k: v for k, v in vars(o).items() if k != "diff"} | {"change": result.change} for o in result.outcomes
    ]
    if as_json:
        sys.stdout.write(json.dumps({"change": result.change, "products": rows}, indent=2) + "\n")
    else:
        for o in result.outcomes:
            if o.status == "proposed":
                what = f"{len(o.files)} file(s), {o.lines} line(s) -> {o.branch}"
                out.print(f"[green]proposed[/]  {escape(o.product)}: {escape(what)}")
            elif o.status == "unchanged":
                out.print(f"[dim]unchanged[/] {escape(o.product)}")
            else:
                out.print(f"[red]failed[/]    {escape(o.product)}: {escape(o.reason)}")
        n = len(result.proposed)
        out.print(
            f"change {result.change}: {n} proposal(s); `cmctl plan` shows them, `cmctl apply` proves and "
            "merges what the constitution allows, `cmctl fleet changes` follows them"
        )
    if any(o.status == "failed" for o in result.outcomes):
        raise typer.Exit(1)


@fleet_app.command("patch")
def fleet_patch(
    patchfile: Annotated[
        Path | None,
        typer.Argument(help="A unified diff (paths relative to each product's directory); - reads stdin."),
    ] = None,
    select: SelectOpt = None,
    replace: Annotated[
        tuple[str, str] | None,
        typer.Option("--replace", metavar="OLD NEW", help="Replace OLD by NEW in the products' text files."),
    ] = None,
    glob: Annotated[
        list[str] | None,
        typer.Option("--glob", help="With --replace: only files matching this glob (repeatable)."),
    ] = None,
    message: MessageOpt = None,
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Propose one patch to every selected product: one change proposal per product it changes.

    Nothing is committed here: `cmctl apply` commits each proposal on change/<id>/<product>, builds it
    with the product's CI and merges it when green, as the constitution allows. A product whose patch
    does not apply is reported (exit 1) and the others still get their proposal.
    """
    from codemonkeys.api.tools import Patch, Replace

    if (patchfile is None) == (replace is None):
        raise fail("give a PATCHFILE or --replace OLD NEW (one of them)")
    if glob and replace is None:
        raise fail("--glob goes with --replace")
    if replace is not None:
        if not replace[0]:
            raise fail("--replace: OLD is empty")
        how = Replace(replace[0], replace[1], tuple(glob or ()))
    else:
        assert patchfile is not None
        try:
            text = sys.stdin.read() if str(patchfile) == "-" else patchfile.read_text()
        except OSError as exc:
            raise fail(f"cannot read {patchfile}: {exc.strerror}") from None
        if not text.strip():
            raise fail(f"{patchfile} is empty")
        how = Patch(text)
    _propose(select, how, message, fleet, as_json)


@fleet_app.command(
    "exec", context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True}
)
def fleet_exec(
    command: Annotated[list[str], typer.Argument(help="The command and its arguments, after --.")],
    select: SelectOpt = None,
    message: MessageOpt = None,
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Run a command in a clean worktree of every selected product; the diff it leaves is proposed.

    The command is an argument list (no shell): `cmctl fleet exec --select dependsOn=core-lib --
    sed -i s/core-lib==1/core-lib==2/ requirements.txt`. A product where it fails is reported (exit 1).
    """
    from codemonkeys.api.tools import Exec

    if not command:
        raise fail("give the command after --")
    _propose(select, Exec(tuple(command)), message, fleet, as_json)


@fleet_app.command("changes")
def fleet_changes(
    select: SelectOpt = None, fleet: FleetOpt = Path("."), as_json: JsonOpt = False, output: OutputOpt = None
) -> None:
    """Change proposals and their state per product: proposed, building, green, red, conflict, merged,
    dropped, denied or held (denied and held as of the last apply, with the rule); ``-o wide`` adds the
    kind, the change branch, its commit and the base it was made on."""
    fmt = output_format(output, as_json)
    fs = session(fleet)
    try:
        rows = fs.changes(select)
    except SelectorError as exc:
        raise fail(str(exc)) from None
    if emit(rows, fmt, sorted({f"{r['change']}/{r['product']}" for r in rows})):
        return
    if not rows:
        out.print("no change proposals")
        return
    wide = fmt == "wide"
    columns = ["change", "product", "state", "files", "lines", "selector", "by", "when", "why"]
    table = Table(*columns, *(("kind", "branch", "commit", "base") if wide else ()), box=None)
    for r in rows:
        colour = STATE_COLOURS.get(r["state"], "cyan")
        cells = [
            escape(r["change"]),
            escape(r["product"]),
            f"[{colour}]{escape(r['state'])}[/]",
            escape(", ".join(r["files"])),
            str(r["lines"]),
            escape(r["selector"]),
            escape(r["author"]),
            escape(r["created_at"]),
            escape(f"{r['rule']}: {r['blocked']}" if r["rule"] else r["reason"]),
        ]
        extra = [
            escape(r["kind"]),
            escape(r["branch"] or "-"),
            (r["commit"] or "-")[:12],
            (r["base"] or "-")[:12],
        ]
        table.add_row(*cells, *(extra if wide else ()))
    out.print(table)


@fleet_app.command("drop")
def fleet_drop(
    change: Annotated[str, typer.Argument(help="The change id (`cmctl fleet changes`).")],
    select: SelectOpt = None,
    fleet: FleetOpt = Path("."),
) -> None:
    """Withdraw a change's open proposals (of the selected products; all by default): their change
    branches are deleted at the source and they are never merged."""
    from codemonkeys.api import ApiError

    fs = session(fleet)
    try:
        dropped = fs.drop_change(change, select)
    except (SelectorError, ApiError) as exc:
        raise fail(str(exc)) from None
    out.print(f"change {escape(change)} dropped for {escape(', '.join(dropped))}")


# --- the ripple of a release: fleet ripple --------------------------------------------------------------


@fleet_app.command("ripple")
def fleet_ripple(
    product: Annotated[
        str,
        typer.Argument(
            metavar="PRODUCT", help="The product whose release ripples.", autocompletion=complete_product
        ),
    ],
    version: Annotated[
        str | None,
        typer.Argument(
            metavar="VERSION",
            help="The version it releases; default: its next version (git), else its newest published one.",
            show_default=False,
        ),
    ] = None,
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
    output: OutputOpt = None,
) -> None:
    """What a release of PRODUCT at VERSION sets off in the fleet, wave by wave: every product whose
    manifests' ranges exclude it, the range each takes (and how far: patch, minor, major), whether its
    spec.dependencies.update.policy lets it follow by itself or why not, and the patch it then releases,
    which may ripple further (-o wide: each step's predicted duration from the recorded history).

    Nothing is changed: it observes the products' git and the registries they publish to. Products the
    release does not reach are not listed. A blocked product's policy does not cover the update (or it is
    suspended): a person takes it, or the ripple stops there.

    Example: cmctl fleet ripple acme-text 1.0.0 -o wide
    """
    fmt = output_format(output, as_json)
    fs = session(fleet)
    with api_errors():
        result = fs.ripple(product, version)
    if emit(result.document(), fmt, [s.product for s in result.steps]):
        return
    _render_ripple(result, fmt == "wide")


def _takes(step) -> str:
    """A step's updates, one line each: ``pkg FROM -> TO (level)``, with the manifests when several."""
    lines = []
    for u in step.updates:
        moves = dict.fromkeys((m.old or "*", m.new) for m in u.manifests)
        where = ", ".join(m.manifest for m in u.manifests) if len(u.manifests) > 1 else ""
        edits = "; ".join(f"{old} -> {new}" for old, new in moves)
        lines.append(f"{u.package} {edits} ({u.level}{', ' + where if where else ''})")
    return "\n".join(lines)


def _render_ripple(result, wide: bool) -> None:
    """The ripple as a table by wave and a summary line."""
    packages = ", ".join(result.packages)
    out.print(
        f"[bold]{escape(result.root)} {escape(result.version)}[/] ({escape(result.version_from)}; "
        f"{escape(packages)})"
    )
    for name, why in sorted(result.unread.items()):
        out.print(f"[yellow]not read:[/] {escape(name)}: {escape(why)} (the ripple may miss it)")
    if not result.steps:
        out.print(
            f"no product's manifests exclude {escape(packages)} {escape(result.version)}: nothing ripples"
        )
        return
    columns = ["wave", "product", "takes", "then", "releases"]
    table = Table(*columns, *(("policy", "predicted", "ends") if wide else ()), box=None)
    for s in result.steps:
        then = "[green]follows[/]" if s.follows else f"[yellow]blocked[/]: {escape(s.blocked)}"
        cells = [str(s.wave), escape(s.product), escape(_takes(s)), then, escape(s.releases or "-")]
        extra = [
            escape(s.policy),
            escape(_predicted(s)),
            escape("-" if s.ends_s is None else f"+{seconds_text(s.ends_s)}"),
        ]
        table.add_row(*cells, *(extra if wide else ()))
    out.print(table)
    bumped, waves = result.bumped, result.waves
    summary = (
        f"{bumped} product{'s' if bumped != 1 else ''} bumped in {waves} wave{'s' if waves != 1 else ''}, "
        f"{result.blocked} blocked"
    )
    if result.predicted_s is not None:
        summary += f"; predicted {seconds_text(result.predicted_s)} along the longest path"
    elif bumped:
        summary += f"; {result.unpredicted} step(s) without a predicted duration"
    out.print(summary)


def _predicted(step) -> str:
    """``~1m05s (change.propose 40s + ...)``, ``-`` for a blocked step, ``~?`` without history."""
    if not step.follows:
        return "-"
    if step.predicted_s is None:
        return "~?"
    parts = " + ".join(f"{k} {seconds_text(v)}" for k, v in step.predicted.items())
    return f"~{seconds_text(step.predicted_s)} ({parts})"
