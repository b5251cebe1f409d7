"""The engine's failure paths, through the real `cmctl apply` (planner, gate, engine, executor, journal,
audit chain, SQLite store): an actuator whose failure is transient is retried and then succeeds; an
actuator that raises becomes a failed action "internal error: <type>: <message>" (redacted), its
dependent is skipped, the independent action still runs, the run is finished as failed and the journal
and the audit chain stay whole.

The actuators come from a throwaway facet, ``chaos``, installed from a temporary folder the way a package
installs one (a ``codemonkeys.facets`` entry point), as tests/test_facet_plugin.py does: ``chaos.flaky``
fails as transient twice, then succeeds (its tries are counted in a file); ``chaos.crash`` raises with a
secret the process holds in its message; ``chaos.after`` waits for the crash.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import cmctl
from solo_fleet import solo_fleet

pytestmark = pytest.mark.slow

SECRET = "chaos-secret-6d1f0b"

PLUGIN = '''\
"""The chaos facet's pure planner: three actions for a product labelled chaos=yes until it is done."""
from codemonkeys.facets.base import OWN_FACTS, FacetDraft, FacetPlugin, Ref, action_id, facet_state
from codemonkeys.vocab.plan import Action, ActionKind, FacetName, FacetState

CHAOS = FacetName("chaos")
FLAKY, CRASH, AFTER = ActionKind("chaos.flaky"), ActionKind("chaos.crash"), ActionKind("chaos.after")


class ChaosFacet(FacetPlugin):
    name = CHAOS
    fact = "chaos.done"
    establishes = FLAKY
    facts_field = OWN_FACTS
    facts_model = bool
    observer = Ref("cm_chaos.observer", "observe_chaos")
    actuators = {
        FLAKY: Ref("cm_chaos.actuators", "flaky"),
        CRASH: Ref("cm_chaos.actuators", "crash"),
        AFTER: Ref("cm_chaos.actuators", "after"),
    }
    column = False

    def wants(self, product):
        return "done" if product.metadata.labels.get("chaos") == "yes" else None

    def plan(self, inp):
        if self.observed(inp.facts):
            return FacetDraft(facet_state("done", "done", FacetState.IN_SYNC))
        ids = {kind: action_id(inp.name, kind) for kind in (FLAKY, CRASH, AFTER)}
        actions = (
            Action(id=ids[FLAKY], product=inp.name, kind=FLAKY, reason="chaos", depends_on=list(inp.after)),
            Action(id=ids[CRASH], product=inp.name, kind=CRASH, reason="chaos", depends_on=list(inp.after)),
            Action(id=ids[AFTER], product=inp.name, kind=AFTER, reason="chaos", depends_on=[ids[CRASH]]),
        )
        state = facet_state("done", "not done", FacetState.DRIFT, "not done")
        return FacetDraft(state, actions, chain=(ids[FLAKY], ids[AFTER]))
'''
OBSERVER = '''\
"""The chaos facet's observer: done once the flaky action succeeded and the crash was mended."""


def observe_chaos(run, name, git):
    return (run.desired.state_dir / "chaos" / f"{name}.done").is_file()
'''
ACTUATORS = '''\
"""The chaos facet's actuators."""
import os

from codemonkeys.act.base import ActionResult, Outcome


def flaky(action, ctx):
    tries = ctx.desired.state_dir / "chaos" / f"{action.product}.tries"
    tries.parent.mkdir(parents=True, exist_ok=True)
    n = int(tries.read_text()) + 1 if tries.is_file() else 1
    tries.write_text(str(n))
    if n < 3:
        return ActionResult(Outcome.FAILED, f"the registry answered 503 (try {n})", transient=True)
    return ActionResult(Outcome.SUCCEEDED, f"published on try {n}")


def crash(action, ctx):
    raise RuntimeError("the actuator broke while holding " + os.environ["CMCTL_SECRET_CHAOS_KEY"])


def after(action, ctx):
    return ActionResult(Outcome.SUCCEEDED, "ran after the crash")
'''


def install_chaos_facet(site: Path) -> None:
    """The chaos facet as an installed package in ``site`` (put it on PYTHONPATH)."""
    package = site / "cm_chaos"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A facet whose actuators fail on purpose."""\n')
    (package / "plugin.py").write_text(PLUGIN)
    (package / "observer.py").write_text(OBSERVER)
    (package / "actuators.py").write_text(ACTUATORS)
    info = site / "cm_chaos-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cm-chaos\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[codemonkeys.facets]\nchaos = cm_chaos.plugin:ChaosFacet\n")


def chaos_fleet(root: Path) -> Path:
    """A fleet of one product (a real git repo) with nothing to do but the chaos facet's actions."""
    rules = "    - id: allow-chaos\n      match: {actions: [chaos.flaky, chaos.crash, chaos.after]}\n"
    return solo_fleet(root, rules=rules, labels="{chaos: 'yes'}")


def test_a_transient_failure_is_retried_and_a_crash_is_an_internal_error_in_an_intact_journal(tmp_path: Path):
    site = tmp_path / "site"
    install_chaos_facet(site)
    fleet = chaos_fleet(tmp_path)
    env = {"PYTHONPATH": str(site), "CMCTL_SECRET_CHAOS_KEY": SECRET}

    r = cmctl("apply", "--auto-approve", "--json", "--fleet", str(fleet), env=env)
    assert r.returncode == 1, r.stdout + r.stderr  # a failure: the apply exits 1 ...
    assert SECRET not in r.stdout + r.stderr  # ... and never shows the secret the crash held
    done = {e["action"]: e for e in map(json.loads, r.stdout.splitlines()) if e["type"] == "action_done"}
    assert {a: e["status"] for a, e in done.items()} == {
        "solo/chaos.flaky": "succeeded",
        "solo/chaos.crash": "failed",
        "solo/chaos.after": "skipped",
    }, done
    assert (fleet / ".cmctl" / "chaos" / "solo.tries").read_text() == "3"  # two 503s, then success

    with sqlite3.connect(fleet / ".cmctl" / "state.db") as conn:
        journal = {
            row[0]: row[1:]
            for row in conn.execute("select action_id, status, attempts, message, run_id from actions")
        }
        runs = conn.execute("select id, status, finished_at from runs").fetchall()
        dump = "\n".join(conn.iterdump())
    (run_id, status, finished_at) = runs[0]
    assert len(runs) == 1 and status == "failed" and finished_at is not None, runs  # finished, not running
    assert journal["solo/chaos.flaky"] == ("succeeded", 3, "published on try 3", run_id)
    crashed = journal["solo/chaos.crash"]
    assert crashed[:2] == ("failed", 1), crashed  # a bug is not retried
    assert crashed[2] == "internal error: RuntimeError: the actuator broke while holding ***", crashed
    assert journal["solo/chaos.after"][0] == "skipped", journal
    assert SECRET not in dump  # nowhere in the store

    verify = cmctl("audit", "verify", "--fleet", str(fleet), env=env)
    assert verify.returncode == 0 and "audit chain intact" in verify.stdout, verify.stdout + verify.stderr
    audit = cmctl("audit", "--json", "--limit", "0", "--fleet", str(fleet), env=env)
    events = [(e["event"], e["action_id"]) for e in json.loads(audit.stdout)]
    assert events[0] == ("run.started", None) and events[-1] == ("run.finished", None), events
    assert ("action.failed", "solo/chaos.crash") in events and (
        "action.succeeded",
        "solo/chaos.flaky",
    ) in events
