"""`cmctl graph`: the plan's DAG as DOT, SVG (Graphviz) and Mermaid.

Unit: ``plan_to_dot`` and ``plan_to_mermaid`` on plans built from golden plan cases (desired + observed
data: ``tests/cases/graph/fleet.yaml`` has every verdict, an edge across products, a product in sync, one
with nothing to do and a suspended one; ``tests/cases/plan/policy_verdicts.yaml``), compared exactly
with the files next to it in ``tests/cases/graph/`` (``CASE.dot``, ``CASE.mmd``). After an intended
change of the picture, regenerate them and review the diff:

    CM_UPDATE_GOLDEN=1 PYTHONPATH=controller .venv/bin/python -m pytest -q tests/test_cli_graph.py -k golden

(each test writes its file, then fails with "regenerated"; CI refuses the variable).

Real: the real `cmctl graph` on the demo workspace, the DOT rendered by the real Graphviz (``dot``;
under CI=true a missing Graphviz fails, it is not skipped), the SVG read as XML.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from codemonkeys.demo import Workspace
from codemonkeys.plan.planner import plan
from codemonkeys.plangraph import VERDICT_COLOURS, plan_to_dot, plan_to_mermaid
from codemonkeys.repos import run as git
from codemonkeys.vocab.plan import Plan, Verdict
from conftest import CASES, cmctl
from golden import check
from need import need_program
from test_plan_golden import NOW, load_case

GRAPH = CASES / "graph"
GOLDEN_CASES = {"fleet": GRAPH / "fleet.yaml", "policy_verdicts": CASES / "plan" / "policy_verdicts.yaml"}
SVG = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"
GRAPHVIZ_HINT = "apt-get install graphviz (./scripts/test installs it)"


def case_plan(path: Path) -> Plan:
    case, desired, observed, gate = load_case(path)
    return plan(desired, observed, gate, NOW, only=case.get("only"))


def render_svg(dot_text: str) -> ET.Element:
    """The real Graphviz renders the DOT; the SVG must be well-formed XML."""
    dot = need_program("dot", GRAPHVIZ_HINT)
    done = subprocess.run([dot, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return ET.fromstring(done.stdout)


def svg_nodes(root: ET.Element) -> dict[str, ET.Element]:
    """Graphviz's node groups (``<g class="node">``) by their title (the node id)."""
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    by_title = {g.find(f"{SVG}title").text: g for g in nodes}
    assert len(by_title) == len(nodes)
    return by_title


def node_fill(node: ET.Element) -> str:
    return next(e.get("fill") for e in node.iter() if e.tag in (f"{SVG}path", f"{SVG}polygon"))


# ---------------------------------------------------------------- unit: golden pictures of golden plans


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_dot_golden(name: str):
    check(GRAPH / f"{name}.dot", plan_to_dot(case_plan(GOLDEN_CASES[name])))


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_mermaid_golden(name: str):
    check(GRAPH / f"{name}.mmd", plan_to_mermaid(case_plan(GOLDEN_CASES[name])))


def test_golden_dot_renders_with_graphviz_and_labels_survive_escaping():
    result = case_plan(GOLDEN_CASES["fleet"])
    root = render_svg(plan_to_dot(result))
    nodes = svg_nodes(root)
    # one node per action, plus one status node per product without actions (done, red, frozen)
    assert set(nodes) == {a.id for a in result.actions} | {"done", "red", "frozen"}
    for a in result.actions:
        assert node_fill(nodes[a.id]) == VERDICT_COLOURS[a.decision.verdict].fill, a.id
    assert {a.decision.verdict for a in result.actions} == set(Verdict)
    denied = nodes["gx/release.publish/local"]
    tooltip = next(e.get(XLINK_TITLE) for e in denied.iter() if e.get(XLINK_TITLE))
    assert tooltip.splitlines()[-1] == 'globex publishes "by hand" \\o/ <never> & #1'
    texts = [t.text for t in denied.iter(f"{SVG}text")]
    assert texts == ["release.publish/local", "wave 2 · deny"]
    clusters = {g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"}
    assert clusters == {f"cluster_{name}" for name in result.products}


def test_output_does_not_depend_on_the_order_of_the_plan_document():
    result = case_plan(GOLDEN_CASES["fleet"])
    shuffled = result.model_copy(
        update={
            "actions": list(reversed(result.actions)),
            "products": dict(reversed(list(result.products.items()))),
        }
    )
    assert plan_to_dot(shuffled) == plan_to_dot(result)
    assert plan_to_mermaid(shuffled) == plan_to_mermaid(result)


def test_mermaid_has_subgraphs_classes_and_cross_product_edges():
    text = plan_to_mermaid(case_plan(GOLDEN_CASES["fleet"]))
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert sum(1 for line in lines if line.strip().startswith("subgraph ")) == 6
    assert sum(1 for line in lines if line.strip() == "end") == 6
    for verdict, colours in VERDICT_COLOURS.items():
        assert f"  classDef {verdict} fill:{colours.fill},stroke:{colours.border}," in text
    assert sum(1 for line in lines if " -.-> " in line) == 1  # lib's publish -> app's release.cut


# ---------------------------------------------------------------- real: cmctl graph on the demo workspace


def add_rules(ws: Workspace, text: str) -> None:
    path = ws.fleet / "constitution.yaml"
    path.write_text(path.read_text().rstrip("\n") + "\n" + text)
    git(["commit", "-qam", "constitution: graph test rules"], ws.fleet)


def planned(ws: Workspace, *args: str) -> list[dict]:
    r = cmctl("plan", "--json", "--fleet", str(ws.fleet), *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["actions"]


def test_dot_on_the_demo_parses_with_graphviz_and_names_every_action(workspace: Workspace):
    actions = planned(workspace)
    r = cmctl("graph", "--fleet", str(workspace.fleet), "--format", "dot")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("digraph plan {")
    for a in actions:
        assert f'"{a["id"]}" [label=' in r.stdout
    assert set(svg_nodes(render_svg(r.stdout))) == {a["id"] for a in actions}


def test_svg_on_the_demo_has_one_node_per_action_in_its_verdict_colour(workspace: Workspace, tmp_path: Path):
    need_program("dot", GRAPHVIZ_HINT)
    add_rules(
        workspace,
        """\
    - id: globex-publishes-by-hand
      match: {actions: [release.publish], companies: [globex]}
      deny: {message: Globex releases are published by hand}
    - id: cli-releases-need-an-owner
      match: {actions: [release.cut], products: [acme-cli]}
      hold: {approvals: 1, approvers: [maintainers]}
""",
    )
    actions = planned(workspace)
    verdicts = {a["id"]: Verdict(a["decision"]["verdict"]) for a in actions}
    assert set(verdicts.values()) == set(Verdict)
    out = tmp_path / "plan.svg"
    r = cmctl("graph", "--fleet", str(workspace.fleet), "--format", "svg", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert f"wrote {out} (svg): {len(actions)} actions in 5 products" in r.stderr
    root = ET.fromstring(out.read_text())
    nodes = svg_nodes(root)
    assert len(nodes) == len(actions)  # every demo product drifts: no status nodes
    assert {title: node_fill(g) for title, g in nodes.items()} == {
        i: VERDICT_COLOURS[v].fill for i, v in verdicts.items()
    }
    assert verdicts["globex-hash/release.publish/local"] is Verdict.DENY
    assert verdicts["acme-cli/release.cut"] is Verdict.HOLD


def test_product_limits_the_picture_to_it_and_what_it_depends_on(workspace: Workspace):
    r = cmctl("graph", "--fleet", str(workspace.fleet), "--product", "acme-report")
    assert r.returncode == 0, r.stderr
    nodes = set(svg_nodes(render_svg(r.stdout)))
    assert nodes == {a["id"] for a in planned(workspace, "--product", "acme-report")}
    assert "acme-text/release.publish/local" in nodes and "acme-report/release.cut" in nodes
    assert '"acme-text/release.publish/local" -> "acme-report/release.cut" [style="dashed"];' in r.stdout
    assert not any(n.startswith(("globex-", "acme-cli")) for n in nodes)
    assert "globex" not in r.stdout and "acme-cli" not in r.stdout


def test_svg_without_graphviz_fails_naming_the_package_while_dot_still_works(
    workspace: Workspace, tmp_path: Path
):
    bin_dir = tmp_path / "bin"  # git, but no dot
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git"))
    env = {"PATH": str(bin_dir)}
    out = tmp_path / "plan.svg"
    r = cmctl("graph", "--fleet", str(workspace.fleet), "--format", "svg", "-o", str(out), env=env)
    assert r.returncode == 1
    assert "apt-get install graphviz" in r.stderr and "dot" in r.stderr
    assert not out.exists()
    r = cmctl("graph", "--fleet", str(workspace.fleet), "--format", "dot", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("digraph plan {")
