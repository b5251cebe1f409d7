"""What the swarm learns, in the store: durations, signatures, dependency conflicts, flaky builds, fix
templates, heal attempts and the outages of the endpoints heal asks (``Learning``, a part of ``Store``:
``self`` is the store)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import (
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from codemonkeys.store.models import (
    DependencyConflictRecord,
    DurationRecord,
    EndpointOutage,
    FixTemplateRecord,
    FlakyRecord,
    HealAttemptRecord,
    SignatureRecord,
    utcnow,
)


class Learning:
    """The store's what the swarm learns."""

    def record_duration(self, **fields: Any) -> DurationRecord:
        """Save how long one finished action took and what predicts it (``DurationRecord`` fields)."""
        with self.session() as s:
            row = DurationRecord(**fields)
            s.add(row)
            s.flush()
            return row

    def durations(self, product: str | None = None, kind: str | None = None) -> list[DurationRecord]:
        """Recorded durations in the order they were recorded, of one product and/or kind if given."""
        with self.session() as s:
            q = select(DurationRecord).order_by(DurationRecord.id)
            if product is not None:
                q = q.where(DurationRecord.product == product)
            if kind is not None:
                q = q.where(DurationRecord.kind == kind)
            return list(s.scalars(q))

    def last_commit_run(self, product: str, kind: str) -> str | None:
        """The commit of ``product``'s newest recorded ``kind`` run that names one (the change size of
        the next run is measured from it)."""
        with self.session() as s:
            return s.scalars(
                select(DurationRecord.commit)
                .where(
                    DurationRecord.product == product,
                    DurationRecord.kind == kind,
                    DurationRecord.commit.is_not(None),
                )
                .order_by(DurationRecord.id.desc())
                .limit(1)
            ).first()

    def record_signatures(self, rows: list[dict[str, Any]]) -> None:
        """Save failure signatures seen in builds (each dict holds ``SignatureRecord`` fields)."""
        with self.session() as s:
            s.add_all(SignatureRecord(**row) for row in rows)

    def signatures(self, product: str | None = None, fingerprint: str | None = None) -> list[SignatureRecord]:
        """Failure signatures on record, oldest first, of one product and/or one fingerprint if given."""
        with self.session() as s:
            q = select(SignatureRecord).order_by(SignatureRecord.id)
            if product is not None:
                q = q.where(SignatureRecord.product == product)
            if fingerprint is not None:
                q = q.where(SignatureRecord.fingerprint == fingerprint)
            return list(s.scalars(q))

    def record_conflicts(self, rows: list[dict[str, Any]]) -> None:
        """Save dependency resolver conflicts seen in builds (each dict holds the record's fields)."""
        with self.session() as s:
            s.add_all(DependencyConflictRecord(**row) for row in rows)

    def conflicts(self, product: str | None = None) -> list[DependencyConflictRecord]:
        """Dependency resolver conflicts on record, oldest first, of one product if given."""
        with self.session() as s:
            q = select(DependencyConflictRecord).order_by(DependencyConflictRecord.id)
            if product is not None:
                q = q.where(DependencyConflictRecord.product == product)
            return list(s.scalars(q))

    def record_flaky(self, rows: list[dict[str, Any]]) -> None:
        """Save the signatures of a red build that passed on a re-run (each dict: ``FlakyRecord`` fields)."""
        with self.session() as s:
            s.add_all(FlakyRecord(**row) for row in rows)

    def flaky(self, product: str | None = None) -> list[FlakyRecord]:
        """Flaky failures on record, oldest first (of one product if given)."""
        with self.session() as s:
            q = select(FlakyRecord).order_by(FlakyRecord.id)
            if product is not None:
                q = q.where(FlakyRecord.product == product)
            return list(s.scalars(q))

    def save_template(self, row: dict[str, Any]) -> tuple[FixTemplateRecord, bool]:
        """Store a learned fix template; one already known (same id) gains a success instead.
        Returns the record and whether it is new."""
        with self.session() as s:
            known = s.get(FixTemplateRecord, row["id"])
            if known is not None:  # one UPDATE adding 1 (see template_result), then the row as it is now
                s.execute(
                    update(FixTemplateRecord)
                    .where(FixTemplateRecord.id == row["id"])
                    .values(successes=FixTemplateRecord.successes + 1, last_used_at=utcnow())
                )
                s.refresh(known)
                return known, False
            record = FixTemplateRecord(**row)
            s.add(record)
            s.flush()
            return record, True

    def templates(self, signature: str | None = None) -> list[FixTemplateRecord]:
        """Fix templates on record, oldest first (of one signature if given)."""
        with self.session() as s:
            q = select(FixTemplateRecord).order_by(FixTemplateRecord.learned_at, FixTemplateRecord.id)
            if signature is not None:
                q = q.where(FixTemplateRecord.signature == signature)
            return list(s.scalars(q))

    def template_result(self, template_id: str, ok: bool) -> None:
        """Count a heal of ``template_id`` that was proven green (ok) or red on its branch. One UPDATE
        adding 1 in the database: two heals merged at once (parallel actions, several workers) both count."""
        column = FixTemplateRecord.successes if ok else FixTemplateRecord.failures
        with self.session() as s:
            s.execute(
                update(FixTemplateRecord)
                .where(FixTemplateRecord.id == template_id)
                .values({column: column + 1, FixTemplateRecord.last_used_at: utcnow()})
            )

    def heal_attempts(self, product: str, commit: str | None = None) -> list[HealAttemptRecord]:
        """Heal attempts of ``product`` (of one red commit if given), in order."""
        with self.session() as s:
            q = select(HealAttemptRecord).where(HealAttemptRecord.product == product)
            if commit is not None:
                q = q.where(HealAttemptRecord.commit == commit)
            return list(s.scalars(q.order_by(HealAttemptRecord.id)))

    def all_heal_attempts(self) -> list[HealAttemptRecord]:
        """Every heal attempt on record, in order (for reports and benchmarks)."""
        with self.session() as s:
            return list(s.scalars(select(HealAttemptRecord).order_by(HealAttemptRecord.id)))

    def save_heal_attempt(self, product: str, commit: str, n: int, **fields: Any) -> HealAttemptRecord:
        """Create or update attempt ``n`` of healing ``product`` at ``commit``."""
        with self.session() as s:
            row = s.scalars(
                select(HealAttemptRecord).where(
                    HealAttemptRecord.product == product,
                    HealAttemptRecord.commit == commit,
                    HealAttemptRecord.n == n,
                )
            ).first()
            if row is None:
                row = HealAttemptRecord(product=product, commit=commit, n=n)
                s.add(row)
            for key, value in fields.items():
                setattr(row, key, value)
            s.flush()
            return row

    def outage(self, endpoint: str) -> EndpointOutage | None:
        """The outage on record of ``endpoint`` (None: it answered last time)."""
        with self.session() as s:
            return s.get(EndpointOutage, endpoint)

    def endpoint_failed(self, endpoint: str, error: str, base_s: float, max_s: float) -> EndpointOutage:
        """Record that ``endpoint`` could not be used: the next try waits ``base_s`` seconds, doubling with
        every failure in a row up to ``max_s``."""
        for tries_left in (1, 0):  # two processes finding it out at once: the second one updates
            now = utcnow()
            try:
                with self.session() as s:
                    row = s.get(EndpointOutage, endpoint)
                    if row is None:
                        row = EndpointOutage(endpoint=endpoint, since=now, failures=0)
                        s.add(row)
                    row.failures = (row.failures or 0) + 1
                    row.error = error[:500]
                    row.retry_at = now + timedelta(seconds=min(max_s, base_s * 2 ** (row.failures - 1)))
                    s.flush()
                    return row
            except IntegrityError:
                if not tries_left:
                    raise
        raise AssertionError("unreachable")

    def endpoint_answered(self, endpoint: str) -> bool:
        """``endpoint`` answered: its outage is over. True if one was on record."""
        with self.session() as s:
            return bool(s.execute(delete(EndpointOutage).where(EndpointOutage.endpoint == endpoint)).rowcount)
