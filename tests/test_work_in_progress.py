"""Work in progress and honest records (issue 32), on a real demo workspace and its real store: an action
running in another process shows as ``running`` (fleet rows, ``status``, the grid's state) with its
elapsed and newest line; an apply's events reach the dashboard's bus (started, throttled progress,
finished, with the run); a hold or block that does not change is audited once, not at every apply;
the audit actor is who applied (a controller passes ``controller@host``)."""

from __future__ import annotations

import queue

from codemonkeys.api import Context, FleetSession
from codemonkeys.demo import Workspace
from codemonkeys.engine.journal import ActionOutcome
from codemonkeys.service.events import ActionEvents, EventBus
from codemonkeys.service.views import status as grid_state
from codemonkeys.service.workers import controller_identity
from codemonkeys.store.db import ActionStatus
from conftest import cmctl
from test_e2e_policy import add_rules

HOLD_RULE = """\
    - id: text-releases-need-owner
      match: {actions: [release.cut], products: [acme-text]}
      hold: {approvals: 1, approvers: [maintainers]}
"""


def _running_action(fs: FleetSession, action_id: str, log: str) -> int:
    """Journal ``action_id`` as running in a run still running (as an apply in another process does)."""
    store = fs.store
    run = store.start_run("rev", "fp")
    product, kind = action_id.split("/")[0], action_id.split("/")[1]
    store.add_actions(
        run.id,
        [{"action_id": action_id, "product": product, "kind": kind, "params": {}, "status": "pending"}],
    )
    from codemonkeys.store.db import utcnow

    store.update_action(run.id, action_id, status=ActionStatus.RUNNING, started_at=utcnow())
    store.append_log(run.id, action_id, log)
    return run.id


def test_a_running_action_shows_in_rows_status_and_the_grid(workspace: Workspace):
    fs = FleetSession.open(workspace.fleet, Context.from_environ())
    assert fs.running() == {}
    run = _running_action(fs, "acme-text/build.run", "$ pytest -q\n....\n\n")
    rows = {r["name"]: r for r in fs.fleet()}
    running = rows["acme-text"]["running"]
    assert (running["action"], running["run"], running["kind"]) == ("acme-text/build.run", run, "build.run")
    assert running["last_line"] == "...." and 0 <= running["elapsed"] < 60
    assert rows["acme-report"]["running"] is None
    assert grid_state(rows["acme-text"]) == "running" and grid_state(rows["acme-report"]) != "running"
    assert fs.status()["products"]["acme-text"]["running"]["action"] == "acme-text/build.run"
    said = cmctl("status", "--fleet", str(workspace.fleet))
    assert said.returncode == 0 and f"running acme-text/build.run (run {run}, " in said.stdout, said.stdout
    assert "s): ...." in said.stdout
    fs.store.finish_run(run, "failed", {})  # its run ended (or was marked interrupted): no longer running
    assert fs.running() == {}


def test_apply_events_reach_the_bus_with_their_run_and_throttled_progress(workspace: Workspace):
    fs = FleetSession.open(workspace.fleet, Context.from_environ())
    bus = EventBus()
    sub = bus.subscribe()
    plan = fs.plan(["acme-text"])
    build = next(a for a in plan.actions if a.id == "acme-text/build.run")
    only_build = plan.model_copy(update={"actions": [build]})
    applied = fs.apply(only_build, on_event=ActionEvents(bus, fs.store, every=3600))
    events = []
    while True:
        try:
            events.append(sub.get_nowait())
        except queue.Empty:
            break
    kinds = [e["event"] for e in events]
    assert kinds[0] == "action.started" and kinds[-1] == "action.finished", kinds
    assert kinds.count("action.progress") == 1  # output came in several chunks; one a hour is allowed
    assert all(e["run"] == applied.report.run_id and e["action"] == "acme-text/build.run" for e in events)
    assert events[-1]["status"] == "succeeded"
    assert events[1]["line"].strip()


def test_a_listener_that_raises_does_not_break_the_apply(workspace: Workspace):
    class Broken:
        def action_record(self, *_):
            raise RuntimeError("store gone")

    events = ActionEvents(EventBus(), Broken())
    fs = FleetSession.open(workspace.fleet, Context.from_environ())
    plan = fs.plan(["acme-text"])
    build = next(a for a in plan.actions if a.id == "acme-text/build.run")
    events("start", build, None)  # swallowed
    events("done", build, ActionOutcome(build, ActionStatus.SUCCEEDED, "ok"))


def test_an_unchanged_hold_is_audited_once_and_the_actor_is_who_applied(workspace: Workspace):
    add_rules(workspace, HOLD_RULE)
    fs = FleetSession.open(workspace.fleet, Context.from_environ())
    plan = fs.plan(["acme-text"])
    assert {a.id: str(a.decision.verdict) for a in plan.actions}["acme-text/release.cut"] == "hold"
    me = controller_identity()
    assert me.startswith("controller@")
    for _ in range(3):  # a controller's resyncs: the same hold (and the block behind it) each time
        fs.apply(plan, who=me)
    audit = fs.audit(limit=None)
    holds = [r for r in audit if r["event"] == "action.hold"]
    blocked = [r for r in audit if r["event"] == "action.blocked"]
    assert len(holds) == 1 and holds[0]["action_id"] == "acme-text/release.cut"
    assert len(blocked) == 1 and blocked[0]["action_id"] == "acme-text/release.publish/local"
    assert len([r for r in audit if r["event"] == "run.started"]) == 3  # the runs themselves are recorded
    assert {r["actor"] for r in audit if r["run_id"] is not None} == {me}
    # a changed decision is recorded again: the hold now names another rule
    add_rules(workspace, HOLD_RULE.replace("text-releases-need-owner", "text-releases-need-two"))
    fs = FleetSession.open(workspace.fleet, Context.from_environ())
    fs.apply(fs.plan(["acme-text"]), who=me)
    assert len([r for r in fs.audit(limit=None) if r["event"] == "action.hold"]) == 2
