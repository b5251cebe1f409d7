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
from rich.markup import escape

from codemonkeys.cli.oracle import oracle_app
from codemonkeys.cli.render import render_plan, verdict_text
from codemonkeys.engine import (
    FleetBusy,
    StalePlan,
    apply_plan,
    check_fresh,
    load_plan_file,
    make_plan,
    open_store,
)
from codemonkeys.kinds import DesiredState, load_fleet
from codemonkeys.kinds.schema import export_schemas
from codemonkeys.store.db import Store
from codemonkeys.vocab.diagnostics import Diagnostic
from codemonkeys.vocab.plan import Plan, Verdict

app = typer.Typer(
    name="cmctl",
    help="Code Monkeys: reconcile a fleet of software products to the state its fleet repo declares.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        import codemonkeys

        out.print(f"cmctl {codemonkeys.__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Code Monkeys: reconcile a fleet of software products to the state its fleet repo declares."""


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
    typer.Option(
        "--fleet", "-f", envvar="CMCTL_FLEET", help="Fleet repo directory.", show_default="current dir"
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def print_diagnostics(diags: list[Diagnostic]) -> None:
    for d in diags:
        err.print(f"[bold]{escape(d.file)}:{d.line}:{d.col}:[/] [red]{d.severity}:[/] {escape(d.message)}")


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
    """Create a demo workspace, plan, apply, and plan again: every product ends in sync."""
    if ctx.invoked_subcommand is not None:
        return
    ws = _demo_init(directory, force)
    desired = _load(ws.fleet)
    store = open_store(desired)
    out.print("\n[bold]1. plan[/]")
    first = _plan(desired, store, None)
    render_plan(first, out)
    out.print("\n[bold]2. apply[/]")
    report = _apply(first, desired, store, parallelism=2)
    out.print("\n[bold]3. plan again[/]")
    second = _plan(desired, store, None)
    render_plan(second, out)
    in_sync = sum(1 for p in second.products.values() if p.in_sync)
    if not report.ok or second.has_changes:
        err.print(f"[red]demo did not converge[/]: {in_sync}/{len(second.products)} products in sync")
        raise typer.Exit(1)
    out.print(
        f"\n[bold green]{in_sync} products in sync[/] (fleet {ws.fleet}); try: "
        f"cmctl status --fleet {ws.fleet}"
    )


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


ProductOpt = Annotated[
    list[str] | None,
    typer.Option("--product", "-p", help="Only this product (and what it depends on). Repeatable."),
]


def _load(fleet: Path) -> DesiredState:
    state, diags = load_fleet(fleet)
    if state is None:
        print_diagnostics(diags)
        err.print(f"[red]fleet {fleet} is invalid[/]: nothing was observed or changed")
        raise typer.Exit(1)
    return state


def _check_products(desired: DesiredState, products: list[str] | None) -> None:
    unknown = sorted(set(products or []) - set(desired.products))
    if unknown:
        err.print(f"[red]error:[/] unknown product(s): {', '.join(unknown)}")
        raise typer.Exit(1)


def _plan(desired: DesiredState, store: Store, products: list[str] | None, quiet: bool = False) -> Plan:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    selected = products or list(desired.products)
    with Progress(
        TextColumn("observing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task("", total=len(selected))
        result, _ = make_plan(
            desired, store, products, progress=lambda name: bar.update(task, advance=1, description=name)
        )
    return result


def _apply(plan: Plan, desired: DesiredState, store: Store, parallelism: int):
    from codemonkeys.store.db import ActionStatus

    marks = {
        ActionStatus.SUCCEEDED: "[green]✓[/]",
        ActionStatus.NOOP: "[green]=[/]",
        ActionStatus.FAILED: "[red]✗[/]",
        ActionStatus.SKIPPED: "[yellow]-[/]",
        ActionStatus.BLOCKED: "[magenta]■[/]",
    }

    def on_event(kind, action, outcome) -> None:
        if kind == "start":
            err.print(f"  [cyan]▶[/] {action.id} [dim](wave {action.wave})[/]")
        else:
            took = f" [dim]({outcome.duration:.1f}s)[/]" if outcome.duration else ""
            err.print(f"  {marks.get(outcome.status, '?')} {action.id}: {escape(outcome.message)}{took}")

    try:
        report = apply_plan(plan, desired, store, parallelism=parallelism, on_event=on_event)
    except FleetBusy as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.counts().items()))
    if report.interrupted_runs:
        err.print(f"[yellow]note:[/] marked earlier run(s) {report.interrupted_runs} as interrupted")
    verdict = "complete" if report.ok else "failed"
    out.print(f"[bold]Apply {verdict}[/] (run {report.run_id}): {counts or 'nothing to do'}")
    # Refresh what `cmctl status` shows: observe again the products this apply touched.
    touched = sorted({a.product for a in plan.actions})
    if touched:
        after = _plan(desired, store, touched, quiet=True)
        out.print(f"now: {after.summary()}")
    return report


@app.command("plan")
def plan_cmd(
    fleet: FleetOpt = Path("."),
    product: ProductOpt = None,
    as_json: JsonOpt = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--out", help="Write the plan document to FILE.")
    ] = None,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="Exit 0 when in sync, 2 when there are changes, 1 on error."
        ),
    ] = False,
) -> None:
    """Observe the fleet and show what it would take to reach the desired state."""
    desired = _load(fleet)
    _check_products(desired, product)
    store = open_store(desired)
    result = _plan(desired, store, product, quiet=as_json)
    doc = result.model_dump_json(indent=2)
    if output:
        output.write_text(doc + "\n")
    if as_json:
        sys.stdout.write(doc + "\n")
    else:
        render_plan(result, out)
        if output:
            out.print(f"saved to {output}; apply it with: cmctl apply {output} --fleet {fleet}")
    raise typer.Exit(2 if detailed_exitcode and result.has_changes else 0)


@app.command("apply")
def apply_cmd(
    plan_file: Annotated[Path | None, typer.Argument(help="A saved plan (cmctl plan -o FILE).")] = None,
    fleet: FleetOpt = Path("."),
    product: ProductOpt = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")
    ] = False,
    parallelism: Annotated[int, typer.Option("--parallelism", min=1, help="Actions at once.")] = 4,
) -> None:
    """Apply a saved plan, or plan and apply (asking first unless --auto-approve)."""
    desired = _load(fleet)
    _check_products(desired, product)
    store = open_store(desired)
    if plan_file is not None:
        try:
            saved = load_plan_file(plan_file)
        except (OSError, ValueError) as exc:
            err.print(f"[red]error:[/] cannot read plan {plan_file}: {exc}")
            raise typer.Exit(1) from None
        current = _plan(desired, store, list(saved.products) if product is None else product)
        try:
            check_fresh(saved, current)
        except StalePlan as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from None
        approved = saved
    else:
        approved = _plan(desired, store, product)
        render_plan(approved, out)
        if not approved.runnable:
            out.print("nothing to apply")
            raise typer.Exit(0)
        if not auto_approve and not typer.confirm("Apply these actions?", default=False, err=True):
            err.print("apply cancelled")
            raise typer.Exit(1)
    report = _apply(approved, desired, store, parallelism)
    raise typer.Exit(0 if report.ok else 1)


@app.command("status")
def status_cmd(fleet: FleetOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Per product: facets in sync or not (as last observed), last run, last failure."""
    desired = _load(fleet)
    store = open_store(desired)
    rows = {s.product: s for s in store.statuses()}
    runs = store.runs(limit=1)
    doc = {"last_run": None, "products": {}}
    if runs:
        r = runs[0]
        doc["last_run"] = {
            "id": r.id,
            "status": r.status,
            "started_at": r.started_at.isoformat(),
            "finished_at": r.finished_at.isoformat() if r.finished_at else None,
            "counts": r.summary,
        }
    for name in desired.products:
        row = rows.get(name)
        fail = store.last_failure(name)
        doc["products"][name] = {
            "observed_at": row.observed_at.isoformat() if row else None,
            "in_sync": row.in_sync if row else None,
            "facets": {k: v["state"] for k, v in (row.facets if row else {}).items()},
            "last_failure": {"action": fail.action_id, "run": fail.run_id, "message": fail.message}
            if fail
            else None,
        }
    if as_json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    for name, p in doc["products"].items():
        mark = "[dim]?[/]" if p["in_sync"] is None else ("[green]✓[/]" if p["in_sync"] else "[yellow]~[/]")
        facets = "  ".join(f"{k}={v}" for k, v in p["facets"].items()) or "never observed"
        out.print(f"{mark} [bold]{name:<20}[/] {facets}")
        if p["last_failure"]:
            lf = p["last_failure"]
            out.print(f"    [red]last failure[/] {lf['action']} (run {lf['run']}): {lf['message']}")
    if doc["last_run"]:
        lr = doc["last_run"]
        out.print(f"last run {lr['id']}: {lr['status']} at {lr['started_at']} {lr['counts']}")


audit_app = typer.Typer(help="The hash-chained audit log.", invoke_without_command=True)
app.add_typer(audit_app, name="audit")


@audit_app.callback()
def audit_cmd(
    ctx: typer.Context,
    fleet: FleetOpt = Path("."),
    product: Annotated[str | None, typer.Option("--product", "-p", help="Only this product.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Newest N records (0: all).")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Show audit records (newest last)."""
    if ctx.invoked_subcommand is not None:
        return
    store = open_store(_load(fleet))
    records = store.audit_records(product=product, limit=limit or None)
    if as_json:
        sys.stdout.write(
            json.dumps([{**r.content(), "prev_hash": r.prev_hash, "hash": r.hash} for r in records], indent=2)
            + "\n"
        )
        return
    for r in records:
        target = r.action_id or r.product or (f"run {r.run_id}" if r.run_id else "")
        detail = r.data.get("message") or r.data.get("status") or ""
        out.print(f"{r.seq:>5} {r.at[:19]} [bold]{r.event:<18}[/] {target} [dim]{detail}[/]")


@audit_app.command("verify")
def audit_verify(fleet: FleetOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Check the hash chain: exit 0 if intact, 1 with where it breaks."""
    check = open_store(_load(fleet)).verify_audit()
    if as_json:
        sys.stdout.write(json.dumps(check.__dict__) + "\n")
    elif check.ok:
        out.print(f"[green]audit chain intact[/]: {check.records} records")
    else:
        err.print(f"[red]audit chain broken at record {check.broken_at}[/]: {check.reason}")
    raise typer.Exit(0 if check.ok else 1)


policy_app = typer.Typer(help="The constitution: explain decisions, run policy tests.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


def _fresh_action(desired: DesiredState, store: Store, action_id: str):
    product = action_id.split("/", 1)[0]
    if product not in desired.products:
        err.print(f"[red]error:[/] no product {product!r} in this fleet (action ids look like PRODUCT/KIND)")
        raise typer.Exit(1)
    current = _plan(desired, store, [product], quiet=True)
    try:
        return current, current.action(action_id)
    except KeyError:
        planned = ", ".join(a.id for a in current.actions if a.product == product) or "none"
        err.print(f"[red]error:[/] {action_id} is not in the current plan (planned for {product}: {planned})")
        raise typer.Exit(1) from None


@app.command("approve")
def approve_cmd(
    action_id: Annotated[str, typer.Argument(help="The held action, e.g. acme-text/release.publish/local.")],
    approver: Annotated[
        str, typer.Option("--as", help="Who approves (checked against the rule's approvers).")
    ],
    comment: Annotated[str, typer.Option("--comment", help="Why.")] = "",
    fleet: FleetOpt = Path("."),
) -> None:
    """Approve a held action for the current fleet revision and observed state (audited)."""
    desired = _load(fleet)
    store = open_store(desired)
    current, action = _fresh_action(desired, store, action_id)
    if action.decision.verdict is not Verdict.HOLD:
        err.print(f"[red]error:[/] {action_id} is not held: {verdict_text(action)}")
        raise typer.Exit(1)
    holds = [
        r
        for r in desired.constitution.spec.rules
        if r.hold and r.id in {t.rule for t in action.decision.trace}
    ]
    groups = desired.constitution.spec.groups
    allowed = {m for r in holds for name in r.hold.approvers for m in groups.get(name, [name])}
    if allowed and approver not in allowed:
        err.print(
            f"[red]error:[/] {approver!r} may not approve {action_id} "
            f"(approvers: {', '.join(sorted(allowed))})"
        )
        raise typer.Exit(1)
    fingerprint = current.products[action.product].fingerprint
    store.add_approval(action_id, action.product, approver, comment, desired.revision, fingerprint)
    store.audit(
        "approval.given",
        approver,
        {
            "comment": comment,
            "revision": desired.revision,
            "fingerprint": fingerprint,
            "decision": action.decision.id,
        },
        product=action.product,
        action_id=action_id,
    )
    after, _ = make_plan(desired, store, [action.product])
    now = after.action(action_id).decision
    out.print(f"approved {action_id} as {approver} (fleet revision {desired.revision[:12]})")
    if now.verdict is Verdict.ALLOW:
        out.print("the action is now allowed: run cmctl apply")
    else:
        out.print(f"still {now.verdict}: {now.message}")


@policy_app.command("explain")
def policy_explain(
    action_id: Annotated[str, typer.Argument(help="An action id, e.g. acme-text/release.cut.")],
    plan_file: Annotated[
        Path | None, typer.Option("--plan", help="Explain the decision in a saved plan.")
    ] = None,
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Print the full rule trace of a decision (from a saved plan, or from planning now)."""
    if plan_file is not None:
        try:
            action = load_plan_file(plan_file).action(action_id)
        except KeyError:
            err.print(f"[red]error:[/] {action_id} is not in {plan_file}")
            raise typer.Exit(1) from None
        revision = "(from plan file)"
    else:
        desired = _load(fleet)
        _, action = _fresh_action(desired, open_store(desired), action_id)
        revision = desired.constitution_revision
    d = action.decision
    if as_json:
        sys.stdout.write(
            json.dumps({"action": action_id, "decision": d.model_dump(mode="json")}, indent=2) + "\n"
        )
        return
    out.print(f"[bold]{action_id}[/]: {verdict_text(action)}")
    out.print(f"  decision {d.id}  input {d.input_hash[:16]}  constitution {revision[:16]}")
    for t in d.trace:
        mark = {"allow": "[green]pass[/]", "deny": "[red]deny[/]", "hold": "[yellow]hold[/]"}[str(t.outcome)]
        out.print(f"  {mark} {t.rule} [dim]({t.enforcement}, {t.effect})[/]: {t.message}")
    if not d.trace:
        out.print("  no rule applies to this action")
    for a in d.advisory:
        out.print(f"  [yellow]advisory[/] {a}")
    if d.audit:
        out.print(f"  audit duties: {', '.join(d.audit)}")


@policy_app.command("test")
def policy_test(
    target: Annotated[Path, typer.Argument(help="A test file or a directory of them.")] = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Run policy test cases (an action + facts + time -> expected verdict and rule), like `opa test`."""
    from codemonkeys.policy.testing import discover, run_file

    files = discover(target)
    if not files:
        err.print(
            f"[red]error:[/] no policy test files (YAML with `constitution:` and `cases:`) under {target}"
        )
        raise typer.Exit(1)
    results = [r for f in files for r in run_file(f)]
    failed = [r for r in results if not r.passed]
    if as_json:
        sys.stdout.write(json.dumps([r.__dict__ for r in results], indent=2) + "\n")
    else:
        for r in results:
            mark = "[green]PASS[/]" if r.passed else "[red]FAIL[/]"
            out.print(f"{mark} {r.file}: {r.name}" + ("" if r.passed else f"\n     {r.detail}"))
        out.print(f"{len(results) - len(failed)}/{len(results)} passed")
    raise typer.Exit(1 if failed else 0)


app.add_typer(oracle_app, name="oracle")

controller_app = typer.Typer(
    help="The long-running controller: reconcile on commits, webhooks and timers.", no_args_is_help=True
)
app.add_typer(controller_app, name="controller")


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
    interval: Annotated[str, typer.Option("--interval", help="Resync period per product (jittered).")] = "3m",
    once: Annotated[bool, typer.Option("--once", help="Reconcile every product once and exit.")] = False,
    parallelism: Annotated[int, typer.Option("--parallelism", min=1, help="Actions at once.")] = 2,
    token_env: Annotated[
        str, typer.Option("--token-env", help="Env var with the API token for write endpoints.")
    ] = "CMCTL_API_TOKEN",
    webhook_secret_env: Annotated[
        str, typer.Option("--webhook-secret-env", help="Env var with the git webhook HMAC secret.")
    ] = "CMCTL_WEBHOOK_SECRET",
    log_json: Annotated[bool, typer.Option("--log-json", help="One JSON object per log line.")] = False,
) -> None:
    """Run the controller: watch the fleet repo, resync on a timer, serve the API and webhooks."""
    import logging
    import os
    import signal
    import threading

    from codemonkeys.kinds.models import parse_duration

    try:
        from codemonkeys.service.controller import Controller, ControllerConfig
    except ImportError as exc:
        err.print(
            "[red]error:[/] the controller needs the \\[service] extra: "
            f"pip install 'codemonkeys\\[service]' ({escape(str(exc))})"
        )
        raise typer.Exit(1) from None

    logging.basicConfig(
        level=logging.INFO,
        format='{"at": "%(asctime)s", "level": "%(levelname)s", "msg": %(message)s}'
        if log_json
        else "%(asctime)s %(message)s",
    )
    try:
        seconds = parse_duration(interval)
    except ValueError as exc:
        err.print(f"[red]error:[/] --interval: {exc}")
        raise typer.Exit(1) from None
    from codemonkeys.gitutil import GitError
    from codemonkeys.service.fleetsource import RemoteFleet, is_git_url

    config = ControllerConfig(
        fleet=Path(fleet),
        remote=RemoteFleet(fleet, branch) if is_git_url(fleet) else None,
        interval=float(seconds),
        parallelism=parallelism,
        api_token=os.environ.get(token_env) or None,
        webhook_secret=os.environ.get(webhook_secret_env) or None,
    )
    try:
        ctl = Controller(config)
    except (ValueError, GitError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    if once:
        raise typer.Exit(0 if ctl.run_once() else 1)

    import uvicorn

    from codemonkeys.service.api import create_app

    host, _, port = listen.rpartition(":")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ctl), host=host or "127.0.0.1", port=int(port), log_level="warning", lifespan="off"
        )
    )
    http = threading.Thread(target=server.run, name="cm-http", daemon=True)
    done = threading.Event()

    def on_signal(signum, _frame) -> None:
        err.print(f"received {signal.Signals(signum).name}: finishing the action in flight, then exiting")
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ctl.start()
    http.start()
    out.print(f"controller running: fleet {fleet}, API http://{listen}, resync every {interval}")
    while not done.wait(0.5):
        if not http.is_alive():
            err.print("[red]error:[/] the HTTP server stopped (is the port free?)")
            ctl.shutdown()
            raise typer.Exit(1)
    server.should_exit = True
    ctl.shutdown()
    http.join(timeout=10)
    out.print("controller stopped")


def main() -> None:  # pragma: no cover - console entry
    app()
