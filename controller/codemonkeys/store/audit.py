"""The store's append-only, hash-chained audit log (``AuditLog``, a part of ``Store``: ``self`` is the
store)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    func,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from codemonkeys.store.models import (
    AUDIT_LOCK_KEY,
    GENESIS,
    AuditRecord,
    ChainCheck,
    chain_hash,
    utcnow,
)


class AuditLog:
    """The store's append-only, hash-chained audit log."""

    def audit(
        self,
        event_name: str,
        actor: str,
        data: dict[str, Any] | None = None,
        product: str | None = None,
        action_id: str | None = None,
        run_id: int | None = None,
    ) -> AuditRecord:
        """Append one record to the hash chain.

        Writers in this process are serialized by a lock; on PostgreSQL writers in every process are
        serialized in the database (a transaction-scoped advisory lock), on SQLite by the database's write
        lock taken before the chain's head is read (``BEGIN IMMEDIATE``). Should a writer in another process
        still win the race, our insert fails on the unique ``seq`` and we retry on top of it.
        """
        for attempt in range(10):
            try:
                with self._audit_lock:
                    return self._append_audit(event_name, actor, data, product, action_id, run_id)
            except IntegrityError:
                if attempt == 9:
                    raise
        raise AssertionError("unreachable")

    def _append_audit(self, event_name, actor, data, product, action_id, run_id) -> AuditRecord:
        with self.session() as s:
            if self.engine.dialect.name == "postgresql":
                s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
            elif self.engine.dialect.name == "sqlite":
                # take the database's write lock before reading the chain's head: another process's
                # writer then waits (busy_timeout) instead of appending the same seq under us
                s.execute(text("BEGIN IMMEDIATE"))
            last = s.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).first()
            rec = AuditRecord(
                seq=(last.seq + 1) if last else 1,
                at=utcnow().isoformat(timespec="microseconds"),
                actor=actor,
                event=event_name,
                product=product,
                action_id=action_id,
                run_id=run_id,
                data=data or {},
                prev_hash=last.hash if last else GENESIS,
            )
            rec.hash = chain_hash(rec.prev_hash, rec.content())
            s.add(rec)
            return rec

    def audit_records(self, product: str | None = None, limit: int | None = None) -> list[AuditRecord]:
        """The audit log in chain order, of one product if given; only the last ``limit`` records if given."""
        with self.session() as s:
            if not limit:
                q = select(AuditRecord).order_by(AuditRecord.seq)
                if product is not None:
                    q = q.where(AuditRecord.product == product)
                return list(s.scalars(q))
            q = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)
            if product is not None:
                q = q.where(AuditRecord.product == product)
            return list(reversed(list(s.scalars(q))))

    def last_audit(self, action_id: str) -> AuditRecord | None:
        """The newest audit record about ``action_id`` (None if there is none)."""
        with self.session() as s:
            q = select(AuditRecord).where(AuditRecord.action_id == action_id)
            return s.scalars(q.order_by(AuditRecord.seq.desc()).limit(1)).first()

    def audit_count(self, product: str | None = None) -> int:
        """How many records the audit log holds (of one product if given)."""
        with self.session() as s:
            q = select(func.count()).select_from(AuditRecord)
            if product is not None:
                q = q.where(AuditRecord.product == product)
            return int(s.scalar(q) or 0)

    def verify_audit(self) -> ChainCheck:
        """Walk the audit chain from the start and report the first gap, relinked or edited record."""
        prev, n = GENESIS, 0
        for n, rec in enumerate(self.audit_records(), start=1):
            if rec.seq != n:
                return ChainCheck(False, n, rec.seq, f"sequence gap: expected {n}, found {rec.seq}")
            if rec.prev_hash != prev:
                return ChainCheck(False, n, rec.seq, "prev_hash does not match the previous record")
            if chain_hash(rec.prev_hash, rec.content()) != rec.hash:
                return ChainCheck(False, n, rec.seq, "record content does not match its hash (edited)")
            prev = rec.hash
        return ChainCheck(True, n)
