"""pull requests: the ones Code Monkeys opened for heal and change branches (pull-request mode)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 13:40:00
"""

import sqlalchemy as sa
from alembic import op

import codemonkeys.store.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "pull_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=80), nullable=False),
        sa.Column("branch", sa.String(length=200), nullable=False),
        sa.Column("forge", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.Column("refused", sa.Text(), nullable=False),
        sa.Column("refused_for", sa.Text(), nullable=False),
        sa.Column("created_at", codemonkeys.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", codemonkeys.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("product", "branch"),
    )
    op.create_index(op.f("ix_pull_requests_product"), "pull_requests", ["product"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index(op.f("ix_pull_requests_product"), table_name="pull_requests")
    op.drop_table("pull_requests")
