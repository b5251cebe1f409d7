"""endpoint outages: the heal LLM's server down, shared by every product and process (backoff)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 14:00:00
"""

import sqlalchemy as sa
from alembic import op

import codemonkeys.store.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "endpoint_outages",
        sa.Column("endpoint", sa.String(length=300), nullable=False),
        sa.Column("since", codemonkeys.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retry_at", codemonkeys.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("endpoint"),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("endpoint_outages")
