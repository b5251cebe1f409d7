"""An upgrade over a store that every earlier revision wrote to (SQLite): the store is migrated one Alembic
revision at a time from the first, and at each revision before the newest one row is written to every
table that revision has (each column a value naming its table, column and revision). Then the newest
revision is applied (as ``cmctl db upgrade`` does) and every row is checked: what the migrations must
keep is kept value for value; what they must rewrite is rewritten (0005: signatures re-keyed by cause and
what referred to their old fingerprints with them; 0006: a blocked action's ``deny: RULE: message`` split
into verdict, rule and message); columns added later hold their defaults; and the store opens and reads
every row through its own API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, MetaData, String, Text, create_engine, select

from codemonkeys.store.db import Store
from codemonkeys.store.migrate import _config, head_revision, schema_state, upgrade
from codemonkeys.swarm.signatures import cause_of_record

SIGNATURE = ("pytest_failure", "tests/test_core.py::test_wrap", "AssertionError: assert 1 == 2")
REKEYED = {  # the columns 0005 re-keys from a signature's old fingerprint to its cause's
    "signatures": "fingerprint",
    "fix_templates": "signature",
    "heal_attempts": "signature",
    "flaky_builds": "fingerprint",
}


def revisions() -> list[str]:
    """Every revision, oldest first."""
    return [s.revision for s in reversed(list(ScriptDirectory.from_config(_config()).walk_revisions()))]


def value(table: str, column: Any, rev: str) -> Any:
    """What revision ``rev`` writes to ``table.column`` (one row per table and revision, its id the
    revision's number, so the integer columns that refer to another table point at that revision's row)."""
    n, name = int(rev), column.name
    if table == "actions" and name == "status":
        return "blocked"
    if table == "actions" and name in ("verdict", "rule"):  # 0006 and later: the gate's verdict and rule
        return {"verdict": "deny", "rule": f"rule-{n}"}[name]
    if table == "actions" and name == "message":  # before 0006: in the message
        return f"blocked at revision {rev}" if rev >= "0006" else f"deny: rule-{n}: blocked at revision {rev}"
    if table == "signatures" and name in ("kind", "summary", "detail"):
        return dict(zip(("kind", "summary", "detail"), SIGNATURE, strict=True))[name]
    if REKEYED.get(table) == name:
        return f"old-{n}"  # a fingerprint as the revisions before 0005 computed them
    kind = column.type
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Integer):
        return n
    if isinstance(kind, Float):
        return n + 0.5
    if isinstance(kind, DateTime):
        return datetime(2026, 1, n, 12, 30)
    if isinstance(kind, JSON):
        return {"table": table, "column": name, "revision": rev}
    if isinstance(kind, String) and not isinstance(kind, Text) and kind.length:
        return f"{rev}:{table}.{name}"[: kind.length]
    return f"written at {rev} into {table}.{name}"


def tables(engine) -> dict[str, Any]:
    meta = MetaData()
    meta.reflect(engine)
    return {t.name: t for t in meta.sorted_tables if t.name != "alembic_version"}


def test_an_upgrade_keeps_and_rewrites_the_data_every_earlier_revision_wrote(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    engine = create_engine(url)
    *earlier, head = revisions()
    assert head == head_revision() and earlier[0] == "0001", earlier
    written: dict[tuple[str, str], dict[str, Any]] = {}  # (table, revision) -> the row written
    for rev in earlier:
        assert upgrade(engine, rev).current == rev
        with engine.begin() as conn:
            for name, table in tables(engine).items():
                row = {c.name: value(name, c, rev) for c in table.columns}
                conn.execute(table.insert().values(**row))
                written[name, rev] = row
    assert {t for t, _ in written} == set(tables(engine)) and len(written) > 100  # every table, many rows
    assert upgrade(engine).current == head  # what `cmctl db upgrade` runs

    now = tables(engine)
    with engine.connect() as conn:
        rows = {
            (name, rev): conn.execute(select(table).where(primary(table) == key(table, written[name, rev])))
            .mappings()
            .one()
            for (name, rev) in written
            for table in [now[name]]
        }
    cause, location, fingerprint = cause_of_record(*SIGNATURE)
    for (name, rev), row in written.items():
        got = dict(rows[name, rev])
        expected = dict(row)
        if name == "actions" and rev < "0006":  # split into the columns 0006 added
            expected |= {
                "verdict": "deny",
                "rule": f"rule-{int(rev)}",
                "message": f"blocked at revision {rev}",
            }
        if name in REKEYED and rev < "0005":
            expected[REKEYED[name]] = fingerprint
        if name == "signatures" and rev < "0005":
            expected |= {"cause": cause, "location": location}
        added = {c: got[c] for c in got if c not in expected}
        assert {c: got[c] for c in expected} == expected, (name, rev)
        assert added == later_defaults(name, rev), (name, rev)

    store = Store(url)  # opens: at the newest revision
    assert schema_state(store.engine).up_to_date
    assert [(a.approver, a.params, a.rules) for a in store.approvals()] == [
        (f"{rev}:approvals.approver", None, None)
        if rev < "0004"
        else (
            f"{rev}:approvals.approver",
            f"written at {rev} into approvals.params",
            f"{rev}:approvals.rules",
        )
        for rev in earlier
    ]
    assert sorted((a.verdict, a.rule, a.message) for a in store.actions()) == [
        ("deny", f"rule-{int(rev)}", f"blocked at revision {rev}") for rev in earlier
    ]
    assert {s.fingerprint for s in store.signatures() if s.at.day < 5} == {fingerprint}
    assert sorted(store.paused()) == [f"{rev}:paused_products.product" for rev in earlier if rev >= "0003"]
    assert store.approvals()[0].at == datetime(2026, 1, 1, 12, 30, tzinfo=UTC)
    store.engine.dispose()
    engine.dispose()


def primary(table) -> Any:
    (column,) = table.primary_key.columns
    return column


def key(table, row: dict[str, Any]) -> Any:
    return row[primary(table).name]


def later_defaults(table: str, rev: str) -> dict[str, Any]:
    """The columns added after ``rev`` to ``table``, as the migrations leave them on older rows."""
    added = {
        ("approvals", "0004"): {"params": None, "rules": None},
        ("decisions", "0004"): {"reuse_of": None},
        ("signatures", "0005"): {},  # cause and location: computed (checked above)
        ("actions", "0006"): {},  # verdict and rule: split from the message (checked above)
        ("actions", "0009"): {"tries": None},  # attempts' details: none recorded before
        ("change_proposals", "0010"): {"takes": None},  # only dependency updates have one
    }
    out: dict[str, Any] = {}
    for (name, since), columns in added.items():
        if name == table and rev < since:
            out |= columns
    return out
