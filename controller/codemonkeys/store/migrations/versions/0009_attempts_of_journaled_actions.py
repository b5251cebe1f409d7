"""attempts of journaled actions: each attempt of an action's actuator, not only their count

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 19:30:00

``actions.tries`` (JSON, nullable) keeps each attempt of the action's actuator as the engine records it
when the attempt ends: its number, start, seconds, outcome, message and whether a failure was transient.
Actions journaled before this revision keep their count (``actions.attempts``) and no details (NULL).
Downgrade drops the column.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("tries", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("tries")
