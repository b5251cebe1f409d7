"""What `cmctl apply` shows while it works (issue 32): the real CLI's `apply --json` event stream over the
demo, a long action's "still running" lines with its newest output when not on a terminal, and the live
panel's rows on one."""

from __future__ import annotations

import io
import json
import time

from rich.console import Console

from codemonkeys.cli.progress import ApplyProgress, JsonEvents, newest_line, took
from codemonkeys.demo import Workspace
from codemonkeys.engine.journal import ActionOutcome
from codemonkeys.store.db import ActionStatus
from codemonkeys.vocab.plan import Action
from conftest import cmctl


def _action(aid: str = "acme-web/deploy.rollout/staging", predicted: float | None = 45.0) -> Action:
    product, kind = aid.split("/")[0], aid.split("/")[1]
    return Action.model_validate(
        {
            "id": aid,
            "product": product,
            "kind": kind,
            "reason": "rollout",
            "wave": 1,
            "decision": {"verdict": "allow", "rule": "allow-deploy"},
            "predicted_s": predicted,
        }
    )


def test_apply_json_streams_one_event_per_line_and_a_summary(workspace: Workspace):
    fleet = str(workspace.fleet)
    r = cmctl("apply", "--json", "--fleet", fleet)
    assert r.returncode == 1 and "--json needs --auto-approve" in r.stderr
    r = cmctl("apply", "--json", "--auto-approve", "-p", "acme-text", "--fleet", fleet)
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]  # every line is one JSON object
    types = [e["type"] for e in events]
    planned = [e["action"] for e in events if e["type"] == "planned"]
    assert types[: len(planned)] == ["planned"] * len(planned) and "acme-text/build.run" in planned
    assert types[-1] == "summary" and events[-1]["ok"] is True
    assert events[-1]["counts"] == {"succeeded": len(planned)}
    for aid in planned:  # each action starts, then ends, in that order
        mine = [e["type"] for e in events if e.get("action") == aid and e["type"] != "planned"]
        assert mine[0] == "action_start" and mine[-1] == "action_done", (aid, mine)
        assert set(mine[1:-1]) <= {"action_output"}
    build_output = [e["line"] for e in events if e["type"] == "action_output" and e["kind"] == "build.run"]
    assert any("passed" in line or "ok" in line for line in build_output), build_output  # the test runner's
    assert all(e["@timestamp"] for e in events)


def test_a_long_action_says_it_is_still_running_with_its_newest_line():
    buf = io.StringIO()
    console = Console(file=buf, width=200, no_color=True)
    a = _action()
    with ApplyProgress(console, live=False, every=0.3) as progress:
        progress("start", a, None)
        progress("output", a, "TASK [copy release]\n\nok: [staging-1]\n")
        time.sleep(1.5)  # the ticker looks every second; 0.3 s have long passed
        progress("done", a, ActionOutcome(a, ActionStatus.SUCCEEDED, "rolled out", 1, 1.5))
    text = buf.getvalue()
    assert "▶ acme-web/deploy.rollout/staging" in text
    still = [ln for ln in text.splitlines() if "still running" in ln]
    assert still and "of ~45 s" in still[0] and still[0].endswith(": ok: [staging-1]"), text
    assert "rolled out" in text.splitlines()[-1]
    n = len(still)
    time.sleep(1.2)  # finished and closed: nothing more is said of it
    assert len([ln for ln in buf.getvalue().splitlines() if "still running" in ln]) == n


def test_the_live_panel_shows_each_running_action_with_its_time_and_line():
    console = Console(file=io.StringIO(), width=200, no_color=True)
    progress = ApplyProgress(console, live=True)
    a, b = _action(), _action("acme-text/build.run", predicted=None)
    progress("start", a, None)
    progress("start", b, None)
    progress("output", b, "$ pytest -q\n....\n")
    shown = Console(file=io.StringIO(), width=200, no_color=True)
    shown.print(progress._render())
    rows = shown.file.getvalue().splitlines()
    assert any("acme-web/deploy.rollout/staging" in r and "of ~45 s" in r for r in rows), rows
    assert any("acme-text/build.run" in r and r.rstrip().endswith("....") for r in rows), rows
    progress("done", a, ActionOutcome(a, ActionStatus.FAILED, "boom", 1, 0.1))
    shown = Console(file=io.StringIO(), width=200, no_color=True)
    shown.print(progress._render())
    assert "deploy.rollout" not in shown.file.getvalue()


def test_json_events_are_lines_of_json_with_the_output_split():
    buf = io.StringIO()
    events = JsonEvents(buf)
    a = _action()
    events("start", a, None)
    events("output", a, "one\n\ntwo\n")
    events("done", a, ActionOutcome(a, ActionStatus.SUCCEEDED, "done", 2, 3.25))
    docs = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert [d["type"] for d in docs] == ["action_start", "action_output", "action_output", "action_done"]
    assert [d["line"] for d in docs if d["type"] == "action_output"] == ["one", "two"]
    assert docs[-1]["attempts"] == 2 and docs[-1]["duration_s"] == 3.25 and docs[-1]["status"] == "succeeded"


def test_helpers():
    assert newest_line("a\nb  \n\n") == "b" and newest_line("\n \n") == ""
    assert took(3.21, None) == "3.2 s" and took(12.4, 45.0) == "12 s of ~45 s"
