"""Read-only queries of the store for the dashboard's drill-down pages (``Reads``, a part of ``Store``:
``self`` is the store): one run by its id, one action of one run, and the audit log filtered and paged in
the database (newest first, with the count of every record that matches)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, or_, select

from codemonkeys.store.models import ActionRecord, AuditRecord, Run


def _stamp(when: datetime) -> str:
    """``when`` as the audit log writes its times (ISO 8601, microseconds, UTC offset): such strings
    order as the times they name."""
    return when.astimezone(UTC).isoformat(timespec="microseconds")


class Reads:
    """The store's read-only queries for the dashboard's run, action and audit pages."""

    def run(self, run_id: int) -> Run | None:
        """Run ``run_id``, None if there is no such run."""
        with self.session() as s:
            return s.get(Run, run_id)

    def run_action(self, run_id: int, action_id: str) -> ActionRecord | None:
        """The journal entry of ``action_id`` in run ``run_id`` only (None if the run has no such action)."""
        with self.session() as s:
            q = select(ActionRecord).where(ActionRecord.run_id == run_id, ActionRecord.action_id == action_id)
            return s.scalars(q.limit(1)).first()

    def action_runs(self, action_id: str, limit: int = 20) -> list[ActionRecord]:
        """The newest ``limit`` journal entries of ``action_id`` across runs, newest first."""
        with self.session() as s:
            q = select(ActionRecord).where(ActionRecord.action_id == action_id)
            return list(s.scalars(q.order_by(ActionRecord.run_id.desc()).limit(limit)))

    def audit_page(
        self,
        product: str | None = None,
        actor: str | None = None,
        event: str | None = None,
        run_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[AuditRecord], int]:
        """The audit records of ``product``, ``actor``, ``event`` and run ``run_id`` between ``since``
        (inclusive) and ``until`` (exclusive; aware datetimes), newest first: ``limit`` of them from
        ``offset`` (past the last record: the last page's), and how many match in all. Each filter that
        is None or empty matches everything; ``event`` is an event's name (``approval.given``) or its
        family (``approval`` or ``approval.*``: every ``approval.*``)."""
        where = []
        if product:
            where.append(AuditRecord.product == product)
        if actor:
            where.append(AuditRecord.actor == actor)
        if event and ("." not in event or event.endswith(".*")):
            family = event.removesuffix(".*")
            pattern = f"{_like(family)}.%"
            where.append(or_(AuditRecord.event == family, AuditRecord.event.like(pattern, escape="\\")))
        elif event:
            where.append(AuditRecord.event == event)
        if run_id is not None:
            where.append(AuditRecord.run_id == run_id)
        if since is not None:
            where.append(AuditRecord.at >= _stamp(since))
        if until is not None:
            where.append(AuditRecord.at < _stamp(until))
        limit = max(1, limit)
        with self.session() as s:
            total = int(s.scalar(select(func.count()).select_from(AuditRecord).where(*where)) or 0)
            offset = min(max(0, offset), max(0, (total - 1) // limit * limit))
            q = select(AuditRecord).where(*where).order_by(AuditRecord.seq.desc()).offset(offset).limit(limit)
            return list(s.scalars(q)), total

    def audit_choices(self) -> dict[str, list[str]]:
        """The distinct actors, events and products of the audit log (sorted): the audit page's filters."""
        with self.session() as s:
            return {
                "actors": sorted(s.scalars(select(AuditRecord.actor).distinct())),
                "events": sorted(s.scalars(select(AuditRecord.event).distinct())),
                "products": sorted(
                    p for p in s.scalars(select(AuditRecord.product).distinct()) if p is not None
                ),
            }


def _like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern (``\\`` escapes)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
