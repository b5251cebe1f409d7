"""blocked actions: the gate's verdict and rule as columns of the journal

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 04:30:00

An action the gate blocked was journaled with one message, ``deny: RULE: message`` (or ``hold: ...``), that
readers parsed back. This revision adds ``actions.verdict`` and ``actions.rule`` and splits the message of
every blocked action on record into them (the message keeps the rule's own text; a decision of no rule,
journaled as ``None``, gets an empty rule as new ones do); a blocked action whose message has another shape
keeps it whole. Downgrade joins them back into the message and drops the columns.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BLOCKED = re.compile(r"^(deny|hold): (.*?): (.*)$", re.DOTALL)

actions = sa.table(
    "actions",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("message", sa.Text),
    sa.column("verdict", sa.String),
    sa.column("rule", sa.String),
)


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("verdict", sa.String(length=8), server_default="", nullable=False))
        batch.add_column(sa.Column("rule", sa.String(length=255), server_default="", nullable=False))
    bind = op.get_bind()
    rows = bind.execute(sa.select(actions.c.id, actions.c.message).where(actions.c.status == "blocked")).all()
    for row in rows:
        if m := _BLOCKED.match(row.message or ""):
            bind.execute(
                actions.update()
                .where(actions.c.id == row.id)
                .values(
                    verdict=m.group(1),
                    rule="" if m.group(2) == "None" else m.group(2)[:255],
                    message=m.group(3),
                )
            )


def downgrade() -> None:
    """Undo this revision."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(actions.c.id, actions.c.verdict, actions.c.rule, actions.c.message).where(
            actions.c.verdict != ""
        )
    ).all()
    for row in rows:
        text = f"{row.verdict}: {row.rule}: {row.message}"
        bind.execute(actions.update().where(actions.c.id == row.id).values(message=text))
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("rule")
        batch.drop_column("verdict")
