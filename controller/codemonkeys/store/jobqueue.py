"""The job queue's tables (procrastinate's ``procrastinate_*``) in the state database on PostgreSQL.

They are procrastinate's, not the store's: Alembic never touches them (``migrations/env.py``); ``cmctl db
upgrade`` applies procrastinate's own schema once, under an advisory lock so two upgrades at once do not
race. A database whose queue schema is missing is refused by the controller's workers with a message
saying to run ``cmctl db upgrade``.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

SCHEMA_LOCK_KEY = 0x636D_7175_6575_65  # "cmqueue": serializes concurrent schema applications


def job_queue_ready(engine: Engine) -> bool:
    """Whether the job queue's tables exist in ``engine``'s PostgreSQL database."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None


def ensure_job_queue_schema(engine: Engine) -> bool:
    """Apply procrastinate's schema to a PostgreSQL database that has none (idempotent); True if it did.
    False, doing nothing, elsewhere or where procrastinate is not installed (the ``scale`` extra)."""
    if engine.dialect.name != "postgresql":
        return False
    try:
        from procrastinate.schema import SchemaManager
    except ImportError:
        return False
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK_KEY})
        if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None:
            return False
        # the schema has '%' in PL/pgSQL RAISE messages: run it on the driver without parameters
        conn.connection.driver_connection.execute(SchemaManager.get_schema())
    return True
