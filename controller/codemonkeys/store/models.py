"""The store's tables and values (SQLAlchemy models), importable by the migrations alone: runs and the action
journal, build results, durations, signatures, conflicts, fix templates, heal attempts, change proposals,
their pull requests, endpoint outages, flaky builds, infra applies, notifications, product status, paused
products, approvals, the decision log and the hash-chained audit log (``chain_hash``, ``ChainCheck``)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
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
    # each attempt of its actuator (``engine.executor.Attempt.to_json``: number, started_at, seconds,
    # outcome, message, transient), written as each one ends; None before migration 0009 or if it never ran
    tries: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)

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
    # kind update (a manifest bump, spec.dependencies.update): what it takes (``vocab.updates.Update``)
    takes: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PullRequestRecord(Base):
    """A pull request Code Monkeys opened on a product's forge for one of its branches (a heal attempt's,
    a change's): its number, web address and last known state. The forge stays the truth; this row only
    saves looking the number up by branch on every reconcile."""

    __tablename__ = "pull_requests"
    __table_args__ = (UniqueConstraint("product", "branch"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[str] = mapped_column(String(80), index=True)
    branch: Mapped[str] = mapped_column(String(200))
    forge: Mapped[str] = mapped_column(String(16))
    number: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))  # forges.PullState
    head: Mapped[str] = mapped_column(String(64), default="")  # the commit Code Monkeys proposed in it
    # the forge's last refusal to merge it, and what it was refused for (the head and the approving
    # logins then): until one of those changes the merge waits with that reason instead of trying again
    refused: Mapped[str] = mapped_column(Text, default="")
    refused_for: Mapped[str] = mapped_column(Text, default="")
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


class EndpointOutage(Base):
    """An endpoint Code Monkeys could not use (the heal LLM's server: refused, timed out, 5xx, its model
    missing), shared by every product and controller process: nothing asks it again before
    ``retry_at``, which backs off as ``failures`` grow; the row goes once it answers."""

    __tablename__ = "endpoint_outages"
    endpoint: Mapped[str] = mapped_column(String(300), primary_key=True)
    since: Mapped[datetime] = mapped_column(default=utcnow)
    retry_at: Mapped[datetime] = mapped_column(default=utcnow)
    failures: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str] = mapped_column(Text, default="")


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
