"""dependency updates of change proposals: what a manifest bump proposal takes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 00:00:00

``change_proposals.takes`` (JSON, nullable) keeps, for a proposal of kind ``update`` (a product's
manifests taking a fleet dependency's new release, ``spec.dependencies.update``), the package, its
version, how far it is (patch | minor | major), the product that publishes it and each manifest's old and
new range. Proposals of ``cmctl fleet patch`` / ``exec`` have none (NULL). Downgrade drops the column.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("change_proposals") as batch:
        batch.add_column(sa.Column("takes", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("change_proposals") as batch:
        batch.drop_column("takes")
