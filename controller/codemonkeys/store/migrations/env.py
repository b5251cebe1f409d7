"""Alembic's environment for the store (run by ``codemonkeys.store.migrate``, never by the ``alembic``
command line): the connection comes from the caller; ``procrastinate_*`` tables are not ours."""

from __future__ import annotations

from alembic import context

from codemonkeys.store.models import Base


def include_name(name, type_, parent_names) -> bool:
    """Leave the job queue's tables (procrastinate) to procrastinate's own migrations."""
    return not (type_ == "table" and name and name.startswith("procrastinate_"))


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_name=include_name,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
