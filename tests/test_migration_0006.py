"""Migration 0006: an action the gate blocked, journaled as one ``deny: RULE: message`` line before, gets its
verdict and rule as columns (the message keeps the rule's own text); the reader shows the same line."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from codemonkeys.store.db import Store
from codemonkeys.store.migrate import upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("postgres_url")


def test_blocked_actions_on_record_get_their_verdict_and_rule(url: str) -> None:
    engine = create_engine(url)
    upgrade(engine, "0005")
    rows = {  # action id -> (status, message as journaled before)
        "globex-hash/release.publish/pypi": ("blocked", "deny: no-publish-globex: Globex publishes by hand"),
        "acme-text/release.cut": ("blocked", "hold: maintainers-approve: needs 1 approval: a: b"),
        "acme-cli/build.run": ("blocked", "skipped: dependency acme-text/release.cut"),
        "acme-web/docs.build": ("succeeded", "deny: not a verdict, a message"),
    }
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO runs (id, kind, status, fleet_revision, fingerprint, started_at, host, pid,"
                " summary) VALUES (1, 'apply', 'failed', 'r', 'f', '2026-01-01', 'h', 1, '{}')"
            )
        )
        for action_id, (status, message) in rows.items():
            conn.execute(
                text(
                    "INSERT INTO actions (run_id, action_id, product, kind, status, attempts, params,"
                    " outputs, message, log) VALUES (1, :a, :p, 'k', :s, 0, '{}', '{}', :m, '')"
                ),
                {"a": action_id, "p": action_id.split("/")[0], "s": status, "m": message},
            )
    upgrade(engine)
    store = Store(url)
    got = {r.action_id: (r.verdict, r.rule, r.message, r.text) for r in store.actions(run_id=1)}
    assert got["globex-hash/release.publish/pypi"] == (
        "deny",
        "no-publish-globex",
        "Globex publishes by hand",
        "deny: no-publish-globex: Globex publishes by hand",
    )
    assert got["acme-text/release.cut"][:3] == ("hold", "maintainers-approve", "needs 1 approval: a: b")
    for other in ("acme-cli/build.run", "acme-web/docs.build"):  # not a verdict: kept whole
        assert got[other][:2] == ("", "") and got[other][3] == rows[other][1]
    store.engine.dispose()
    from alembic import command

    from codemonkeys.store.migrate import _config

    with engine.begin() as conn:  # and back: the line as it was
        command.downgrade(_config(conn), "0005")
    with engine.connect() as conn:
        back = dict(conn.execute(text("SELECT action_id, message FROM actions")).all())
    assert back == {a: m for a, (_, m) in rows.items()}
    engine.dispose()
