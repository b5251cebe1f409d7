"""The store's approvals, paused products and the gate's decision log (``Approvals``, a part of ``Store``:
``self`` is the store)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    delete,
    func,
    select,
)

from codemonkeys.store.models import (
    ApprovalRecord,
    DecisionRecord,
    PausedProduct,
)


class Approvals:
    """The store's approvals, paused products and the gate's decision log."""

    def add_approval(
        self,
        action_id: str,
        product: str,
        approver: str,
        comment: str,
        revision: str,
        fingerprint: str,
        params: str | None = None,
        rules: str | None = None,
    ) -> ApprovalRecord:
        """Record an approval of ``action_id``, bound to the product fingerprint, the params (canonical
        JSON) and the matching rules' digest it was given for, at fleet revision ``revision``."""
        with self.session() as s:
            rec = ApprovalRecord(
                action_id=action_id,
                product=product,
                approver=approver,
                comment=comment,
                revision=revision,
                fingerprint=fingerprint,
                params=params,
                rules=rules,
            )
            s.add(rec)
            return rec

    def pause(self, product: str, by: str) -> bool:
        """Suspend ``product`` for every controller process; False if it already was."""
        with self.session() as s:
            if s.get(PausedProduct, product) is not None:
                return False
            s.add(PausedProduct(product=product, by=by))
            return True

    def unpause(self, product: str) -> bool:
        """Resume ``product``; False if it was not suspended."""
        with self.session() as s:
            return bool(s.execute(delete(PausedProduct).where(PausedProduct.product == product)).rowcount)

    def paused(self) -> dict[str, PausedProduct]:
        """The suspended products, by name."""
        with self.session() as s:
            return {p.product: p for p in s.scalars(select(PausedProduct))}

    def approvals(self, products: list[str] | None = None, since: int = 0) -> list[ApprovalRecord]:
        """Approvals on record, oldest first, for the given products only if ``products`` is given,
        recorded after the one with id ``since`` only if given."""
        with self.session() as s:
            q = select(ApprovalRecord).order_by(ApprovalRecord.id)
            if products is not None:
                q = q.where(ApprovalRecord.product.in_(products))
            if since:
                q = q.where(ApprovalRecord.id > since)
            return list(s.scalars(q))

    def record_decisions(self, rows: list[dict[str, Any]]) -> None:
        """Append verdicts to the decision log (each dict holds ``DecisionRecord`` fields). A decision
        whose id is already in the log (the same inputs, decided the same) is recorded as a reference
        to its first row (``reuse_of``), without the decision document again."""
        ids = sorted({row["decision_id"] for row in rows})
        with self.session() as s:
            first: dict[str, int] = {}
            for chunk in range(0, len(ids), 500):
                q = (
                    select(DecisionRecord.decision_id, func.min(DecisionRecord.id))
                    .where(DecisionRecord.decision_id.in_(ids[chunk : chunk + 500]))
                    .group_by(DecisionRecord.decision_id)
                )
                first.update({d: i for d, i in s.execute(q)})
            for row in rows:
                known = first.get(row["decision_id"])
                if known is not None:
                    row = {**row, "reuse_of": known, "decision": {}}
                s.add(DecisionRecord(**row))

    def decisions(self, action_id: str, limit: int = 1) -> list[DecisionRecord]:
        """The latest ``limit`` decisions on ``action_id``, newest first."""
        with self.session() as s:
            q = (
                select(DecisionRecord)
                .where(DecisionRecord.action_id == action_id)
                .order_by(DecisionRecord.id.desc())
                .limit(limit)
            )
            return list(s.scalars(q))
