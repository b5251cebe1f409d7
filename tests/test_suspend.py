"""Suspend and resume from the CLI (`cmctl controller suspend/resume`): kept in the state database, so
every controller process sharing it honours it; a suspended product is observed, never acted on."""

from __future__ import annotations

from codemonkeys.api import FleetSession
from codemonkeys.context import Context
from codemonkeys.demo import Workspace
from conftest import cmctl


def test_a_suspended_product_is_observed_and_never_acted_on(workspace: Workspace):
    fleet = str(workspace.fleet)
    r = cmctl("controller", "suspend", "acme-text", "--as", "ann", "--fleet", fleet)
    assert r.returncode == 0 and "acme-text suspended" in r.stdout, r.stderr
    assert "already suspended" in cmctl("controller", "suspend", "acme-text", "--fleet", fleet).stdout
    bad = cmctl("controller", "suspend", "nope", "--fleet", fleet)
    assert bad.returncode == 1 and "unknown product(s): nope" in bad.stderr

    fs = FleetSession.open(workspace.fleet, Context.from_environ())  # what every controller process runs
    assert fs.paused()["acme-text"]["by"] == "ann"
    done = fs.reconcile("acme-text")
    assert done.outcome == "suspended" and done.report is None
    assert done.plan.products["acme-text"].facets["build"].state != "in_sync"  # observed all the same
    assert fs.runs() == []  # nothing applied

    assert (
        "acme-text resumed"
        in cmctl("controller", "resume", "acme-text", "--as", "bob", "--fleet", fleet).stdout
    )
    assert fs.paused() == {}
    events = [(a["event"], a["actor"]) for a in fs.audit("acme-text")]
    assert ("controller.suspended", "ann") in events and ("controller.resumed", "bob") in events
