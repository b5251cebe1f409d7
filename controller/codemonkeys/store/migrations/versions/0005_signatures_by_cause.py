"""signatures by root cause: cause and location columns; fingerprints recomputed fleet-wide

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-14 01:00:00

A signature's fingerprint used to hash its kind and concrete summary (test id, the product's frame), so
one root cause had a fingerprint per product. It now hashes the kind's family and the cause
(``codemonkeys.swarm.signatures.split_cause``). This revision adds ``signatures.cause`` and ``location``
and recomputes, in Python (the normalization is regular expressions), every stored signature's cause,
location and fingerprint from its stored summary and detail (``cause_of_record``: the product's names
inferred from them alone), then re-keys what stored an old fingerprint: ``fix_templates.signature``,
``heal_attempts.signature`` and ``flaky_builds.fingerprint``, so templates, attempts and flaky records join
the history of their cause. An old fingerprint no stored signature explains is left as it was. Downgrade
drops the columns; the fingerprints stay the new ones (their old values are not kept).

The normalization is the swarm's pure module (it imports nothing of the store): the fingerprints are the
ones the code running this migration computes for new failures.
"""

from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    from codemonkeys.swarm.signatures import cause_of_record

    with op.batch_alter_table("signatures") as batch:
        batch.add_column(sa.Column("cause", sa.Text(), nullable=True))
        batch.add_column(sa.Column("location", sa.Text(), nullable=True))
    bind = op.get_bind()
    signatures = sa.table(
        "signatures",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("fingerprint", sa.String),
        sa.column("summary", sa.Text),
        sa.column("detail", sa.Text),
        sa.column("cause", sa.Text),
        sa.column("location", sa.Text),
    )
    moved: dict[str, Counter[str]] = {}  # old fingerprint -> new ones
    rows = bind.execute(
        sa.select(
            signatures.c.id,
            signatures.c.kind,
            signatures.c.fingerprint,
            signatures.c.summary,
            signatures.c.detail,
        )
    ).all()
    for row in rows:
        cause, location, new = cause_of_record(row.kind, row.summary or "", row.detail or "")
        moved.setdefault(row.fingerprint, Counter())[new] += 1
        bind.execute(
            signatures.update()
            .where(signatures.c.id == row.id)
            .values(cause=cause, location=location, fingerprint=new)
        )
    flaky = sa.table(
        "flaky_builds",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("fingerprint", sa.String),
        sa.column("summary", sa.Text),
    )
    for row in bind.execute(sa.select(flaky.c.id, flaky.c.kind, flaky.c.fingerprint, flaky.c.summary)).all():
        new = moved[row.fingerprint].most_common(1)[0][0] if row.fingerprint in moved else None
        new = new or cause_of_record(row.kind, row.summary or "")[2]
        bind.execute(flaky.update().where(flaky.c.id == row.id).values(fingerprint=new))
    for name in ("fix_templates", "heal_attempts"):  # row by row: a new fingerprint is never re-keyed
        table = sa.table(name, sa.column("id"), sa.column("signature", sa.String))
        for row in bind.execute(sa.select(table.c.id, table.c.signature)).all():
            if row.signature in moved and (new := moved[row.signature].most_common(1)[0][0]) != row.signature:
                bind.execute(table.update().where(table.c.id == row.id).values(signature=new))


def downgrade() -> None:
    """Undo this revision (the fingerprints stay fleet-wide)."""
    with op.batch_alter_table("signatures") as batch:
        batch.drop_column("location")
        batch.drop_column("cause")
