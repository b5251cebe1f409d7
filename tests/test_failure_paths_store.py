"""The store's failure path when the code is newer than the database: a state database at an older Alembic
revision is refused by every command that opens it, saying what to run (``cmctl db upgrade``), and nothing
is changed by the refusal; ``cmctl db current`` says it is behind; ``cmctl db upgrade`` brings it to the
newest revision with its data. On SQLite through the real CLI (a store the embedded default auto-migrates
only when it is new or pre-Alembic), and on a real PostgreSQL through ``Store``.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from codemonkeys.store.db import Store
from codemonkeys.store.migrate import SchemaError, head_revision, schema_state, upgrade
from conftest import cmctl
from solo_fleet import solo_fleet as small_fleet

OLDER = "0005"  # a revision before the newest (the test reads the newest from the migrations)
APPROVAL = (
    "INSERT INTO approvals (action_id, product, approver, comment, revision, fingerprint, at) "
    "VALUES ('solo/build.run', 'solo', 'ann', 'fine', 'r', 'f', '2026-01-01')"
)


def dump(database: Path) -> list[str]:
    """The SQLite database's schema and rows, as SQL (what opening it in WAL mode does not change)."""
    with sqlite3.connect(database) as conn:
        return list(conn.iterdump())


def test_an_sqlite_store_at_an_older_revision_is_refused_until_db_upgrade(tmp_path: Path):
    head = head_revision()
    assert head > OLDER, head
    fleet = small_fleet(tmp_path)
    database = fleet / ".cmctl" / "state.db"
    database.parent.mkdir()
    url = f"sqlite:///{database}"
    engine = create_engine(url)
    upgrade(engine, OLDER)  # as an older cmctl left it, with an approval on record
    with engine.begin() as conn:
        conn.execute(text(APPROVAL))
    engine.dispose()
    before = dump(database)

    refusal = f"the state database {url} is at revision {OLDER}, not {head}: run `cmctl db upgrade`"
    for command in (["status"], ["plan"], ["apply", "--auto-approve"], ["audit", "verify"]):
        r = cmctl(*command, "--fleet", str(fleet))
        assert r.returncode == 1, (command, r.stdout, r.stderr)
        assert refusal in " ".join(r.stderr.split()), (command, r.stderr)  # the CLI may wrap it
    assert dump(database) == before  # refused: nothing migrated, nothing written
    assert schema_state(create_engine(url)).current == OLDER

    current = cmctl("db", "current", "--fleet", str(fleet))
    assert current.returncode == 1, current.stdout + current.stderr  # behind
    assert re.search(rf"\b{OLDER}\b", current.stdout) and re.search(rf"\b{head}\b", current.stdout), current

    upgraded = cmctl("db", "upgrade", "--fleet", str(fleet))
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert schema_state(create_engine(url)).current == head
    store = Store(url)
    assert [(a.action_id, a.approver, a.comment) for a in store.approvals()] == [
        ("solo/build.run", "ann", "fine")
    ]
    store.engine.dispose()
    status = cmctl("status", "--fleet", str(fleet))
    assert status.returncode == 0, status.stdout + status.stderr


def test_a_postgresql_store_at_an_older_revision_is_refused_until_upgraded(postgres_url: str):
    head = head_revision()
    engine = create_engine(postgres_url)
    upgrade(engine, OLDER)
    with engine.begin() as conn:
        conn.execute(text(APPROVAL))
    where = engine.url.render_as_string(hide_password=True)
    with pytest.raises(
        SchemaError, match=re.escape(f"{where} is at revision {OLDER}, not {head}: run `cmctl db upgrade`")
    ):
        Store(postgres_url)
    assert schema_state(engine).current == OLDER  # the refusal changed nothing
    assert upgrade(engine).current == head
    store = Store(postgres_url)
    assert [a.approver for a in store.approvals()] == ["ann"]
    store.engine.dispose()
    engine.dispose()
