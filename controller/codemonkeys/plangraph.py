"""The plan's DAG as a picture (``cmctl graph``, like ``terraform graph``): pure text renderers.

Where it sits in the flow: after **plan** (and its gate), beside the CLI's text rendering. It reads a
finished ``Plan`` document and returns text; it does no I/O (the CLI turns DOT into SVG with Graphviz).

What the picture shows, in both formats:

* one cluster (subgraph) per product, labelled ``NAME: in sync`` or ``NAME: drifting`` (plus
  ``, suspended``); products in plan-document order sorted by name;
* one node per action, labelled with the action kind and target (the action id without the product,
  e.g. ``release.publish/local``), the wave and the verdict, coloured by verdict: allow green, hold
  amber, deny red;
* a product without actions still appears, as one status node: ``in sync``, or ``no actions`` and the
  facets that are not in sync (a red build waiting for a fix, a suspended product);
* edges ``dependency -> action`` from ``depends_on``, dashed when they cross products;
* in DOT, actions of one wave share a rank (``rankdir=LR``: waves run left to right).

Output is deterministic: products by name, actions by (wave, id), edges by (from, to); DOT ids are
quoted, every label and tooltip escaped. Mermaid node ids are generated (``n0``, ``n1``... in that
order) because action ids are not Mermaid identifiers; Mermaid has no ranks, so waves are only in the
labels and the left-to-right edge flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from codemonkeys.vocab.plan import Action, Plan, ProductPlan, Verdict

__all__ = ["VERDICT_COLOURS", "plan_to_dot", "plan_to_mermaid"]


@dataclass(frozen=True)
class Colours:
    """A node's fill, border and text colours."""

    fill: str
    border: str
    text: str


VERDICT_COLOURS: dict[Verdict, Colours] = {
    Verdict.ALLOW: Colours("#c8e6c9", "#2e7d32", "#1b3d1f"),  # green
    Verdict.HOLD: Colours("#ffe082", "#ff8f00", "#4e3400"),  # amber
    Verdict.DENY: Colours("#ffcdd2", "#c62828", "#5c1010"),  # red
}
IN_SYNC = Colours("#ffffff", "#2e7d32", "#1b3d1f")
IDLE = Colours("#eeeeee", "#9e9e9e", "#424242")  # not in sync, yet nothing planned
LEGEND = "allow green · hold amber · deny red · dashed edges cross products"


# ---------------------------------------------------------------- the shared model of the picture


@dataclass(frozen=True)
class _Node:
    id: str  # the action id, or the product name for a product's status node
    lines: tuple[str, ...]
    colours: Colours
    tooltip: str
    wave: int | None  # None: a status node
    verdict: Verdict | None


@dataclass(frozen=True)
class _Cluster:
    product: str
    label: str
    nodes: tuple[_Node, ...]


def _target(action: Action) -> str:
    """``release.publish/local`` for ``acme/release.publish/local``: the id without its product."""
    prefix = f"{action.product}/"
    return action.id[len(prefix) :] if action.id.startswith(prefix) else action.id


def _action_node(action: Action) -> _Node:
    d = action.decision
    tip = [
        f"{action.id} (wave {action.wave})",
        action.reason,
        f"{d.verdict}" + (f" ({d.rule})" if d.rule else ""),
    ]
    if d.message:
        tip.append(d.message)
    return _Node(
        id=action.id,
        lines=(_target(action), f"wave {action.wave} · {d.verdict}"),
        colours=VERDICT_COLOURS[d.verdict],
        tooltip="\n".join(tip),
        wave=action.wave,
        verdict=d.verdict,
    )


def _status_node(name: str, product: ProductPlan) -> _Node:
    if product.in_sync:
        return _Node(name, ("in sync",), IN_SYNC, f"{name}: every facet in sync", None, None)
    lines = ["no actions"] + (["suspended"] if product.suspended else [])
    lines += [f"{facet} {f.state}" for facet, f in sorted(product.facets.items()) if not f.in_sync]
    tip = [
        f"{facet}: {f.message}" for facet, f in sorted(product.facets.items()) if not f.in_sync and f.message
    ]
    return _Node(name, tuple(lines), IDLE, "\n".join([name, *tip]), None, None)


def _clusters(plan: Plan) -> list[_Cluster]:
    by_product: dict[str, list[Action]] = {}
    for a in plan.actions:
        by_product.setdefault(a.product, []).append(a)
    clusters = []
    for name in sorted(set(plan.products) | set(by_product)):
        product = plan.products.get(name)
        state = "in sync" if product is not None and product.in_sync else "drifting"
        if product is not None and product.suspended:
            state += ", suspended"
        actions = sorted(by_product.get(name, []), key=lambda a: (a.wave, a.id))
        if actions:
            nodes = tuple(_action_node(a) for a in actions)
        else:
            assert product is not None  # a product without actions is only known from plan.products
            nodes = (_status_node(name, product),)
        clusters.append(_Cluster(name, f"{name}: {state}", nodes))
    return clusters


def _edges(plan: Plan) -> list[tuple[str, str, bool]]:
    """``(dependency, action, crosses_products)``, sorted; dependencies outside the plan are left out."""
    product_of = {a.id: a.product for a in plan.actions}
    edges = {
        (dep, a.id, product_of[dep] != a.product)
        for a in plan.actions
        for dep in a.depends_on
        if dep in product_of
    }
    return sorted(edges)


def _title(plan: Plan) -> str:
    return f"plan {plan.fingerprint[:12]} of fleet revision {plan.fleet.revision[:12]}: {plan.summary()}"


# ---------------------------------------------------------------- DOT


def _dot_string(text: str) -> str:
    """A DOT quoted string: backslashes and quotes escaped (so no escString like ``\\N`` expands),
    newlines as DOT's centred line breaks."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "")
    return '"' + escaped.replace("\n", "\\n") + '"'


def _dot_attrs(attrs: Iterable[tuple[str, str]]) -> str:
    return "[" + ", ".join(f"{k}={_dot_string(v)}" for k, v in attrs) + "]"


def _dot_node(node: _Node) -> str:
    c = node.colours
    attrs = [
        ("label", "\n".join(node.lines)),
        ("tooltip", node.tooltip),
        ("fillcolor", c.fill),
        ("color", c.border),
        ("fontcolor", c.text),
    ]
    if node.wave is None:
        attrs.append(("style", "rounded,filled,dashed"))
    return f"    {_dot_string(node.id)} {_dot_attrs(attrs)};"


def plan_to_dot(plan: Plan) -> str:
    """The plan as a Graphviz DOT digraph: products as clusters, actions as nodes coloured by verdict and
    ranked by wave, ``depends_on`` as edges (dashed across products). Deterministic; pipe it to
    ``dot -Tsvg``."""
    lines = [
        "digraph plan {",
        "  graph "
        + _dot_attrs(
            [
                ("label", f"{_title(plan)}\n{LEGEND}"),
                ("labelloc", "t"),
                ("rankdir", "LR"),
                ("newrank", "true"),
                ("fontname", "Helvetica"),
                ("nodesep", "0.3"),
                ("ranksep", "0.5"),
            ]
        )
        + ";",
        '  node [shape="box", style="rounded,filled", fontname="Helvetica", fontsize="11"];',
        '  edge [color="#616161", arrowsize="0.7"];',
    ]
    waves: dict[int, list[str]] = {}
    for cluster in _clusters(plan):
        lines.append(f"  subgraph {_dot_string('cluster_' + cluster.product)} {{")
        lines.append(
            f"    graph {_dot_attrs([('label', cluster.label), ('style', 'rounded'), ('color', '#9e9e9e')])};"
        )
        for node in cluster.nodes:
            lines.append(_dot_node(node))
            if node.wave is not None:
                waves.setdefault(node.wave, []).append(node.id)
        lines.append("  }")
    for wave in sorted(waves):
        members = " ".join(f"{_dot_string(i)};" for i in sorted(waves[wave]))
        lines.append(f"  {{ rank=same; {members} }}  // wave {wave}")
    for dep, target, crosses in _edges(plan):
        style = ' [style="dashed"]' if crosses else ""
        lines.append(f"  {_dot_string(dep)} -> {_dot_string(target)}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- Mermaid


def _mermaid_text(text: str) -> str:
    """Text inside a Mermaid ``["..."]`` label: entity codes for what Mermaid would parse, ``<br/>`` for
    newlines (``#`` first, so the codes themselves are not escaped again)."""
    for raw, code in (
        ("#", "#35;"),
        ('"', "#quot;"),
        ("&", "#amp;"),
        ("<", "#lt;"),
        (">", "#gt;"),
        ("`", "#96;"),
    ):
        text = text.replace(raw, code)
    return text.replace("\r", "").replace("\n", "<br/>")


def _mermaid_class(node: _Node) -> str:
    if node.verdict is not None:
        return str(node.verdict)
    return "insync" if node.colours == IN_SYNC else "idle"


def plan_to_mermaid(plan: Plan) -> str:
    """The plan as a Mermaid ``flowchart LR``: products as subgraphs, actions as nodes (``n0``, ``n1``...,
    labelled with kind, target, wave and verdict), ``classDef`` colours per verdict, ``depends_on`` as
    edges (dotted across products). Deterministic."""
    lines = ["flowchart LR", f"  %% {_title(plan)}", f"  %% {LEGEND}"]
    for name, c in (*((str(v), c) for v, c in VERDICT_COLOURS.items()), ("insync", IN_SYNC), ("idle", IDLE)):
        dash = ",stroke-dasharray:4 3" if name in ("insync", "idle") else ""
        lines.append(f"  classDef {name} fill:{c.fill},stroke:{c.border},color:{c.text}{dash}")
    ids: dict[str, str] = {}
    classes: dict[str, list[str]] = {}
    for p, cluster in enumerate(_clusters(plan)):
        lines.append(f'  subgraph p{p}["{_mermaid_text(cluster.label)}"]')
        lines.append("    direction LR")
        for node in cluster.nodes:
            ids[node.id] = f"n{len(ids)}"
            lines.append(f'    {ids[node.id]}["{_mermaid_text(chr(10).join(node.lines))}"]')
            classes.setdefault(_mermaid_class(node), []).append(ids[node.id])
        lines.append("  end")
    for dep, target, crosses in _edges(plan):
        lines.append(f"  {ids[dep]} {'-.->' if crosses else '-->'} {ids[target]}")
    for name in sorted(classes):
        lines.append(f"  class {','.join(classes[name])} {name}")
    return "\n".join(lines) + "\n"
