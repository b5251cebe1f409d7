"""Each attempt of an action's actuator (issue 32: the action page lists them, not a count): the executor
records every try (its number, start, duration, outcome, message, whether a failure was transient) and tells
the journal as each one ends, so a run that dies mid-action keeps what was tried; the journal stores them
redacted in ``actions.tries`` (migration 0009) and writes them all again when the action ends; a listener
that raises never fails the action; an actuator that crashes is one failed attempt. In process, over a real
SQLite store; the real controller and Chromium: tests/test_dashboard_held.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from codemonkeys.act.base import ActionResult, Outcome, Redactor
from codemonkeys.engine import executor
from codemonkeys.engine.executor import Attempt, RetryPolicy, execute
from codemonkeys.engine.journal import ActionOutcome, Journal
from codemonkeys.service.drill import tries as page_tries
from codemonkeys.store.db import ActionStatus, Store
from codemonkeys.store.migrate import upgrade
from codemonkeys.vocab.plan import Action, ActionKind

SECRET = "attempt-secret-9c2e51"
ACTION = Action(id="shop/release.cut", product="shop", kind=ActionKind("release.cut"), reason="test")


class Ctx:
    """What the executor reads of an actuator's context: its redactor."""

    redact = Redactor([SECRET])


def flaky(failures: int):
    """An actuator that fails as transient ``failures`` times (naming a secret), then succeeds."""
    calls = []

    def actuator(action, ctx):
        calls.append(1)
        if len(calls) <= failures:
            message = f"push refused with {SECRET} (try {len(calls)})"
            return ActionResult(Outcome.FAILED, message, transient=True)
        return ActionResult(Outcome.SUCCEEDED, f"released on try {len(calls)}")

    return actuator


def test_every_attempt_is_recorded_and_told_as_it_ends(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(executor, "actuator_for", lambda action: flaky(2))
    heard: list[list[Attempt]] = []
    before = datetime.now(UTC)
    done = execute(ACTION, Ctx(), RetryPolicy(attempts=3, wait=0.0), heard.append)
    assert done.result.outcome is Outcome.SUCCEEDED and done.attempts == 3
    assert [(t.number, t.outcome, t.transient) for t in done.tries] == [
        (1, "failed", True),
        (2, "failed", True),
        (3, "succeeded", False),
    ]
    assert [len(h) for h in heard] == [1, 2, 3] and heard[-1] == done.tries  # told after each one
    assert before <= done.tries[0].started_at <= done.tries[1].started_at <= done.tries[2].started_at
    assert all(t.seconds >= 0 for t in done.tries) and done.tries[1].message.endswith("(try 2)")
    as_json = done.tries[0].to_json(Ctx.redact)
    assert SECRET not in str(as_json) and as_json["outcome"] == "failed" and "***" in as_json["message"]

    def deaf(_tries):
        raise RuntimeError("the store is gone")

    monkeypatch.setattr(executor, "actuator_for", lambda action: flaky(1))
    assert execute(ACTION, Ctx(), RetryPolicy(attempts=3, wait=0.0), deaf).result.outcome is Outcome.SUCCEEDED

    def crash(action, ctx):
        raise ValueError(f"broke holding {SECRET}")

    monkeypatch.setattr(executor, "actuator_for", lambda action: crash)
    crashed = execute(ACTION, Ctx(), RetryPolicy(attempts=3, wait=0.0), heard.append)
    assert crashed.result.outcome is Outcome.FAILED and len(crashed.tries) == 1  # a bug is not retried
    assert crashed.tries[0].message == "internal error: ValueError: broke holding ***"
    assert heard[-1] == crashed.tries


def test_the_journal_keeps_each_attempt_redacted(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    journal = Journal(store, Redactor([SECRET]), who="test")
    journal.run_id = store.start_run("rev", "fp").id
    store.add_actions(journal.run_id, [{"action_id": ACTION.id, "product": "shop", "kind": "release.cut"}])
    first = Attempt(1, datetime(2024, 5, 1, 10, 0, tzinfo=UTC), 0.25, "failed", f"refused {SECRET}", True)
    journal.attempted(ACTION, [first])  # as the worker running it writes it: a crash now keeps it
    rec = store.action_record(ACTION.id)
    assert rec is not None and rec.tries == [
        {
            "number": 1,
            "started_at": "2024-05-01T10:00:00+00:00",
            "seconds": 0.25,
            "outcome": "failed",
            "message": "refused ***",
            "transient": True,
        }
    ]
    second = Attempt(2, datetime(2024, 5, 1, 10, 0, 2, tzinfo=UTC), 1.5, "succeeded", "released")
    outcome = ActionOutcome(ACTION, ActionStatus.SUCCEEDED, "released", 2, 3.0, tries=[first, second])
    journal.ended(outcome, ActionResult(Outcome.SUCCEEDED, "released"))
    rec = store.action_record(ACTION.id)
    assert rec is not None and [t["outcome"] for t in rec.tries] == ["failed", "succeeded"]
    shown = page_tries(rec)  # as the action page lists them
    assert [(t["number"], t["outcome"], t["retried"], t["seconds"]) for t in shown] == [
        (1, "failed", True, 0.25),
        (2, "succeeded", False, 1.5),
    ]
    store.engine.dispose()


def test_migration_0009_adds_and_drops_the_attempts(tmp_path: Path):
    from alembic import command

    from codemonkeys.store.migrate import _config

    engine = create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(engine, "0008")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO runs (id, kind, status, fleet_revision, fingerprint, started_at, host, pid,"
                " summary) VALUES (1, 'apply', 'succeeded', 'r', 'f', '2026-01-01', 'h', 1, '{}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO actions (run_id, action_id, product, kind, status, attempts, params, outputs,"
                " message, log) VALUES (1, 'shop/build.run', 'shop', 'build.run', 'succeeded', 2, '{}',"
                " '{}', 'ok', '')"
            )
        )
    upgrade(engine)
    store = Store(str(engine.url))
    (rec,) = store.actions(run_id=1)
    assert rec.attempts == 2 and rec.tries is None and page_tries(rec) == []  # the count, no details
    store.engine.dispose()
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0008")
    assert "tries" not in {c["name"] for c in inspect(engine).get_columns("actions")}
    engine.dispose()
