"""The store (stage 6: record): runs, the action journal, local CI results, product status, audit log.

SQLAlchemy 2 over SQLite by default (``<fleet>/.cmctl/state.db``); any SQLAlchemy URL works
(PostgreSQL for a controller spread over machines). The audit log is append-only and hash-chained:
each record hashes the previous record's hash plus its own canonical content, so any edit or deletion
breaks the chain at a findable place (``cmctl audit verify``).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, aliased, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 0x636D_6175_6469_74  # "cmaudit": the PostgreSQL advisory lock serializing audit appends


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the default of every timestamp column)."""
    return datetime.now(UTC)


class StoreError(Exception):
    """The state database cannot be used: unreachable, or its schema is not this version's (the message
    says what to do, e.g. run ``cmctl db upgrade``)."""


class ProductBusy(Exception):
    """Another process holds the database lock of a product (``Store.lock_products``)."""

    def __init__(self, product: str):
        super().__init__(product)
        self.product = product


def product_lock_key(product: str) -> int:
    """The PostgreSQL advisory lock key of ``product`` (a signed 64-bit hash of its name)."""
    digest = hashlib.sha256(f"codemonkeys.product:{product}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class RunStatus(StrEnum):
    """Where a run stands: ``running``, ``succeeded``, ``failed``, or ``interrupted`` (its process died)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class ActionStatus(StrEnum):
    """State of a journaled action: pending, running, its outcome, or why it never ran (skipped, blocked)."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    NOOP = "noop"
    FAILED = "failed"
    SKIPPED = "skipped"  # not run because a dependency failed or was skipped
    BLOCKED = "blocked"  # not run by policy: denied or held, or a dependency was
    INTERRUPTED = "interrupted"


class UTCDateTime(TypeDecorator):
    """Timestamps stored in UTC and read back timezone-aware (SQLite keeps no offset; every time the
    store hands out is ISO 8601 with an explicit UTC offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """Normalise to UTC before storing (a naive value is taken as UTC)."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """Attach UTC to what the database returns without an offset."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the store's tables (dicts map to JSON columns, datetimes keep their timezone)."""

    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime()}


class Run(Base):
    """One plan or apply run: the fleet revision and plan fingerprint it acted on, who ran it, its summary."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="apply")
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.RUNNING)
    fleet_revision: Mapped[str] = mapped_column(String(80))
    fingerprint: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    host: Mapped[str] = mapped_column(String(255), default=socket.gethostname)
    pid: Mapped[int] = mapped_column(Integer, default=os.getpid)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ActionRecord(Base):
    """The action journal: one action of one run, with its parameters, attempts, outputs, message and log."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    action_id: Mapped[str] = mapped_column(String(255), index=True)
    product: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ActionStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    log: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    # a blocked action: the gate's verdict (deny | hold) and the rule that decided; ``message`` is the
    # rule's own message (``text`` the line people read)
    verdict: Mapped[str] = mapped_column(String(8), default="", server_default="")
    rule: Mapped[str] = mapped_column(String(255), default="", server_default="")

    @property
    def text(self) -> str:
        """The message as people read it: ``deny: RULE: message`` for a blocked action."""
        return f"{self.verdict}: {self.rule}: {self.message}" if self.verdict else self.message


class BuildResult(Base):
    """A local CI result: the outcome of ``build.command`` at one commit."""

    __tablename__ = "build_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[str] = mapped_column(String(80), index=True)
    commit: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    duration: Mapped[float] = mapped_column(Float)
    log: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)


class DurationRecord(Base):
    """Swarm knowledge: how long one finished action took, with what predicts it (``swarm.predict``)."""

    __tablename__ = "durations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    ci: Mapped[str] = mapped_column(String(16), default="")
    action_id: Mapped[str] = mapped_column(String(255), default="")
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # succeeded | failed
    seconds: Mapped[float] = mapped_column(Float)
    commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    files: Mapped[int | None] = mapped_column(Integer, nullable=True)  # changed since the previous run
    lines: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hour: Mapped[int] = mapped_column(Integer, default=0)  # hour of day it started (context clock, UTC)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignatureRecord(Base):
    """Swarm knowledge: a normalized failure signature seen in one build of one product."""

    __tablename__ = "signatures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[str] = mapped_column(String(80), index=True)
    commit: Mapped[str] = mapped_column(String(64))
    ci: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(32), index=True)  # of the cause (migration 0005)
    summary: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    count: Mapped[int] = mapped_column(Integer, default=1)
    build_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    cause: Mapped[str | None] = mapped_column(Text, nullable=True)  # fleet-wide; None: derive from summary
    location: Mapped[str | None] = mapped_column(Text, nullable=True)  # what names the product
    at: Mapped[datetime] = mapped_column(default=utcnow)


class DependencyConflictRecord(Base):
    """Swarm knowledge: a dependency resolver's refusal (pip, npm, cargo) seen in one build's log."""

    __tablename__ = "dependency_conflicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[str] = mapped_column(String(80), index=True)
    commit: Mapped[str] = mapped_column(String(64))
    ci: Mapped[str] = mapped_column(String(16))
    tool: Mapped[str] = mapped_column(String(16))  # pip | npm | cargo
    package: Mapped[str] = mapped_column(String(200))  # the package the resolver could not select
    involved: Mapped[list[str]] = mapped_column(JSON, default=list)  # the versions / ranges it names
    build_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class FixTemplateRecord(Base):
    """Swarm knowledge: a fix template (learned from a human fix or a merged heal) and its record."""

    __tablename__ = "fix_templates"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the template's content hash
    pattern: Mapped[str] = mapped_column(Text)  # the error text it fixes, with placeholders
    kind: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(32), index=True)  # fingerprint it was learned for
    description: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # FixTemplate.to_json()
    origin: Mapped[str] = mapped_column(String(16))  # human | heal
    origin_product: Mapped[str] = mapped_column(String(80))
    origin_commit: Mapped[str] = mapped_column(String(64))
    successes: Mapped[int] = mapped_column(Integer, default=1)  # the fix it was learned from is the first
    failures: Mapped[int] = mapped_column(Integer, default=0)
    learned_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class HealAttemptRecord(Base):
    """One heal attempt of a red commit: its candidate, patch, proving branch and result."""

    __tablename__ = "heal_attempts"
    __table_args__ = (UniqueConstraint("product", "commit", "n"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[str] = mapped_column(String(80), index=True)
    commit: Mapped[str] = mapped_column(String(64))  # the red commit being healed
    n: Mapped[int] = mapped_column(Integer)  # attempt number for this commit, from 1
    strategy: Mapped[str] = mapped_column(String(16))  # template | llm
    template: Mapped[str | None] = mapped_column(String(32), nullable=True)
    signature: Mapped[str] = mapped_column(String(32), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    branch: Mapped[str] = mapped_column(String(200), default="")
    heal_commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # HealStatus
    patch: Mapped[str] = mapped_column(Text, default="")
    lines: Mapped[int] = mapped_column(Integer, default=0)
    files: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    llm_calls: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ChangeProposalRecord(Base):
    """One product's part of a cross-repo change (``cmctl fleet patch`` / ``exec``): the diff proposed,
    who proposed it with which selector, its branch, change commit and where it stands (ChangeStatus)."""

    __tablename__ = "change_proposals"
    __table_args__ = (UniqueConstraint("change", "product"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change: Mapped[str] = mapped_column(String(32), index=True)  # shared by the products of one command
    product: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # patch | replace | exec
    selector: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    command: Mapped[list[str]] = mapped_column(JSON, default=list)  # exec: the argument list
    author: Mapped[str] = mapped_column(String(120), default="")
    diff: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[list[str]] = mapped_column(JSON, default=list)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    base_commit: Mapped[str] = mapped_column(String(64))  # the product's branch head the diff was made on
    branch: Mapped[str] = mapped_column(String(200))
    commit: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the change commit
    status: Mapped[str] = mapped_column(String(16))  # ChangeStatus
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FlakyRecord(Base):
    """Swarm knowledge: a test failure of one commit that passed when the same commit was built again."""

    __tablename__ = "flaky_builds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[str] = mapped_column(String(80), index=True)
    commit: Mapped[str] = mapped_column(String(64))
    ci: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class InfraApplyRecord(Base):
    """An ``infra.apply`` that succeeded: the config commit, workspace, plan and the outputs it left
    (sensitive ones redacted). Other facets read the outputs; drift is judged against the commit."""

    __tablename__ = "infra_applies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[str] = mapped_column(String(80), index=True)
    commit: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(80), default="default")
    plan: Mapped[str] = mapped_column(String(64), default="")
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationRecord(Base):
    """A notification sent (or tried): one per event, action, triggering state and channel."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))  # hash of (event, action id, fingerprint, channel)
    event: Mapped[str] = mapped_column(String(32))
    product: Mapped[str] = mapped_column(String(80), index=True)
    action_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(80))
    ok: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductStatus(Base):
    """The latest observation of a product (what `cmctl status` shows without re-observing)."""

    __tablename__ = "product_status"
    product: Mapped[str] = mapped_column(String(80), primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)
    in_sync: Mapped[bool] = mapped_column(default=False)
    facets: Mapped[dict[str, Any]] = mapped_column(default=dict)
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PausedProduct(Base):
    """A product an admin suspended from the dashboard or the API: no controller process reconciles it
    until it is resumed (``spec.suspend`` in the fleet repo is the lasting, reviewed way)."""

    __tablename__ = "paused_products"
    product: Mapped[str] = mapped_column(String(80), primary_key=True)
    by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ApprovalRecord(Base):
    """`cmctl approve`: bound to the product fingerprint, the params and the matching rules it was given
    for (``vocab.policy.Approval``); ``revision`` is where it was given. Rows from before revision 0004
    have no params (legacy: bound to the revision and the legacy fingerprint)."""

    __tablename__ = "approvals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[str] = mapped_column(String(255), index=True)
    product: Mapped[str] = mapped_column(String(80))
    approver: Mapped[str] = mapped_column(String(120))
    comment: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[str] = mapped_column(String(80))
    fingerprint: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    params: Mapped[str | None] = mapped_column(Text, nullable=True)  # canonical JSON the approver saw
    rules: Mapped[str | None] = mapped_column(String(64), nullable=True)  # ``Decision.rules``


class DecisionRecord(Base):
    """The decision log (OPA style): every verdict with its inputs' hash and the constitution revision."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[str] = mapped_column(String(32), index=True)
    action_id: Mapped[str] = mapped_column(String(255), index=True)
    product: Mapped[str] = mapped_column(String(80))
    verdict: Mapped[str] = mapped_column(String(8))
    rule: Mapped[str | None] = mapped_column(String(120), nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    constitution_revision: Mapped[str] = mapped_column(String(80))
    input_hash: Mapped[str] = mapped_column(String(64))
    plan_fingerprint: Mapped[str] = mapped_column(String(64))
    decision: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # the row this one repeats (the same decision id: the same inputs); its ``decision`` is left empty
    reuse_of: Mapped[int | None] = mapped_column(Integer, nullable=True)


class AuditRecord(Base):
    """One entry of the append-only, hash-chained audit log."""

    __tablename__ = "audit"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    event: Mapped[str] = mapped_column(String(64), index=True)
    product: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    action_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def content(self) -> dict[str, Any]:
        """The fields the record's hash covers (everything but ``prev_hash`` and ``hash`` themselves)."""
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "event": self.event,
            "product": self.product,
            "action_id": self.action_id,
            "run_id": self.run_id,
            "data": self.data,
        }


def chain_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """SHA-256 of ``prev_hash`` plus the canonical JSON of ``content``: the hash of one audit record."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    """The result of ``Store.verify_audit``: records checked and, if broken, the first bad ``seq`` and why."""

    ok: bool
    records: int
    broken_at: int | None = None
    reason: str = ""


class Store:
    """All persistent state of one fleet. Thread-safe: every call opens its own short session."""

    def __init__(self, url: str):
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._check_schema()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._audit_lock = threading.Lock()

    def _check_schema(self) -> None:
        from sqlalchemy.exc import OperationalError

        from codemonkeys.store.migrate import ensure_schema

        try:
            ensure_schema(self.engine)
        except OperationalError as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            reason = str(exc.orig or exc).strip().splitlines()[0]
            self.engine.dispose()
            raise StoreError(f"cannot open the state database {where}: {reason}") from None
        except StoreError:
            self.engine.dispose()
            raise

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions.begin() as s:
            yield s

    # --- runs and the journal -------------------------------------------------------------------

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

    # --- local CI results -----------------------------------------------------------------------

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

    # --- durations (swarm: build-time prediction) -----------------------------------------------

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

    def last_build(self, product: str, before: int | None = None) -> BuildResult | None:
        """The newest recorded local build of ``product`` (older than record ``before`` if given)."""
        with self.session() as s:
            q = select(BuildResult).where(BuildResult.product == product)
            if before is not None:
                q = q.where(BuildResult.id < before)
            return s.scalars(q.order_by(BuildResult.id.desc()).limit(1)).first()

    def record_flaky(self, rows: list[dict[str, Any]]) -> None:
        """Save the signatures of a red build that passed on a re-run (each dict: ``FlakyRecord`` fields)."""
        with self.session() as s:
            s.add_all(FlakyRecord(**row) for row in rows)

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

    def flaky(self, product: str | None = None) -> list[FlakyRecord]:
        """Flaky failures on record, oldest first (of one product if given)."""
        with self.session() as s:
            q = select(FlakyRecord).order_by(FlakyRecord.id)
            if product is not None:
                q = q.where(FlakyRecord.product == product)
            return list(s.scalars(q))

    # --- notifications ----------------------------------------------------------------------------

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

    # --- fix templates and heal attempts (swarm) ------------------------------------------------

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

    # --- cross-repo change proposals -------------------------------------------------------------

    def change_proposals(
        self, product: str | None = None, change: str | None = None, statuses: Sequence[str] | None = None
    ) -> list[ChangeProposalRecord]:
        """Change proposals on record, oldest first (of one product, one change, some statuses if given)."""
        with self.session() as s:
            q = select(ChangeProposalRecord).order_by(ChangeProposalRecord.id)
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

    # --- product status -------------------------------------------------------------------------

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

    # --- approvals and the decision log ---------------------------------------------------------

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

    # --- audit ----------------------------------------------------------------------------------

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
        serialized in the database (a transaction-scoped advisory lock). Elsewhere a writer in another
        process that wins the race makes our insert fail on the unique ``seq``, and we retry on top of it.
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
            q = select(AuditRecord).order_by(AuditRecord.seq)
            if product is not None:
                q = q.where(AuditRecord.product == product)
            rows = list(s.scalars(q))
            return rows[-limit:] if limit else rows

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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
