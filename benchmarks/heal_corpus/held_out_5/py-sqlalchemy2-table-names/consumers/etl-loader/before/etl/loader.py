"""Create the staging tables of a small ETL job and log each load."""

import sqlalchemy as sa

STAGING_DDL = "CREATE TABLE staging_rows (id INTEGER PRIMARY KEY, payload TEXT)"
LOG_DDL = "CREATE TABLE load_log (id INTEGER PRIMARY KEY, loaded_at TEXT)"


def ensure_staging(engine):
    existing = engine.table_names()
    with engine.begin() as conn:
        if "staging_rows" not in existing:
            conn.execute(sa.text(STAGING_DDL))
        if "load_log" not in existing:
            conn.execute(sa.text(LOG_DDL))
        conn.execute(sa.text("INSERT INTO load_log (loaded_at) VALUES (datetime('now'))"))


def list_tables(engine, schema=None):
    return sorted(engine.table_names(schema=schema))
