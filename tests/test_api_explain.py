"""`FleetSession.explain` names the controller's backoff while it lasts (read from the audit log, which
the controller writes in its own process), with the context's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from codemonkeys.api import BACKOFF_EVENT, FleetSession
from codemonkeys.context import Context
from codemonkeys.demo import Workspace


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
