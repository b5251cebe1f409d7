"""Human rendering of plans, apply progress and status (the JSON forms are the models themselves)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from codemonkeys.vocab.plan import Action, FacetState, Plan, Verdict

_STATE_STYLE = {
    FacetState.IN_SYNC: "[green]in sync[/]",
    FacetState.DRIFT: "[yellow]drift[/]",
    FacetState.FAILED: "[red]failed[/]",
    FacetState.BLOCKED: "[magenta]blocked[/]",
    FacetState.UNKNOWN: "[red]unknown[/]",
}
_VERDICT_STYLE = {
    Verdict.ALLOW: "[green]allow[/]",
    Verdict.DENY: "[red]deny[/]",
    Verdict.HOLD: "[yellow]hold[/]",
}


def verdict_text(a: Action) -> str:
    d = a.decision
    rule = f" ({d.rule})" if d.rule else ""
    text = f"{_VERDICT_STYLE[d.verdict]}{rule}"
    if d.verdict is not Verdict.ALLOW:
        text += f": {escape(d.message)}"
    return text


def render_plan(plan: Plan, console: Console) -> None:
    by_product: dict[str, list[Action]] = {}
    for a in plan.actions:
        by_product.setdefault(a.product, []).append(a)
    for name, p in plan.products.items():
        mark = "[green]✓[/]" if p.in_sync else "[yellow]~[/]"
        suffix = " [dim](suspended: observed, not acted on)[/]" if p.suspended else ""
        console.print(f"{mark} [bold]{name}[/]{suffix}")
        for facet_name, f in p.facets.items():
            console.print(f"    {facet_name:<8} {_STATE_STYLE[f.state]:<20} [dim]{escape(f.message)}[/]")
        for a in by_product.get(name, []):
            console.print(f"    [cyan]+ {a.id}[/] [dim](wave {a.wave})[/] {verdict_text(a)}")
            console.print(f"        [dim]{escape(a.reason)}[/]")
    console.print()
    console.print(f"[bold]Plan:[/] {plan.summary()}")
