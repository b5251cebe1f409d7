"""`cmctl`: the command line. Thin: parse arguments, call the library API (``codemonkeys.api``), render.

Exit codes follow Terraform: 0 success / no changes, 1 error, 2 changes present (``--detailed-exitcode``),
and 3 when there are none but products are stuck (nothing the controller may do converges them).
The process ``Context`` (environment, secrets, resources) is built here, at the edge.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from codemonkeys.api import load_fleet, load_plan_file
from codemonkeys.cli.common import (
    FORMATS,
    FleetOpt,
    JsonOpt,
    OutputOpt,
    ProductOpt,
    UnsandboxedOpt,
    api_errors,
    apply_and_report,
    complete_action,
    complete_held,
    complete_product,
    context_for,
    emit,
    err,
    fail,
    fleet_dir,
    out,
    output_format,
    plan_with_progress,
    print_diagnostics,
    session,
)
from codemonkeys.cli.complete_tree import write_index
from codemonkeys.cli.diff import diff_cmd
from codemonkeys.cli.fleet import fleet_app
from codemonkeys.cli.graph import graph_cmd
from codemonkeys.cli.groups import (
    audit_app,
    controller_app,
    db_app,
    demo_app,
    policy_app,
    schema_app,
    secrets_app,
)
from codemonkeys.cli.oracle import oracle_app
from codemonkeys.cli.render import render_plan, render_status, render_status_wide, render_why
from codemonkeys.cli.swarm import swarm_app
from codemonkeys.cli.swarm_deps import swarm_conflicts  # noqa: F401  (registers `swarm conflicts`)
from codemonkeys.cli.swarm_predict import swarm_predict  # noqa: F401  (registers its commands on swarm_app)
from codemonkeys.cli.swarm_signatures import swarm_signatures  # noqa: F401  (registers the command)
from codemonkeys.cli.version import version_cmd
from codemonkeys.vocab.plan import Verdict

app = typer.Typer(
    name="cmctl",
    help="Code Monkeys: reconcile a fleet of software products to the state its fleet repo declares.",
    no_args_is_help=True,
    add_completion=True,
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


@app.command()
def validate(fleet: FleetOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Check the fleet repo: every problem as FILE:LINE:COL, exit 1 if there is any."""
    state, diags = load_fleet(fleet_dir(fleet))
    if as_json:
        doc = {"valid": state is not None, "diagnostics": [d.to_json() for d in diags]}
        if state is not None:
            doc.update(products=len(state.entries), revision=state.revision)
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif state is None:
        print_diagnostics(diags)
        err.print(f"[red]{len(diags)} problem{'s' if len(diags) != 1 else ''}[/] in {fleet}")
    else:
        out.print(
            f"[green]valid[/]: fleet {state.fleet.metadata.name!r}, {len(state.entries)} products, "
            f"{len(state.fleet.spec.companies)} companies, {len(state.constitution.spec.rules)} constitution "
            f"rules (revision {state.revision[:12]})"
        )
    raise typer.Exit(0 if state is not None else 1)


@app.command("plan")
def plan_cmd(
    fleet: FleetOpt = Path("."),
    product: ProductOpt = None,
    as_json: JsonOpt = False,
    output: OutputOpt = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the plan document to FILE.")] = None,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode",
            help="Exit 0 when there are no changes to make, 2 when there are, 3 when there are none but "
            "products are stuck (a person must act: a red build with no heal left, a red change), 1 on "
            "error. Actions the constitution denies on purpose (a rule with deny:, or default: deny) count "
            "as settled.",
        ),
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="With --detailed-exitcode: every action counts, deliberate denies too."
        ),
    ] = False,
    parallelism: Annotated[
        int, typer.Option("--parallelism", min=1, help="Predict the apply's duration at this parallelism.")
    ] = 4,
) -> None:
    """Observe the fleet and show what it would take to reach the desired state, and how long (``-o
    wide``: with a table of the actions: verdict, rule, what each waits for, duties, decision)."""
    if output is not None and output.lower() not in FORMATS:  # the old `-o FILE`: one more release
        err.print(f"[yellow]warning:[/] -o FILE is deprecated: use --out {escape(output)} (-o is the format)")
        out_file, output = Path(output), None
    fmt = output_format(output, as_json)
    fs = session(fleet)
    result = plan_with_progress(fs, product, quiet=fmt != "text" and fmt != "wide", parallelism=parallelism)
    doc = result.model_dump_json(indent=2)
    if out_file:
        out_file.write_text(doc + "\n")
    if fmt == "json":
        sys.stdout.write(doc + "\n")
    elif not emit(result.model_dump(mode="json"), fmt, [a.id for a in result.actions]):
        render_plan(result, out, wide=fmt == "wide")
        if out_file:
            out.print(f"saved to {out_file}; apply it with: cmctl apply {out_file} --fleet {fleet}")
    pending = result.has_changes if strict else bool(result.unsettled)
    if detailed_exitcode and not pending and result.stuck:
        raise typer.Exit(3)  # nothing to do, but not converged: a person must act (see `cmctl explain`)
    raise typer.Exit(2 if detailed_exitcode and pending else 0)


@app.command("apply")
def apply_cmd(
    plan_file: Annotated[Path | None, typer.Argument(help="A saved plan (cmctl plan --out FILE).")] = None,
    fleet: FleetOpt = Path("."),
    product: ProductOpt = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")
    ] = False,
    parallelism: Annotated[int, typer.Option("--parallelism", min=1, help="Actions at once.")] = 4,
    unsandboxed: UnsandboxedOpt = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="One JSON object per line on stdout for every event (planned, action_start, "
            "action_output, action_done, summary); needs --auto-approve or a saved plan.",
        ),
    ] = False,
) -> None:
    """Apply a saved plan, or plan and apply (asking first unless --auto-approve).

    Long actions show their progress: a live panel of the running actions on a terminal, a "still
    running" line every 10 s otherwise."""
    if as_json and plan_file is None and not auto_approve:
        raise fail("--json needs --auto-approve or a saved plan: there is no one to ask")
    fs = session(fleet, unsandboxed)
    with api_errors():
        fs.check_products(product)
    if plan_file is not None:
        try:
            approved = load_plan_file(plan_file)
        except (OSError, ValueError) as exc:
            raise fail(f"cannot read plan {plan_file}: {exc}") from None
        with api_errors():
            fs.fresh(approved, product)
    else:
        approved = plan_with_progress(fs, product, quiet=as_json, parallelism=parallelism)
        if not as_json:
            render_plan(approved, out)
        if not approved.runnable:
            if as_json:
                from codemonkeys.cli.progress import JsonEvents

                JsonEvents().planned(approved)
                JsonEvents().summary(None, True, {}, approved.summary())
            else:
                out.print("nothing to apply")
            raise typer.Exit(0)
        if not auto_approve and not typer.confirm("Apply these actions?", default=False, err=True):
            err.print("apply cancelled")
            raise typer.Exit(1)
    raise typer.Exit(0 if apply_and_report(fs, approved, parallelism, as_json) else 1)


@app.command("status")
def status_cmd(
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
    output: OutputOpt = None,
    held: Annotated[
        bool, typer.Option("--held", help="Only the products with an action held for approval.")
    ] = False,
) -> None:
    """Per product: facets in sync, drifting, failed, blocked or held (as last observed), last run, the
    failure that stands (a later success of the same action retires it). ``-o wide``: a table with each
    product's state, version, time observed, last action and what runs now."""
    from codemonkeys.api.tools import sandbox_status

    fmt = output_format(output, as_json)
    fs = session(fleet)
    doc = fs.status()
    write_index(fs)
    if held:
        doc["products"] = {n: p for n, p in doc["products"].items() if p["held"]}
    sandbox = sandbox_status(fs.context)
    if fmt == "wide":
        render_status_wide(doc, {r["name"]: r for r in fs.fleet()}, out)
        out.print(f"sandbox: {escape(sandbox)}")
    elif not emit(doc | {"sandbox": sandbox}, fmt, sorted(doc["products"])):
        render_status(doc, out)
        out.print(f"sandbox: {escape(sandbox)}")


@app.command("explain")
def explain_cmd(
    product: Annotated[str, typer.Argument(help="The product to explain.", autocompletion=complete_product)],
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
    output: OutputOpt = None,
) -> None:
    """Why a product is or is not in sync: facets, what stands in the way, what happens next."""
    fmt = output_format(output, as_json)
    fs = session(fleet)
    with api_errors():
        doc = fs.explain(product)
    if not emit(doc, fmt, [product]):
        render_why(doc, out)


@app.command("logs")
def logs_cmd(
    action_id: Annotated[
        str, typer.Argument(help="An action id, e.g. acme-text/build.run.", autocompletion=complete_action)
    ],
    run: Annotated[int | None, typer.Option("--run", help="That run's entry (default: the newest).")] = None,
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", "-F", help="Stream the output while the action runs (any apply)."),
    ] = False,
    fleet: Annotated[
        Path,
        typer.Option(
            "--fleet", envvar="CMCTL_FLEET", help="Fleet repo directory.", show_default="current dir"
        ),
    ] = Path("."),
    as_json: JsonOpt = False,
    output: OutputOpt = None,
) -> None:
    """The captured output of an action: build console, mkdocs output, release and publish logs
    (``-f`` follows, as ``kubectl logs -f`` and ``tail -f``; the fleet is ``--fleet`` here). ``-o json``
    or ``yaml``: the journal entry with its log as one document."""
    fmt = output_format(output, as_json)
    fs = session(fleet)
    with api_errors():
        doc = fs.logs(action_id, run)
        if emit(doc, fmt, [action_id]):
            return
        err.print(f"[bold]{escape(action_id)}[/] run {doc['run']}: {doc['status']} {escape(doc['message'])}")
        for name, kept in sorted(doc.get("artifacts", {}).items()):
            err.print(f"  kept {escape(name)}: {escape(kept['path'])} sha256:{kept['sha256']}")
        chunks = fs.follow(action_id, doc["run"]) if follow else [doc["log"]]
        for chunk in chunks:
            sys.stdout.write(chunk)
            sys.stdout.flush()
    if not follow and not doc["log"]:
        err.print("(no output was captured)")


@app.command("approve")
def approve_cmd(
    action_id: Annotated[
        str,
        typer.Argument(
            help="The held action, e.g. acme-text/release.publish/local.", autocompletion=complete_held
        ),
    ],
    approver: Annotated[
        str, typer.Option("--as", help="Who approves (checked against the rule's approvers).")
    ],
    comment: Annotated[str, typer.Option("--comment", help="Why.")] = "",
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Approve a held action, bound to what it would do: the product's fingerprint (its document, its
    dependencies' documents and its observed state), the action's params and the rules that hold it.
    Unrelated fleet commits keep the approval; a change to any of those lapses it (the plan says why)."""
    fs = session(fleet)
    with api_errors():
        given = fs.approve_action(action_id, approver, comment)
    write_index(fs)  # it is no longer held: shell completion stops offering it
    now = given.decision
    if as_json:
        doc = {
            "action": given.action,
            "approved_by": given.approver,
            "revision": given.revision,
            "fingerprint": given.fingerprint,
            "params": given.params,
            "verdict": str(now.verdict),
            "message": now.message,
            "controller_will_act": given.will_act,
            "why": given.why,
        }
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    out.print(f"approved {action_id} as {approver}")
    out.print(f"  bound to product fingerprint {given.fingerprint} (fleet revision {given.revision[:12]})")
    for key, value in given.params.items():
        shown = value if isinstance(value, str) else json.dumps(value)
        out.print(f"  {escape(key)}: {escape(shown if len(shown) <= 100 else shown[:97] + '...')}")
    if now.verdict is not Verdict.ALLOW:
        out.print(f"still {now.verdict}: {escape(now.message)}")
    elif given.will_act is None:
        out.print("the action is now allowed: no controller runs on this state, run cmctl apply")
    else:
        out.print(f"the action is now allowed: {escape(given.why)}")


@app.command("approvals")
def approvals_cmd(
    product: Annotated[
        list[str] | None,
        typer.Option("--product", "-p", help="Only these products.", autocompletion=complete_product),
    ] = None,
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
    output: OutputOpt = None,
) -> None:
    """What is held for approval now: each action, who may approve it, what it would do, and why an
    earlier approval lapsed (plans the products: observes them)."""
    fmt = output_format(output, as_json)
    fs = session(fleet)
    with api_errors():
        rows = fs.held(product)
    if emit(rows, fmt, [r["action"] for r in rows]):
        return
    if not rows:
        out.print("nothing is held for approval")
        return
    for row in rows:
        who = ", ".join(row["approvers"]) or "anyone"
        out.print(f"[cyan]held[/] [bold]{row['action']}[/] by {row['rule']} (approvers: {escape(who)})")
        out.print(f"  would: {escape(row['reason'])}")
        for key, value in row["params"].items():
            shown = value if isinstance(value, str) else json.dumps(value)
            out.print(f"  {escape(key)}: {escape(shown if len(shown) <= 100 else shown[:97] + '...')}")
        out.print(f"  {escape(row['message'])}")


@app.command("reject")
def reject_cmd(
    action_id: Annotated[
        str,
        typer.Argument(help="The held action, e.g. acme-text/release.cut.", autocompletion=complete_held),
    ],
    approver: Annotated[
        str, typer.Option("--as", help="Who rejects (checked against the rule's approvers).")
    ],
    comment: Annotated[str, typer.Option("--comment", help="Why (shown with the held action).")] = "",
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Reject a held action: it stays held, the rejection is audited (approval.rejected) with the
    comment, bound to the fleet revision and the product's observed state like an approval."""
    fs = session(fleet)
    with api_errors():
        decision = fs.reject(action_id, approver, comment)
    write_index(fs)
    doc = {
        "action": action_id,
        "rejected_by": approver,
        "comment": comment,
        "revision": fs.desired.revision,
        "verdict": str(decision.verdict),
        "rule": decision.rule,
        "message": decision.message,
    }
    if as_json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    out.print(f"rejected {action_id} as {approver} (fleet revision {fs.desired.revision[:12]})")
    out.print(f"still {decision.verdict}: {escape(decision.message)}")


@app.command("verify")
def verify_cmd(
    product: Annotated[str, typer.Argument(help="The product to verify.", autocompletion=complete_product)],
    version: Annotated[
        str | None, typer.Argument(help="The version (default: the newest in each registry).")
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="The public key to trust (an OpenSSH .pub file); default spec.supply.sign.publicKey.",
        ),
    ] = None,
    registry: Annotated[str | None, typer.Option("--registry", help="Only this registry.")] = None,
    fleet: FleetOpt = Path("."),
    as_json: JsonOpt = False,
    output: OutputOpt = None,
) -> None:
    """Verify a released version as a consumer would: its artifacts from the registry, their SHA-256
    checksums, the SSH signature over them, the SBOM and the provenance. Exit 0 when every check holds."""
    from codemonkeys.api.verify import verify_product

    fmt = output_format(output, as_json)
    state, diags = load_fleet(fleet_dir(fleet))
    if state is None:
        print_diagnostics(diags)
        raise fail(f"fleet {fleet} is invalid")
    try:
        public = key.read_text().strip() if key else None
    except OSError as exc:
        raise fail(f"cannot read the key {key}: {exc.strerror}") from None
    with api_errors():
        results = verify_product(
            state, context_for().secrets.at(state.root), product, version, public, registry
        )
    ok = all(r.report.ok for r in results)
    doc = {"ok": ok, "registries": [r.to_dict() for r in results]}
    if not emit(doc, fmt, [r.registry for r in results]):
        for r in results:
            verdict = "[green]verified[/]" if r.report.ok else "[red]NOT verified[/]"
            out.print(f"{escape(r.package)} {escape(r.report.version)} in {escape(r.registry)}: {verdict}")
            for check in r.report.checks:
                mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
                out.print(f"  {mark} {escape(check.name)}: {escape(check.detail)}")
    raise typer.Exit(0 if ok else 1)


app.command("graph")(graph_cmd)
app.command("diff")(diff_cmd)
app.command("version")(version_cmd)

for _name, _sub in (
    ("schema", schema_app),
    ("demo", demo_app),
    ("audit", audit_app),
    ("policy", policy_app),
    ("secrets", secrets_app),
    ("oracle", oracle_app),
    ("swarm", swarm_app),
    ("controller", controller_app),
    ("fleet", fleet_app),
    ("db", db_app),
):
    app.add_typer(_sub, name=_name)


def main() -> None:  # pragma: no cover - console entry
    """The console entry point."""
    app()


__all__ = ["app"]
