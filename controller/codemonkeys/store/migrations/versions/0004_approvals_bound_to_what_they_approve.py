"""approvals bound to what they approve (params, matching rules); decision log reuse references

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 01:00:00

Approvals recorded before this revision keep ``params`` and ``rules`` empty: the gate binds them, as
before, to the fleet revision and the product's legacy fingerprint, so they keep working where they did.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("approvals") as batch:
        batch.add_column(sa.Column("params", sa.Text(), nullable=True))
        batch.add_column(sa.Column("rules", sa.String(length=64), nullable=True))
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("reuse_of", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("reuse_of")
    with op.batch_alter_table("approvals") as batch:
        batch.drop_column("rules")
        batch.drop_column("params")
