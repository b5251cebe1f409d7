"""Human rendering of plans, apply progress and status (the JSON forms are the models themselves)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from codemonkeys.vocab.plan import Action, ActionKind, FacetState, Plan, Verdict

_STATE_STYLE = {
    FacetState.IN_SYNC: "[green]in sync[/]",
    FacetState.DRIFT: "[yellow]drift[/]",
    FacetState.FAILED: "[red]failed[/]",
    FacetState.BLOCKED: "[magenta]blocked[/]",
    FacetState.HELD: "[cyan]held[/]",
    FacetState.UNKNOWN: "[red]unknown[/]",
}
_VERDICT_STYLE = {
    Verdict.ALLOW: "[green]allow[/]",
    Verdict.DENY: "[red]deny[/]",
    Verdict.HOLD: "[yellow]hold[/]",
}


def verdict_text(a: Action) -> str:
    """The verdict, its rule, and (unless allowed) its message."""
    d = a.decision
    rule = f" ({d.rule})" if d.rule else ""
    text = f"{_VERDICT_STYLE[d.verdict]}{rule}"
    if d.verdict is not Verdict.ALLOW:
        text += f": {escape(d.message)}"
    return text


def render_plan(plan: Plan, console: Console, wide: bool = False) -> None:
    """Products with their facets, then their actions with verdicts and reasons, then a summary; ``wide``
    (``-o wide``) adds a table of the actions: wave, verdict, rule, what each waits for, its predicted
    duration, the audit duties and the decision id."""
    by_product: dict[str, list[Action]] = {}
    for a in plan.actions:
        by_product.setdefault(a.product, []).append(a)
    for name, p in plan.products.items():
        mark = "[green]✓[/]" if p.in_sync else "[yellow]~[/]"
        suffix = " [dim](suspended: observed, not acted on)[/]" if p.suspended else ""
        console.print(f"{mark} [bold]{name}[/]{suffix}")
        for facet_name, f in p.facets.items():
            message = f.message
            for a in by_product.get(name, []):  # a held or denied action's words: on its own line below
                if a.decision.verdict is not Verdict.ALLOW and f"; {a.id} " in message:
                    message = message.split(f"; {a.id} ")[0]
            console.print(f"    {facet_name:<8} {_STATE_STYLE[f.state]:<20} [dim]{escape(message)}[/]")
        for a in by_product.get(name, []):
            took = f" [dim]{predicted_text(a)}[/]" if a.predicted_samples is not None else ""
            console.print(f"    [cyan]+ {a.id}[/] [dim](wave {a.wave})[/]{took} {verdict_text(a)}")
            console.print(f"        [dim]{escape(a.reason)}[/]")
            if a.params.get("patch"):  # heal.merge: the diff that would land
                console.print(_indented_patch(a.params["patch"], "        "), highlight=False)
            elif a.params.get("diff") and _first_of_change(plan, a):  # a cross-repo change, shown once
                console.print(_indented_patch(a.params["diff"], "        "), highlight=False)
    if wide and plan.actions:
        console.print()
        console.print(actions_table(plan))
    console.print()
    console.print(f"[bold]Plan:[/] {plan.summary()}")
    if plan.forecast is not None and plan.runnable:
        console.print(f"[bold]predicted:[/] {forecast_text(plan)}")


def actions_table(plan: Plan) -> Table:
    """The plan's actions as a table (``plan -o wide``): id, wave, verdict, rule, what it waits for,
    predicted duration, audit duties, decision id."""
    table = Table(
        "action", "wave", "verdict", "rule", "waits for", "predicted", "audit", "decision", box=None
    )
    for a in plan.actions:
        d = a.decision
        table.add_row(
            escape(a.id),
            str(a.wave),
            _VERDICT_STYLE[d.verdict],
            escape(d.rule or "-"),
            escape(", ".join(a.depends_on) or "-"),
            escape(predicted_text(a) if a.predicted_samples is not None else "-"),
            escape(", ".join(d.audit) or "-"),
            escape(d.id[:12] or "-"),
        )
    return table


def _first_of_change(plan: Plan, a: Action) -> bool:
    """Whether ``a`` is the first action of its change in ``plan`` (its propose, else its merge)."""
    if a.kind is not ActionKind.CHANGE_MERGE:
        return a.kind is ActionKind.CHANGE_PROPOSE
    propose = f"{a.product}/{ActionKind.CHANGE_PROPOSE}/{a.params.get('change')}"
    return all(b.id != propose for b in plan.actions)


def seconds_text(seconds: float) -> str:
    """A duration for people: ``0.4s``, ``12s``, ``1m05s``, ``2h03m``."""
    if seconds < 9.95:
        return f"{seconds:.1f}s"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def predicted_text(a: Action) -> str:
    """``~12s`` (with ``fleet`` when it rests on other products' runs), or ``~?`` with no history."""
    if a.predicted_s is None:
        return "~?"
    n = a.predicted_samples
    basis = ", fleet" if a.predicted_basis == "fleet" else ""
    return f"~{seconds_text(a.predicted_s)} ({n} run{'s' if n != 1 else ''}{basis})"


def forecast_text(plan: Plan) -> str:
    """The whole apply: ``1m05s at parallelism 4 (23 samples)``, and what nothing predicts."""
    f = plan.forecast
    assert f is not None
    if not f.predicted_samples:
        return f"unknown at parallelism {f.parallelism}: no recorded runs yet (learned as actions finish)"
    text = f"{seconds_text(f.predicted_s)} at parallelism {f.parallelism} ({f.predicted_samples} samples)"
    if f.unpredicted:
        text += f"; {f.unpredicted} action{'s' if f.unpredicted != 1 else ''} without history not counted"
    return text


_MARKS = {
    "succeeded": "[green]✓[/]",
    "noop": "[green]=[/]",
    "failed": "[red]✗[/]",
    "skipped": "[yellow]-[/]",
    "blocked": "[magenta]■[/]",
}


def apply_event_printer(console: Console):
    """An ``on_event`` callback for ``apply`` that prints each action as it starts and ends."""

    def on_event(kind: str, action: Action, outcome) -> None:
        if kind == "start":
            console.print(f"  [cyan]▶[/] {action.id} [dim](wave {action.wave})[/]")
            return
        took = f" [dim]({outcome.duration:.1f}s)[/]" if outcome.duration else ""
        mark = _MARKS.get(str(outcome.status), "?")
        console.print(f"  {mark} {action.id}: {escape(outcome.text)}{took}")

    return on_event


def render_status(doc: dict, console: Console) -> None:
    """The status report (``FleetSession.status``) as lines per product."""
    for name, p in doc["products"].items():
        mark = "[dim]?[/]" if p["in_sync"] is None else ("[green]✓[/]" if p["in_sync"] else "[yellow]~[/]")
        mark = "[red]![/]" if p.get("stuck") else mark
        facets = "  ".join(f"{k}={v}" for k, v in p["facets"].items()) or "never observed"
        console.print(f"{mark} [bold]{name:<20}[/] {facets}")
        _status_notes(p, console, "    ")
    _last_run_line(doc, console)


def render_status_wide(doc: dict, rows: dict[str, dict], console: Console) -> None:
    """``status -o wide``: a table, one row per product: its state (stuck, running, held, suspended,
    drifting, in sync, unknown), facets, released version, when it was observed, its last journaled
    action and what runs now (``rows``: ``FleetSession.fleet`` by name); then the notes the text shows
    under a product (stuck, held, last failure), each naming its product, and the last run."""
    table = Table("product", "state", "facets", "version", "observed", "last run", "running", box=None)
    for name, p in doc["products"].items():
        row = rows.get(name, {})
        last = row.get("last_run")
        table.add_row(
            f"[bold]{escape(name)}[/]",
            _state_word(p, row),
            escape(" ".join(f"{k}={v}" for k, v in p["facets"].items()) or "never observed"),
            escape(row.get("version") or "-"),
            escape(time_text(p["observed_at"])),
            escape(f"#{last['run']} {last['action']} {last['status']}" if last else "-"),
            escape(running_text(p.get("running"))),
        )
    console.print(table)
    for name, p in doc["products"].items():
        _status_notes(p, console, f"{escape(name)}: ", running=False)
    _last_run_line(doc, console)


def _state_word(p: dict, row: dict) -> str:
    """A product's one-word state in ``status -o wide`` (what needs a person first)."""
    if p.get("stuck"):
        return "[red]stuck[/]"
    if p.get("running"):
        return "[blue]running[/]"
    if p.get("held"):
        return "[cyan]held[/]"
    if row.get("suspended"):
        return "[dim]suspended[/]"
    if p["in_sync"] is None:
        return "[dim]unknown[/]"
    return "[green]in sync[/]" if p["in_sync"] else "[yellow]drifting[/]"


def time_text(iso: str | None) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM:SS`` (UTC, as stored), ``-`` for none."""
    return iso.replace("T", " ")[:19] if iso else "-"


def running_text(r: dict | None) -> str:
    """A running action: ``acme-text/build.run (run 12, 8 s of ~30 s)``, ``-`` for none."""
    if not r:
        return "-"
    expected = f" of ~{r['expected']:.0f} s" if r.get("expected") else ""
    return f"{r['action']} (run {r['run']}, {r['elapsed']:.0f} s{expected})"


def _status_notes(p: dict, console: Console, prefix: str, running: bool = True) -> None:
    """What the status says under a product: stuck, held facets, the running action (``running``), the
    failure that stands; each line starts with ``prefix``."""
    if p.get("stuck"):
        console.print(f"{prefix}[red]stuck[/] (a person must act) {escape(p['stuck'])}")
    for facet, message in p.get("held", {}).items():
        console.print(f"{prefix}[cyan]held[/] {facet}: {escape(message)}")
    if running and p.get("running"):
        r = p["running"]
        line = f": {escape(r['last_line'])}" if r.get("last_line") else ""
        console.print(f"{prefix}[blue]running[/] {running_text(r)}{line}")
    if p["last_failure"]:
        lf = p["last_failure"]
        said = f"{lf['action']} (run {lf['run']}): {escape(lf['message'])}"
        console.print(f"{prefix}[red]last failure[/] {said}")


def _last_run_line(doc: dict, console: Console) -> None:
    if doc["last_run"]:
        lr = doc["last_run"]
        counts = ", ".join(f"{n} {what}" for what, n in (lr["counts"] or {}).items())
        console.print(f"last run {lr['id']}: {lr['status']} at {lr['started_at']} ({counts or 'no actions'})")


def render_explain(action: Action, revision: str, console: Console) -> None:
    """A decision's full rule trace."""
    d = action.decision
    console.print(f"[bold]{action.id}[/]: {verdict_text(action)}")
    console.print(f"  decision {d.id}  input {d.input_hash[:16]}  constitution {revision[:16]}")
    for t in d.trace:
        mark = {"allow": "[green]pass[/]", "deny": "[red]deny[/]", "hold": "[yellow]hold[/]"}[str(t.outcome)]
        console.print(f"  {mark} {t.rule} [dim]({t.enforcement}, {t.effect})[/]: {escape(t.message)}")
    if not d.trace:
        console.print("  no rule applies to this action")
    for a in d.advisory:
        console.print(f"  [yellow]advisory[/] {escape(a)}")
    if d.audit:
        console.print(f"  audit duties: {', '.join(d.audit)}")


def _indented_patch(patch: str, indent: str, limit: int = 60) -> str:
    """A patch for the terminal: indented, added lines green, removed red, at most ``limit`` lines."""
    lines = patch.splitlines()
    shown = []
    for line in lines[:limit]:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
        shown.append(f"{indent}[{style}]{escape(line)}[/]")
    if len(lines) > limit:
        shown.append(f"{indent}[dim]... {len(lines) - limit} more line(s)[/]")
    return "\n".join(shown)


def render_why(doc: dict, console: Console) -> None:
    """``FleetSession.explain``: facets, what stands in the way, what a reconcile would do next."""
    state = "in sync" if doc["in_sync"] else ("[red]stuck[/]" if doc.get("stuck") else "not in sync")
    suspended = " (suspended)" if doc["suspended"] else ""
    console.print(f"[bold]{doc['product']}[/] is {state}{suspended} [dim](observed {doc['observed_at']})[/]")
    if doc.get("stuck"):
        console.print(
            "  [red]stuck[/]: nothing the controller may do converges it; a person must act: "
            + escape(doc["stuck"])
        )
    for name, f in doc["facets"].items():
        state = FacetState(f["state"])
        pad = " " * max(1, 9 - len(str(state).replace("_", " ")))
        console.print(
            f"  {name:<8} {_STATE_STYLE[state]}{pad}want {f['want']}, observed {escape(f['observed'])}"
        )
        if f["message"]:
            console.print(f"           [dim]{escape(f['message'])}[/]")
    if doc["obstacles"]:
        console.print("[bold]in the way[/]")
        for o in doc["obstacles"]:
            console.print(f"  [red]•[/] {o['kind']}: {escape(o['message'])}")
            if o.get("signature"):
                console.print(f"    signature: {escape(o['signature'])}")
    if doc.get("heal"):
        console.print("[bold]heal attempts[/] (of the red commit)")
        for h in doc["heal"]:
            what = h["strategy"] + (f" {h['template']}" if h["template"] else "")
            reason = f": {h['reason']}" if h["reason"] else ""
            console.print(f"  #{h['attempt']} {what} {h['status']} on {h['branch']}[dim]{escape(reason)}[/]")
            if h["patch"] and h["status"] in ("green", "proving"):
                console.print(_indented_patch(h["patch"], "     "), highlight=False)
    if doc["next"]:
        console.print("[bold]next[/] (what a reconcile would do)")
        for a in doc["next"]:
            console.print(
                f"  {a['id']}: {_VERDICT_STYLE[Verdict(a['verdict'])]} [dim]{escape(a['reason'])}[/]"
            )
    elif not doc["in_sync"]:
        console.print("[bold]next[/]: nothing the controller can do until something above changes")
