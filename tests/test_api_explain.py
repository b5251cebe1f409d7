"""`FleetSession.explain` names the controller's backoff while it lasts (read from the audit log, which
the controller writes in its own process), with the context's clock; it says each thing once, and nothing
stands in the way of an in-sync product."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from codemonkeys.api import BACKOFF_EVENT, FleetSession
from codemonkeys.context import Context
from codemonkeys.demo import Workspace
from conftest import cmctl
from test_e2e_engine import commit


def test_explain_names_a_backoff_until_it_expires(workspace: Workspace):
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    fs = FleetSession.open(workspace.fleet, Context.from_environ())
    until = (now + timedelta(seconds=40)).isoformat(timespec="seconds")
    fs.store.audit(
        BACKOFF_EVENT, "controller", {"failures": 3, "delay": 40.0, "until": until}, product="acme-text"
    )

    during = FleetSession(fs.desired, fs.store, Context(env=fs.context.env, clock=lambda: now))
    (obstacle,) = [o for o in during.explain("acme-text")["obstacles"] if o["kind"] == "controller backoff"]
    assert obstacle["message"] == f"3 failed reconcile(s) in a row: the controller tries again at {until}"

    after = FleetSession(
        fs.desired, fs.store, Context(env=fs.context.env, clock=lambda: now + timedelta(minutes=1))
    )
    assert not [o for o in after.explain("acme-text")["obstacles"] if o["kind"] == "controller backoff"]


def test_explain_of_an_in_sync_product_and_of_a_hold_says_each_thing_once(workspace: Workspace):
    """An in-sync product has nothing in its way, even while a dependency drifts (that is the dependency's
    state); a held action's approval command is printed once (its facet says it, the obstacle names the
    rule)."""
    fleet = str(workspace.fleet)
    applied = cmctl("apply", "--fleet", fleet, "--auto-approve", "-p", "acme-report")  # and acme-text
    assert applied.returncode == 0, applied.stdout + applied.stderr
    text = workspace.repos / "acme-text"
    commit(text, {"NOTES.md": "notes\n"}, "feat: notes")  # acme-text drifts: a release is due
    rules = (workspace.fleet / "constitution.yaml").read_text()
    rules += (
        "\n    - id: text-releases-wait\n      match: {actions: [release.cut], products: [acme-text]}\n"
        "      hold: {approvals: 1, approvers: [maintainers]}\n"
    )
    commit(workspace.fleet, {"constitution.yaml": rules}, "hold acme-text's releases")
    report = cmctl("explain", "acme-report", "--fleet", fleet)
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith("acme-report is in sync") and "in the way" not in report.stdout
    held = cmctl("explain", "acme-text", "--fleet", fleet)
    assert held.stdout.count("cmctl approve acme-text/release.cut") == 1, held.stdout
    rule = "acme-text/release.cut held by text-releases-wait (its facet says how to approve it)"
    assert rule in held.stdout, held.stdout
