"""The facets' own records in the store: infra applies, notifications, cross-repo change proposals, the pull
requests opened for heals and changes (``FacetRecords``, a part of ``Store``: ``self`` is the store)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from codemonkeys.store.models import (
    ChangeProposalRecord,
    InfraApplyRecord,
    NotificationRecord,
    PullRequestRecord,
    utcnow,
)


class FacetRecords:
    """The store's facets' own records."""

    def record_infra_apply(self, product: str, commit: str, workspace: str, plan: str, outputs: dict) -> None:
        """Remember a successful ``infra.apply`` and the outputs it left (already redacted)."""
        with self.session() as s:
            s.add(
                InfraApplyRecord(
                    product=product, commit=commit, workspace=workspace, plan=plan, outputs=outputs
                )
            )

    def infra_applied(self, product: str, workspace: str = "default") -> InfraApplyRecord | None:
        """The latest successful ``infra.apply`` of ``product`` in ``workspace``, None if it never ran."""
        with self.session() as s:
            q = select(InfraApplyRecord).where(
                InfraApplyRecord.product == product, InfraApplyRecord.workspace == workspace
            )
            return s.scalars(q.order_by(InfraApplyRecord.id.desc()).limit(1)).first()

    def notified(self, key: str) -> bool:
        """Whether the notification ``key`` was already delivered."""
        with self.session() as s:
            row = s.scalars(select(NotificationRecord).where(NotificationRecord.key == key)).first()
            return row is not None and row.ok

    def record_notification(self, key: str, **fields: Any) -> None:
        """Record a delivery (or a failed try, retried by the next run) of notification ``key``."""
        with self.session() as s:
            row = s.scalars(select(NotificationRecord).where(NotificationRecord.key == key)).first()
            if row is None:
                row = NotificationRecord(key=key)
                s.add(row)
            for name, value in fields.items():
                setattr(row, name, value)
            row.at = utcnow()

    def notifications(self, product: str | None = None) -> list[NotificationRecord]:
        """Notifications on record, oldest first (of one product if given)."""
        with self.session() as s:
            q = select(NotificationRecord).order_by(NotificationRecord.id)
            if product is not None:
                q = q.where(NotificationRecord.product == product)
            return list(s.scalars(q))

    def change_proposals(
        self,
        product: str | None = None,
        change: str | None = None,
        statuses: Sequence[str] | None = None,
        kind: str | None = None,
    ) -> list[ChangeProposalRecord]:
        """Change proposals on record, oldest first (of one product, one change, some statuses, one kind
        if given)."""
        with self.session() as s:
            q = select(ChangeProposalRecord).order_by(ChangeProposalRecord.id)
            if kind is not None:
                q = q.where(ChangeProposalRecord.kind == kind)
            if statuses is not None:
                q = q.where(ChangeProposalRecord.status.in_(list(statuses)))
            if product is not None:
                q = q.where(ChangeProposalRecord.product == product)
            if change is not None:
                q = q.where(ChangeProposalRecord.change == change)
            return list(s.scalars(q))

    def save_change_proposal(self, change: str, product: str, **fields: Any) -> ChangeProposalRecord:
        """Create or update ``product``'s proposal of ``change``."""
        with self.session() as s:
            row = s.scalars(
                select(ChangeProposalRecord).where(
                    ChangeProposalRecord.change == change, ChangeProposalRecord.product == product
                )
            ).first()
            if row is None:
                row = ChangeProposalRecord(change=change, product=product)
                s.add(row)
            for key, value in fields.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            s.flush()
            return row

    def save_pull(
        self,
        product: str,
        branch: str,
        forge: str,
        number: int,
        url: str,
        state: str,
        refused: str = "",
        refused_for: str = "",
        head: str | None = None,
    ) -> None:
        """Remember the pull request of ``product``'s ``branch`` (created or updated): the commit Code
        Monkeys proposed in it (``head``; None keeps the one on record), the forge's last refusal to
        merge it (``refused``, empty: none) and what it was refused for."""
        with self.session() as s:
            row = _pull_row(s, product, branch)
            if row is None:
                row = PullRequestRecord(product=product, branch=branch)
                s.add(row)
            row.forge, row.number, row.url, row.state = forge, number, url, state
            row.refused, row.refused_for = refused, refused_for
            if head is not None or row.head is None:
                row.head = head or ""
            row.updated_at = utcnow()

    def pull_of(self, product: str, branch: str) -> PullRequestRecord | None:
        """The pull request on record for ``product``'s ``branch``, None if none was opened."""
        with self.session() as s:
            return _pull_row(s, product, branch)

    def forget_pull(self, product: str, branch: str) -> None:
        """Forget the pull request of ``product``'s ``branch`` (a release tagged: the next one is new)."""
        with self.session() as s:
            row = _pull_row(s, product, branch)
            if row is not None:
                s.delete(row)


def _pull_row(s: Session, product: str, branch: str) -> PullRequestRecord | None:
    """The ``pull_requests`` row of ``product``'s ``branch`` in session ``s``."""
    query = select(PullRequestRecord).where(
        PullRequestRecord.product == product, PullRequestRecord.branch == branch
    )
    return s.scalars(query).first()
