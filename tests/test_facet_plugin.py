"""A facet is a folder: a throwaway facet written into a temporary folder, installed the way a package
installs one (a ``codemonkeys.facets`` entry point in its ``.dist-info``), is validated, observed,
planned, gated and applied by the real CLI on a demo workspace. It brings its own name, action kind,
facts model and policy fact: no vocabulary entry, no store table, no planner, engine, CLI or service
code (this test writes only its temporary folder).

The throwaway ``stamp`` facet wants ``.cmctl/stamps/<product>`` to exist for products labelled
``stamp: "yes"``; ``stamp.write`` writes it; its fact ``stamp.written`` may be required by a rule.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codemonkeys.demo import Workspace
from codemonkeys.repos import run as git
from conftest import cmctl

pytestmark = pytest.mark.slow

PLUGIN = '''\
"""The throwaway facet's pure planner."""
from codemonkeys.facets.base import OWN_FACTS, FacetDraft, FacetPlugin, Ref, action_id, facet_state
from codemonkeys.vocab.plan import Action, ActionKind, FacetName, FacetState

STAMP = FacetName("stamp")
WRITE = ActionKind("stamp.write")


class StampFacet(FacetPlugin):
    name = STAMP
    fact = "stamp.written"
    establishes = WRITE
    facts_field = OWN_FACTS
    facts_model = bool
    observer = Ref("cm_throwaway.observer", "observe_stamp")
    actuators = {WRITE: Ref("cm_throwaway.actuators", "write_stamp")}
    column = False

    def wants(self, product):
        return "stamped" if product.metadata.labels.get("stamp") == "yes" else None

    def plan(self, inp):
        if self.observed(inp.facts):
            return FacetDraft(facet_state("stamped", "stamped", FacetState.IN_SYNC))
        aid = action_id(inp.name, WRITE)
        action = Action(
            id=aid, product=inp.name, kind=WRITE, reason="stamp: not written", depends_on=list(inp.after)
        )
        state = facet_state("stamped", "missing", FacetState.DRIFT, "not written")
        return FacetDraft(state, (action,), chain=(aid,))
'''
OBSERVER = '''\
"""The throwaway facet's observer."""


def observe_stamp(run, name, git):
    return (run.desired.state_dir / "stamps" / name).is_file()
'''
ACTUATORS = '''\
"""The throwaway facet's actuator."""
from codemonkeys.act.base import ActionResult, Outcome


def write_stamp(action, ctx):
    path = ctx.desired.state_dir / "stamps" / action.product
    if path.is_file():
        return ActionResult(Outcome.NOOP, "already stamped")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("stamped\\n")
    return ActionResult(Outcome.SUCCEEDED, f"stamped {action.product}")
'''


def install_throwaway_facet(site: Path) -> None:
    package = site / "cm_throwaway"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A facet from a temporary folder."""\n')
    (package / "plugin.py").write_text(PLUGIN)
    (package / "observer.py").write_text(OBSERVER)
    (package / "actuators.py").write_text(ACTUATORS)
    info = site / "cm_throwaway-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cm-throwaway\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[codemonkeys.facets]\nstamp = cm_throwaway.plugin:StampFacet\n")


def test_a_facet_from_a_temporary_folder_is_planned_gated_and_applied(workspace: Workspace, tmp_path: Path):
    site = tmp_path / "site"
    install_throwaway_facet(site)
    env = {"PYTHONPATH": str(site)}
    product = workspace.fleet / "products" / "acme" / "acme-text.yaml"
    product.write_text(
        product.read_text().replace("    tier: library\n", '    tier: library\n    stamp: "yes"\n')
    )
    constitution = workspace.fleet / "constitution.yaml"
    constitution.write_text(
        constitution.read_text().replace(
            "  rules:\n",
            "  rules:\n"
            "    - id: allow-stamps\n      match: {actions: [stamp.write]}\n"
            "    - id: announce-only-stamped\n      match: {actions: [announce.post]}\n"
            "      require: [stamp.written]\n",
            1,
        )
    )
    git(["add", "-A"], workspace.fleet)
    git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "stamp acme-text"], workspace.fleet)
    fleet = str(workspace.fleet)

    # without the plug-in the fleet is invalid: its fact is unknown to the registry (fail closed)
    r = cmctl("validate", "--fleet", fleet)
    assert r.returncode == 1 and "unknown fact 'stamp.written'" in r.stderr, r.stderr
    r = cmctl("validate", "--fleet", fleet, env=env)
    assert r.returncode == 0, r.stderr

    r = cmctl("plan", "--json", "-p", "acme-text", "--fleet", fleet, env=env)
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    stamp = next(a for a in plan["actions"] if a["id"] == "acme-text/stamp.write")
    assert stamp["decision"]["verdict"] == "allow" and stamp["decision"]["rule"] == "allow-stamps", stamp
    assert plan["products"]["acme-text"]["facets"]["stamp"]["state"] == "drift"

    r = cmctl("apply", "--auto-approve", "-p", "acme-text", "--fleet", fleet, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (workspace.fleet / ".cmctl" / "stamps" / "acme-text").read_text() == "stamped\n"
    r = cmctl("plan", "--detailed-exitcode", "-p", "acme-text", "--fleet", fleet, env=env)
    assert r.returncode == 0, r.stdout + r.stderr  # converged: the observer sees the stamp

    # its fact is in the constitution's JSON Schema, generated from the registry
    r = cmctl("schema", "export", str(tmp_path / "schemas"), env=env)
    assert r.returncode == 0, r.stderr
    assert "stamp.written" in (tmp_path / "schemas" / "constitution.schema.json").read_text()


def test_a_plug_in_that_cannot_be_loaded_is_an_error_naming_it(tmp_path: Path):
    site = tmp_path / "site"
    install_throwaway_facet(site)
    (site / "cm_throwaway" / "plugin.py").write_text("raise ImportError('broken on purpose')\n")
    r = cmctl("validate", "--fleet", str(tmp_path), env={"PYTHONPATH": str(site)})
    assert r.returncode != 0
    assert (
        "facet plug-in stamp (cm_throwaway.plugin:StampFacet) cannot be loaded: broken on purpose" in r.stderr
    )


def test_a_plug_in_never_shadows_the_core(tmp_path: Path):
    for name, (old, new), expected in [
        (
            "a core fact",
            ('fact = "stamp.written"', 'fact = "build.green"'),
            "establishes registered facts: build.green",
        ),
        (
            "a core field",
            ("facts_field = OWN_FACTS", 'facts_field = "build"'),
            "must keep its facts in its own model",
        ),
        (
            "a core kind",
            ('WRITE = ActionKind("stamp.write")', 'WRITE = ActionKind("build.run")'),
            "must be its own",
        ),
    ]:
        site = tmp_path / name.replace(" ", "-")
        install_throwaway_facet(site)
        plugin = site / "cm_throwaway" / "plugin.py"
        assert old in plugin.read_text(), name
        plugin.write_text(plugin.read_text().replace(old, new))
        r = cmctl("validate", "--fleet", str(tmp_path), env={"PYTHONPATH": str(site)})
        assert r.returncode != 0 and expected in r.stderr, (name, r.stderr[-600:])
