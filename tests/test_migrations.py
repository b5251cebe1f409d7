"""Alembic migrations of the store on SQLite and PostgreSQL: the first revision creates what the models
declare; a fresh or pre-Alembic SQLite store is upgraded when opened; PostgreSQL (or a store behind or
ahead) is refused with a message saying what to run; ``cmctl db current`` / ``cmctl db upgrade``; the
job queue's ``procrastinate_*`` tables are left alone."""

from __future__ import annotations

import multiprocessing

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from codemonkeys.store.db import Base, Store, StoreError
from codemonkeys.store.migrate import head_revision, schema_state, upgrade

LATER = {  # tables added after the first revision (0002, 0003, 0007, 0008)
    "change_proposals",
    "paused_products",
    "pull_requests",
    "endpoint_outages",
}
LATER_COLUMNS = {
    "approvals": ("params", "rules"),  # added by 0004
    "decisions": ("reuse_of",),  # 0004
    "signatures": ("cause", "location"),  # 0005
    "actions": ("verdict", "rule", "tries"),  # 0006; tries: 0009
}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("postgres_url")


def test_the_migrations_create_exactly_what_the_models_declare(url: str):
    engine = create_engine(url)
    with engine.begin() as conn:  # a job queue table in the same database is not ours
        conn.execute(text("CREATE TABLE procrastinate_jobs (id integer primary key)"))
    state = upgrade(engine)
    assert state.current == head_revision() and state.up_to_date
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert [d for d in diff if "procrastinate_jobs" not in repr(d)] == []
        assert "procrastinate_jobs" in inspect(conn).get_table_names()
    assert upgrade(engine).current == state.current  # idempotent
    engine.dispose()


def test_postgresql_is_refused_until_upgraded(postgres_url: str):
    with pytest.raises(StoreError, match=r"not migrated: run `cmctl db upgrade`"):
        Store(postgres_url)
    engine = create_engine(postgres_url)
    assert "runs" not in inspect(engine).get_table_names()  # the refusal changed nothing
    upgrade(engine)
    Store(postgres_url).engine.dispose()
    with engine.begin() as conn:  # a revision this code does not know (a newer cmctl migrated it)
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    with pytest.raises(StoreError, match="does not know"):
        Store(postgres_url)
    engine.dispose()


def test_sqlite_needs_no_setup_new_or_pre_alembic(tmp_path):
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    Store(fresh).engine.dispose()
    assert schema_state(create_engine(fresh)).up_to_date
    legacy = f"sqlite:///{tmp_path / 'legacy.db'}"
    engine = create_engine(legacy)
    # how stores were made before migrations (without the tables later revisions add)
    Base.metadata.create_all(engine, tables=[t for t in Base.metadata.sorted_tables if t.name not in LATER])
    with engine.begin() as conn:
        for table, columns in LATER_COLUMNS.items():
            for column in columns:
                conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(
            text(
                "INSERT INTO approvals (action_id, product, approver, comment, revision, "
                "fingerprint, at) VALUES ('a/x', 'a', 'ann', '', 'r', 'f', '2026-01-01')"
            )
        )
    store = Store(legacy)
    assert schema_state(engine).up_to_date and [a.approver for a in store.approvals()] == ["ann"]
    assert store.approvals()[0].params is None  # a legacy approval: bound to its revision (0004)
    store.engine.dispose()
    engine.dispose()


def _open_and_audit(url: str) -> None:
    store = Store(url)
    store.audit("opened", "test")
    store.engine.dispose()


def test_processes_opening_a_new_sqlite_store_at_once_migrate_it_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open_and_audit, args=(url,)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    store = Store(url)
    assert store.verify_audit().records == 4
    store.engine.dispose()
