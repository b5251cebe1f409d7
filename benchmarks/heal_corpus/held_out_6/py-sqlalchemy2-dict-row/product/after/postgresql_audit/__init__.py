"""A small audit trail: every change is written to an `activity` table."""
import json
from datetime import datetime, timezone

import sqlalchemy as sa

metadata = sa.MetaData()

activity = sa.Table(
    "activity",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("verb", sa.String(10), nullable=False),
    sa.Column("table_name", sa.String(64), nullable=False),
    sa.Column("old_data", sa.Text),
    sa.Column("changed_data", sa.Text),
    sa.Column("issued_at", sa.DateTime, nullable=False),
)


def _now():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def record(connection, verb, table_name, old=None, new=None):
    changed = None
    if new is not None:
        changed = {k: v for k, v in new.items() if (old or {}).get(k) != v}
    connection.execute(
        activity.insert().values(
            verb=verb,
            table_name=table_name,
            old_data=json.dumps(old) if old is not None else None,
            changed_data=json.dumps(changed) if changed is not None else None,
            issued_at=_now(),
        )
    )


def versioning_manager(engine):
    metadata.create_all(engine)
