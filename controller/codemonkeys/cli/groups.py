"""`cmctl` command groups: schema, demo, audit, policy and controller. Thin, like the top-level commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from codemonkeys.api import ApiError, load_plan_file
from codemonkeys.cli.common import (
    FleetOpt,
    JsonOpt,
    OutputOpt,
    UnsandboxedOpt,
    api_errors,
    apply_and_report,
    complete_product,
    context_for,
    emit,
    err,
    fail,
    out,
    output_format,
    plan_with_progress,
    session,
)
from codemonkeys.cli.render import render_explain, render_plan

schema_app = typer.Typer(help="JSON Schemas of the fleet-repo kinds.", no_args_is_help=True)
demo_app = typer.Typer(
    help="A self-contained demo workspace: init, then plan + apply until every product is in sync.",
    invoke_without_command=True,
)
audit_app = typer.Typer(help="The hash-chained audit log.", invoke_without_command=True)
secrets_app = typer.Typer(
    help="Secrets the fleet references by name (never their values).", no_args_is_help=True
)
policy_app = typer.Typer(help="The constitution: explain decisions, run policy tests.", no_args_is_help=True)
db_app = typer.Typer(
    help="The state database's schema (Alembic migrations): current revision, upgrade.", no_args_is_help=True
)
controller_app = typer.Typer(
    help="The long-running controller: reconcile on commits, webhooks and timers.", no_args_is_help=True
)


# --- schema -----------------------------------------------------------------------------------------


@schema_app.command("export")
def schema_export(
    directory: Annotated[Path, typer.Argument(help="Where to write the schemas.")] = Path("schemas"),
) -> None:
    """Write one JSON Schema (draft 2020-12) per kind."""
    from codemonkeys.api.tools import export_schemas

    for path in export_schemas(directory):
        out.print(f"wrote {path}")


# --- demo -------------------------------------------------------------------------------------------


@demo_app.callback()
def demo(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Option("--dir", help="Workspace directory.")] = Path("codemonkeys-demo"),
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty workspace.")] = False,
) -> None:
    """Create a demo workspace, plan, apply, and plan again: every product ends in sync."""
    if ctx.invoked_subcommand is not None:
        return
    from codemonkeys.api import Context
    from codemonkeys.demo import missing_prerequisites

    missing = missing_prerequisites(Context.from_environ().tool_env())
    if missing:
        err.print("[red]error:[/] the demo's products need tools that are not installed (nothing was done):")
        for m in missing:
            err.print(f"  {escape(m.what):<28} {escape(m.install)}")
        raise typer.Exit(1)
    ws = _demo_init(directory, force)
    fs = session(ws.fleet)
    out.print("\n[bold]1. plan[/]")
    first = plan_with_progress(fs, None)
    render_plan(first, out)
    out.print("\n[bold]2. apply[/]")
    ok = apply_and_report(fs, first, parallelism=2)
    out.print("\n[bold]3. plan again[/]")
    second = plan_with_progress(fs, None)
    render_plan(second, out)
    in_sync = sum(1 for p in second.products.values() if p.in_sync)
    if not ok or second.has_changes:
        err.print(f"[red]demo did not converge[/]: {in_sync}/{len(second.products)} products in sync")
        raise typer.Exit(1)
    out.print(f"\n[bold green]{in_sync} products in sync[/] (fleet {ws.fleet})")
    for port in sorted(ws.hosts.glob("*/port")) if ws.hosts.is_dir() else []:  # the deployed web service
        out.print(f"  {port.parent.name:<14} http://127.0.0.1:{port.read_text().strip()}/healthz")
    out.print(f"try: cmctl status --fleet {ws.fleet}")


@demo_app.command("init")
def demo_init(
    directory: Annotated[Path, typer.Argument(help="Workspace directory (must be empty).")],
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty directory.")] = False,
) -> None:
    """Materialize DIR/fleet (the example fleet repo), DIR/repos/* (product repos), DIR/registry."""
    ws = _demo_init(directory, force)
    out.print(f"next: cmctl validate --fleet {ws.fleet}")


def _demo_init(directory: Path, force: bool):
    from codemonkeys.api import Context
    from codemonkeys.demo import DemoError, init_workspace

    try:
        with err.status(f"creating demo workspace in {directory} ..."):
            ws = init_workspace(directory, force=force, resources=Context.from_environ().resources)
    except DemoError as exc:
        raise fail(str(exc)) from None
    repos = sorted(p.name for p in ws.repos.iterdir())
    out.print(f"demo workspace ready in {ws.root}")
    out.print(f"  fleet repo:    {ws.fleet}")
    out.print(f"  product repos: {ws.repos} ({', '.join(repos)})")
    out.print(f"  registry:      {ws.registry}")
    return ws


# --- audit ------------------------------------------------------------------------------------------


@audit_app.callback()
def audit_cmd(
    ctx: typer.Context,
    fleet: FleetOpt = Path("."),
    product: Annotated[str | None, typer.Option("--product", "-p", help="Only this product.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Newest N records (0: all).")] = 50,
    as_json: JsonOpt = False,
    output: OutputOpt = None,
) -> None:
    """Show audit records (newest last): sequence, time, actor, event, what it is about (``-o wide``: a
    table with the product, run and action apart, the detail and the record's hash)."""
    if ctx.invoked_subcommand is not None:
        return
    fmt = output_format(output, as_json)
    fs = session(fleet)
    with api_errors():
        records = fs.audit(product=product, limit=limit or None)
    if emit(records, fmt, [str(r["seq"]) for r in records]):
        return
    if fmt == "wide":
        out.print(_audit_table(records))
    else:
        for r in records:
            target = r["action_id"] or r["product"] or (f"run {r['run_id']}" if r["run_id"] else "")
            detail = r["data"].get("message") or r["data"].get("status") or ""
            out.print(
                f"{r['seq']:>5} {r['at'][:19]} {escape(r['actor'] or '-'):<12} [bold]{r['event']:<18}[/] "
                f"{escape(target)} [dim]{escape(str(detail))}[/]"
            )
    total = fs.audit_count(product) if limit else len(records)
    if limit and total > len(records):
        err.print(f"[dim](the newest {len(records)} of {total} records; --limit 0 shows all)[/]")


def _audit_table(records: list[dict]) -> Table:
    """``audit -o wide``: one row per record: sequence, time (with its offset), actor, event, product, run,
    action, detail and the first 16 hex digits of its hash."""
    table = Table("seq", "at", "actor", "event", "product", "run", "action", "detail", "hash", box=None)
    for r in records:
        detail = r["data"].get("message") or r["data"].get("status") or ""
        table.add_row(
            str(r["seq"]),
            escape(r["at"]),
            escape(r["actor"] or "-"),
            f"[bold]{escape(r['event'])}[/]",
            escape(r["product"] or "-"),
            str(r["run_id"] or "-"),
            escape(r["action_id"] or "-"),
            f"[dim]{escape(str(detail))}[/]" if detail else "-",
            r["hash"][:16],
        )
    return table


@audit_app.command("verify")
def audit_verify(fleet: FleetOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Check the hash chain: exit 0 if intact, 1 with where it breaks."""
    check = session(fleet).verify_audit()
    if as_json:
        sys.stdout.write(json.dumps(check.__dict__) + "\n")
    elif check.ok:
        out.print(f"[green]audit chain intact[/]: {check.records} records")
    else:
        err.print(f"[red]audit chain broken at record {check.broken_at}[/]: {check.reason}")
    raise typer.Exit(0 if check.ok else 1)


# --- secrets ----------------------------------------------------------------------------------------


@secrets_app.command("ls")
def secrets_ls(fleet: FleetOpt = Path("."), as_json: JsonOpt = False, output: OutputOpt = None) -> None:
    """Secret names, where each resolves from (env, age file, secrets dir) and who uses it; exit 1 when a
    referenced secret cannot be resolved. Values are never shown."""
    fmt = output_format(output, as_json)
    with api_errors():
        rows = session(fleet).secrets()
    if not emit(rows, fmt, [r["name"] for r in rows]):
        for r in rows:
            where = r["source"] or "-"
            state = "[green]ok[/]" if r["ok"] else f"[red]{escape(r['error'] or 'missing')}[/]"
            used = ", ".join(r["used_by"]) or "unused"
            out.print(f"{r['name']:<24} {escape(where):<40} {state}  [dim]{escape(used)}[/]")
    raise typer.Exit(1 if any(r["used_by"] and not r["ok"] for r in rows) else 0)


# --- policy -----------------------------------------------------------------------------------------


@policy_app.command("explain")
def policy_explain(
    action_id: Annotated[str, typer.Argument(help="An action id, e.g. acme-text/release.cut.")],
    plan_file: Annotated[
        Path | None, typer.Option("--plan", help="Explain the decision in a saved plan.")
    ] = None,
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
    output: OutputOpt = None,
) -> None:
    """Print the full rule trace of a decision (from a saved plan, or from planning now)."""
    fmt = output_format(output, as_json)
    if plan_file is not None:
        try:
            action = load_plan_file(plan_file).action(action_id)
        except KeyError:
            raise fail(f"{action_id} is not in {plan_file}") from None
        revision = "(from plan file)"
    else:
        fs = session(fleet)
        with api_errors():
            _, action = fs.action(action_id)
        revision = fs.desired.constitution_revision
    doc = {"action": action_id, "decision": action.decision.model_dump(mode="json")}
    if not emit(doc, fmt, [action_id]):
        render_explain(action, revision, out)


@policy_app.command("test")
def policy_test(
    target: Annotated[Path, typer.Argument(help="A test file or a directory of them.")] = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Run policy test cases (an action + facts + time -> expected verdict and rule), like `opa test`."""
    from codemonkeys.api.tools import discover, run_file

    files = discover(target)
    if not files:
        raise fail(
            f"no policy test files (YAML with `constitution:` and `cases:`) under {target}: a fleet keeps "
            "them beside its constitution (the demo fleet's: policy-tests/)"
        )
    results = [r for f in files for r in run_file(f)]
    failed = [r for r in results if not r.passed]
    if as_json:
        sys.stdout.write(json.dumps([r.__dict__ for r in results], indent=2) + "\n")
    else:
        for r in results:
            mark = "[green]PASS[/]" if r.passed else "[red]FAIL[/]"
            out.print(f"{mark} {r.file}: {r.name}" + ("" if r.passed else f"\n     {escape(r.detail)}"))
        out.print(f"{len(results) - len(failed)}/{len(results)} passed")
    raise typer.Exit(1 if failed else 0)


# --- controller -------------------------------------------------------------------------------------

MaxBodyOpt = Annotated[
    str | None,
    typer.Option(
        "--max-body",
        envvar="CMCTL_MAX_BODY",
        help="Largest request bodies, e.g. webhook=1MiB,form=64KiB,json=256KiB (the defaults); "
        "larger ones are refused with 413 before they are read.",
    ),
]


def body_limits(max_body: str | None):
    """``--max-body`` as ``BodyLimits`` (service/limits.py); a usage error saying what is wrong."""
    from codemonkeys.service.limits import BodyLimits

    try:
        return BodyLimits.parse(max_body)
    except ValueError as exc:
        raise fail(f"--max-body: {exc}") from None


@controller_app.command("run")
def controller_run(
    fleet: Annotated[
        str,
        typer.Option(
            "--fleet", "-f", envvar="CMCTL_FLEET", help="Fleet repo: a directory, or a git URL to follow."
        ),
    ] = ".",
    branch: Annotated[str, typer.Option("--branch", help="Branch of a fleet given by URL.")] = "main",
    listen: Annotated[str, typer.Option("--listen", help="HOST:PORT of the HTTP API.")] = "127.0.0.1:8080",
    interval: Annotated[
        str, typer.Option("--interval", help="Resync period per product; 0: no timer (events only).")
    ] = "3m",
    once: Annotated[bool, typer.Option("--once", help="Reconcile every product once and exit.")] = False,
    parallelism: Annotated[int, typer.Option("--parallelism", min=1, help="Actions at once.")] = 2,
    token_env: Annotated[
        str, typer.Option("--token-env", help="Env var with the API token for write endpoints.")
    ] = "CMCTL_API_TOKEN",
    webhook_secret_env: Annotated[
        str, typer.Option("--webhook-secret-env", help="Env var with the git webhook HMAC secret.")
    ] = "CMCTL_WEBHOOK_SECRET",
    log_json: Annotated[bool, typer.Option("--log-json", help="One JSON object per log line.")] = False,
    unsandboxed: UnsandboxedOpt = False,
    tokens: Annotated[
        Path | None,
        typer.Option(
            "--tokens",
            help="YAML list of callers [{name, role: viewer|approver|admin, token | tokenRef, companies?}]."
            " With it, reading needs a viewer and the controller may listen beyond 127.0.0.1.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Reconciles at once. On PostgreSQL, taken from the state database's job queue: run this in "
            "as many processes and machines as you like. On SQLite, threads of this one process (its "
            "in-memory queue). Default: one.",
        ),
    ] = None,
    heartbeat: Annotated[
        float, typer.Option("--heartbeat", min=0.5, help="Seconds between worker heartbeats (--workers).")
    ] = 5.0,
    max_body: MaxBodyOpt = None,
) -> None:
    """Run the controller: watch the fleet repo, resync on a timer, serve the API, webhooks and dashboard."""
    from codemonkeys.api import parse_duration

    try:
        from codemonkeys.service.runtime import ServiceError, ServiceOptions, serve
    except ImportError as exc:
        raise fail(
            f"the controller needs the [service] extra: pip install 'codemonkeys[service]' ({exc})"
        ) from None
    try:
        seconds = parse_duration(interval)
    except ValueError as exc:
        raise fail(f"--interval: {exc}") from None
    options = ServiceOptions(
        fleet=fleet,
        branch=branch,
        listen=listen,
        interval=float(seconds),
        parallelism=parallelism,
        token_env=token_env,
        webhook_secret_env=webhook_secret_env,
        log_json=log_json,
        once=once,
        tokens=tokens,
        workers=workers,
        heartbeat=heartbeat,
        limits=body_limits(max_body),
    )
    try:
        code = serve(options, context_for(unsandboxed), say=out.print, warn=err.print)
    except (ServiceError, ApiError) as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(code)


@controller_app.command("status")
def controller_status(
    fleet: FleetOpt = Path("."), as_json: JsonOpt = False, output: OutputOpt = None
) -> None:
    """The controller processes sharing the fleet's state database (--workers): host, pid, elected or
    not, worker heartbeat, the products each is reconciling, and the queue."""
    from codemonkeys.service.status import StatusError, controller_status_doc

    fmt = output_format(output, as_json)
    try:
        doc = controller_status_doc(fleet)
    except StatusError as exc:
        raise fail(str(exc)) from None
    if emit(doc, fmt, [f"{p['host']}:{p['pid']}" for p in doc["processes"]]):
        return
    for p in doc["processes"]:
        doing = ", ".join(f"{d['product']} (since {d['started']})" for d in p["doing"]) or "idle"
        beat = f"heartbeat {p['heartbeat_age']}s ago" if p["heartbeat_age"] is not None else "no heartbeat"
        lead = " (elected)" if p["elected"] else ""
        out.print(f"{p['host']}:{p['pid']} worker {p['worker_id']}{lead}: {beat}; {doing}")
    for d in doc["stalled_or_unknown"]:
        out.print(f"[yellow]job {d['job']} of {d['product']} on a worker that is gone (recovered soon)[/]")
    q = doc["queue"]
    out.print(
        f"{len(doc['processes'])} process(es); queue: {q['due']} due, {q['waiting']} waiting, "
        f"oldest due {q['oldest_age']}s"
    )


ProductArg = Annotated[str, typer.Argument(help="The product.", autocompletion=complete_product)]
ActorOpt = Annotated[
    str | None, typer.Option("--as", help="Who does it, for the audit log (default: your user name).")
]


def _actor(name: str | None) -> str:
    import getpass

    return name or getpass.getuser()


@controller_app.command("suspend")
def controller_suspend(product: ProductArg, actor: ActorOpt = None, fleet: FleetOpt = Path(".")) -> None:
    """Stop every controller process sharing the state database from acting on PRODUCT (it is still
    observed and shown) until `cmctl controller resume`; audited. `spec.suspend: true` in the fleet repo
    is the lasting, reviewed way."""
    fs = session(fleet)
    with api_errors():
        done = fs.suspend(product, _actor(actor))
    out.print(f"{product} suspended" if done else f"{product} was already suspended")


@controller_app.command("resume")
def controller_resume(product: ProductArg, actor: ActorOpt = None, fleet: FleetOpt = Path(".")) -> None:
    """Let the controllers act on PRODUCT again (at its next resync or trigger); audited."""
    fs = session(fleet)
    with api_errors():
        done = fs.resume(product, _actor(actor))
    out.print(f"{product} resumed" if done else f"{product} was not suspended")


# --- db ---------------------------------------------------------------------------------------------


@db_app.command("current")
def db_current(fleet: FleetOpt = Path("."), as_json: JsonOpt = False, output: OutputOpt = None) -> None:
    """The schema revision the state database is at, and the newest this cmctl knows (exit 1 if behind)."""
    from codemonkeys.api import Context, database_state

    fmt = output_format(output, as_json)
    with api_errors():
        state = database_state(fleet, Context.from_environ())
    doc = {"current": state.current, "head": state.head, "up_to_date": state.up_to_date}
    if not emit(doc, fmt, [state.current] if state.current else []):
        label = "(up to date)" if state.up_to_date else "(behind: run `cmctl db upgrade`)"
        out.print(f"{state.current or 'unmigrated'} {label}; newest: {state.head}")
    if not state.up_to_date:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(fleet: FleetOpt = Path(".")) -> None:
    """Migrate the state database to the newest schema revision (idempotent; run it before the
    controllers of a new version start)."""
    from codemonkeys.api import Context, database_upgrade

    with api_errors():
        before, after = database_upgrade(fleet, Context.from_environ())
    if before.current == after.current:
        out.print(f"already at {after.current}: nothing to do")
    else:
        out.print(f"upgraded {before.current or 'unmigrated'} -> {after.current}")
