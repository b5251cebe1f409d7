"""Schema migrations of the store (Alembic): the revision a database is at, upgrading it, and the check
every ``Store`` makes when it opens.

Policy: an SQLite store (the embedded default, one machine) that is new, or was created before Alembic
(tables but no revision), is brought to the newest revision when opened, so a fresh fleet needs no setup.
Everything else must already be at the newest revision: a PostgreSQL database that is empty or behind,
or an SQLite file at an older revision, is refused with a message saying to run ``cmctl db upgrade``;
a database at a revision this version does not know (newer code migrated it) is refused too. Alembic
never touches the job queue's ``procrastinate_*`` tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from codemonkeys.store.models import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaError(StoreError):
    """The database's schema is not the one this version of Code Monkeys works with (the message says
    what to do)."""


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision (None: unmigrated), the newest revision, whether it holds
    any of the store's tables."""

    current: str | None
    head: str
    has_tables: bool

    @property
    def up_to_date(self) -> bool:
        """The database is at the newest revision."""
        return self.current == self.head


def _config(connection: Connection | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision this version knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def schema_state(engine: Engine) -> SchemaState:
    """The revision ``engine``'s database is at, and the newest."""
    from alembic.runtime.migration import MigrationContext

    from codemonkeys.store.models import Base

    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        tables = set(inspect(conn).get_table_names()) & set(Base.metadata.tables)
    return SchemaState(current, head_revision(), bool(tables))


def upgrade(engine: Engine, revision: str = "head") -> SchemaState:
    """Migrate ``engine``'s database to ``revision``; a pre-Alembic database whose tables the first
    revision would create is stamped with it first. On PostgreSQL, the job queue's own schema is applied
    too where it is missing (``store/jobqueue.py``). Returns the new state."""
    from alembic import command

    from codemonkeys.store.jobqueue import ensure_job_queue_schema

    state = schema_state(engine)
    with engine.begin() as conn:
        cfg = _config(conn)
        if state.current is None and state.has_tables:
            command.stamp(cfg, _first_revision())
        command.upgrade(cfg, revision)
    ensure_job_queue_schema(engine)
    return schema_state(engine)


def _first_revision() -> str:
    from alembic.script import ScriptDirectory

    bases = ScriptDirectory.from_config(_config()).get_bases()
    return bases[0]


def ensure_schema(engine: Engine) -> None:
    """Open-time check (see the module docstring): auto-upgrade a new or pre-Alembic SQLite store,
    ``SchemaError`` for any other database that is not at the newest revision."""
    state = schema_state(engine)
    if state.up_to_date:
        return
    if engine.dialect.name == "sqlite" and state.current is None:
        _upgrade_sqlite_once(engine)
        return
    where = engine.url.render_as_string(hide_password=True)
    if state.current is None:
        raise SchemaError(f"the state database {where} is not migrated: run `cmctl db upgrade`")
    known = _known_revisions()
    if state.current not in known:
        raise SchemaError(
            f"the state database {where} is at revision {state.current}, which this version of cmctl does "
            f"not know (a newer cmctl migrated it): upgrade cmctl"
        )
    raise SchemaError(
        f"the state database {where} is at revision {state.current}, not {state.head}: run `cmctl db upgrade`"
    )


def _upgrade_sqlite_once(engine: Engine) -> None:
    """Upgrade a new SQLite store while holding a file lock next to it: processes opening the same new
    file at once (a controller and a ``cmctl``) migrate it once, the others find it done."""
    from filelock import FileLock

    database = engine.url.database
    if not database or database == ":memory:":
        upgrade(engine)
        return
    with FileLock(f"{database}.migrate.lock", timeout=120):
        if schema_state(engine).current is None:
            upgrade(engine)


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
