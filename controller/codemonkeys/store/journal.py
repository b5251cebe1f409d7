"""The store's runs, action journal, local CI results and product status (``Journal``, a part of ``Store``:
``self`` is the store)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import aliased

from codemonkeys.store.models import (
    ActionRecord,
    ActionStatus,
    BuildResult,
    ProductBusy,
    ProductStatus,
    Run,
    RunStatus,
    product_lock_key,
    utcnow,
)


class Journal:
    """The store's runs, the action journal, local CI results and product status."""

    def start_run(self, revision: str, fingerprint: str, kind: str = "apply") -> Run:
        """Journal a new run as ``running`` and return it (with its id)."""
        with self.session() as s:
            run = Run(kind=kind, fleet_revision=revision, fingerprint=fingerprint)
            s.add(run)
            s.flush()
            return run

    def finish_run(self, run_id: int, status: RunStatus, summary: dict[str, Any]) -> None:
        """Record a run's final status and summary, stamped with the finish time."""
        with self.session() as s:
            run = s.get(Run, run_id)
            assert run is not None
            run.status, run.summary, run.finished_at = status, summary, utcnow()

    @property
    def shared(self) -> bool:
        """Whether the store is shared between machines (PostgreSQL): applies lock products in the
        database (``lock_products``) instead of a file lock next to the state."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def lock_products(self, products: set[str]) -> Iterator[None]:
        """Hold the database locks of ``products`` (PostgreSQL session advisory locks on one dedicated
        connection: a dead process's locks go with its connection). ``ProductBusy`` naming the first
        product another process holds; nothing stays locked then."""
        conn = self.engine.connect()
        try:
            for name in sorted(products):
                held = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": product_lock_key(name)})
                if not held.scalar():
                    raise ProductBusy(name)
            yield
        finally:
            try:
                conn.execute(text("SELECT pg_advisory_unlock_all()"))
            finally:
                conn.close()

    def mark_interrupted(self, products: set[str] | None = None) -> list[int]:
        """Runs and actions still `running` belong to a dead apply (the caller holds the fleet lock, or on
        a shared store the locks of ``products``: then only runs that touched one of them are dead)."""
        with self.session() as s:
            q = select(Run).where(Run.status == RunStatus.RUNNING)
            if products is not None:
                touched = select(ActionRecord.run_id).where(ActionRecord.product.in_(sorted(products)))
                q = q.where(Run.id.in_(touched))
            runs = s.scalars(q).all()
            for run in runs:
                run.status, run.finished_at = RunStatus.INTERRUPTED, utcnow()
                for rec in s.scalars(
                    select(ActionRecord).where(
                        ActionRecord.run_id == run.id,
                        ActionRecord.status.in_([ActionStatus.RUNNING, ActionStatus.PENDING]),
                    )
                ):
                    rec.status, rec.finished_at = ActionStatus.INTERRUPTED, utcnow()
                    rec.message = (
                        "interrupted: the apply that ran this action ended without recording a result"
                    )
            return [r.id for r in runs]

    def add_actions(self, run_id: int, actions: list[dict[str, Any]]) -> None:
        """Journal the actions of a run (each dict holds ``ActionRecord`` fields)."""
        with self.session() as s:
            for a in actions:
                s.add(ActionRecord(run_id=run_id, **a))

    def update_action(self, run_id: int, action_id: str, **fields: Any) -> None:
        """Set fields of one journaled action of a run.

        Raises ``sqlalchemy.exc.NoResultFound`` if the run has no such action.
        """
        with self.session() as s:
            rec = s.scalars(
                select(ActionRecord).where(ActionRecord.run_id == run_id, ActionRecord.action_id == action_id)
            ).one()
            for k, v in fields.items():
                setattr(rec, k, v)

    def action_record(self, action_id: str, run_id: int | None = None) -> ActionRecord | None:
        """The journal entry of ``action_id`` in run ``run_id``, or in the newest run that has it."""
        with self.session() as s:
            q = select(ActionRecord).where(ActionRecord.action_id == action_id)
            if run_id is not None:
                q = q.where(ActionRecord.run_id == run_id)
            return s.scalars(q.order_by(ActionRecord.run_id.desc()).limit(1)).first()

    def append_log(self, run_id: int, action_id: str, text: str) -> None:
        """Append ``text`` to a running action's log (what ``cmctl logs --follow`` streams)."""
        with self.session() as s:
            rec = s.scalars(
                select(ActionRecord).where(ActionRecord.run_id == run_id, ActionRecord.action_id == action_id)
            ).one()
            rec.log = (rec.log or "") + text

    def runs(self, limit: int = 20) -> list[Run]:
        """The latest ``limit`` runs, newest first."""
        with self.session() as s:
            return list(s.scalars(select(Run).order_by(Run.id.desc()).limit(limit)))

    def actions(self, run_id: int | None = None, product: str | None = None) -> list[ActionRecord]:
        """Journaled actions in journal order, of one run and/or one product if given."""
        with self.session() as s:
            q = select(ActionRecord).order_by(ActionRecord.id)
            if run_id is not None:
                q = q.where(ActionRecord.run_id == run_id)
            if product is not None:
                q = q.where(ActionRecord.product == product)
            return list(s.scalars(q))

    def action_ids(self) -> list[str]:
        """Every action id the journal holds, once each."""
        with self.session() as s:
            return list(s.scalars(select(ActionRecord.action_id).distinct()))

    def held_action_ids(self) -> list[str]:
        """The actions the last plans held: the ``held_actions`` of the held facets of the stored statuses."""
        out: set[str] = set()
        with self.session() as s:
            for facets in s.scalars(select(ProductStatus.facets)):
                for f in (facets or {}).values():
                    if isinstance(f, dict) and f.get("state") == "held":
                        out.update(f.get("held_actions") or ())
        return sorted(out)

    def running_actions(self) -> list[ActionRecord]:
        """The actions running now (journaled ``running`` in a run still running), oldest first."""
        with self.session() as s:
            q = (
                select(ActionRecord)
                .join(Run, Run.id == ActionRecord.run_id)
                .where(ActionRecord.status == ActionStatus.RUNNING, Run.status == RunStatus.RUNNING)
                .order_by(ActionRecord.started_at)
            )
            return list(s.scalars(q))

    def record_build(self, product: str, commit: str, status: str, duration: float, log: str) -> None:
        """Save the result of a local CI build (``build.command``) of ``product`` at ``commit``."""
        with self.session() as s:
            s.add(BuildResult(product=product, commit=commit, status=status, duration=duration, log=log))

    def build_result(self, product: str, commit: str) -> BuildResult | None:
        """The latest local CI result of ``product`` at ``commit``, None if it was never built there."""
        with self.session() as s:
            return s.scalars(
                select(BuildResult)
                .where(BuildResult.product == product, BuildResult.commit == commit)
                .order_by(BuildResult.id.desc())
                .limit(1)
            ).first()

    def build_results(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], BuildResult]:
        """``build_result`` of each (product, commit) in ``pairs`` with one query per 400 pairs: the
        latest result of each, absent if it was never built there."""
        out: dict[tuple[str, str], BuildResult] = {}
        with self.session() as s:
            for i in range(0, len(pairs), 400):
                chunk = list(pairs[i : i + 400])
                q = select(BuildResult).where(tuple_(BuildResult.product, BuildResult.commit).in_(chunk))
                for row in s.scalars(q.order_by(BuildResult.id)):
                    out[(row.product, row.commit)] = row  # the latest (highest id) last
        return out

    def last_failure(self, product: str) -> ActionRecord | None:
        """The latest failed action of ``product`` that is still the newest result of that action: once
        a later run of the same action succeeded (or found its effect in place), the failure is history
        (``runs``, ``logs --run N`` keep it). None if no failure stands."""
        later = aliased(ActionRecord)
        superseded = (
            select(later.id)
            .where(
                later.action_id == ActionRecord.action_id,
                later.id > ActionRecord.id,
                later.status.in_([ActionStatus.SUCCEEDED, ActionStatus.NOOP]),
            )
            .exists()
        )
        with self.session() as s:
            return s.scalars(
                select(ActionRecord)
                .where(
                    ActionRecord.product == product,
                    ActionRecord.status == ActionStatus.FAILED,
                    ~superseded,
                )
                .order_by(ActionRecord.id.desc())
                .limit(1)
            ).first()

    def last_build(self, product: str, before: int | None = None) -> BuildResult | None:
        """The newest recorded local build of ``product`` (older than record ``before`` if given)."""
        with self.session() as s:
            q = select(BuildResult).where(BuildResult.product == product)
            if before is not None:
                q = q.where(BuildResult.id < before)
            return s.scalars(q.order_by(BuildResult.id.desc()).limit(1)).first()

    def save_status(self, product: str, in_sync: bool, facets: dict[str, Any], facts: dict[str, Any]) -> None:
        """Replace the latest observation of ``product``: whether it is in sync, its facets, its facts."""
        with self.session() as s:
            row = s.get(ProductStatus, product) or ProductStatus(product=product)
            row.in_sync, row.facets, row.facts, row.observed_at = in_sync, facets, facts, utcnow()
            s.add(row)

    def statuses(self) -> list[ProductStatus]:
        """The latest observation of every product, by product name."""
        with self.session() as s:
            return list(s.scalars(select(ProductStatus).order_by(ProductStatus.product)))

    def history(self, since: datetime) -> list[ActionRecord]:
        """Succeeded actions finished since ``since`` (for budgets)."""
        with self.session() as s:
            q = select(ActionRecord).where(
                ActionRecord.status == ActionStatus.SUCCEEDED, ActionRecord.finished_at >= since
            )
            return list(s.scalars(q))
