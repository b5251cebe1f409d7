"""The store (stage 6: record): runs, the action journal, local CI results, product status, audit log.

SQLAlchemy 2 over SQLite by default (``<fleet>/.cmctl/state.db``); any SQLAlchemy URL works
(PostgreSQL for a controller spread over machines). The audit log is append-only and hash-chained:
each record hashes the previous record's hash plus its own canonical content, so any edit or deletion
breaks the chain at a findable place (``cmctl audit verify``).

``Store`` is built of one part per concern: ``journal.py``, ``learning.py``, ``facet_records.py``,
``approvals.py``, ``audit.py``; the tables are in ``models.py`` (re-exported here).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from codemonkeys.store.approvals import Approvals
from codemonkeys.store.audit import AuditLog
from codemonkeys.store.facet_records import FacetRecords
from codemonkeys.store.journal import Journal
from codemonkeys.store.learning import Learning
from codemonkeys.store.models import (
    AUDIT_LOCK_KEY,
    GENESIS,
    ActionRecord,
    ActionStatus,
    ApprovalRecord,
    AuditRecord,
    Base,
    BuildResult,
    ChainCheck,
    ChangeProposalRecord,
    DecisionRecord,
    DependencyConflictRecord,
    DurationRecord,
    FixTemplateRecord,
    FlakyRecord,
    HealAttemptRecord,
    InfraApplyRecord,
    NotificationRecord,
    PausedProduct,
    ProductBusy,
    ProductStatus,
    Run,
    RunStatus,
    SignatureRecord,
    StoreError,
    UTCDateTime,
    chain_hash,
    product_lock_key,
    utcnow,
)
from codemonkeys.store.reads import Reads

__all__ = [
    "AUDIT_LOCK_KEY",
    "GENESIS",
    "ActionRecord",
    "ActionStatus",
    "ApprovalRecord",
    "AuditRecord",
    "Base",
    "BuildResult",
    "ChainCheck",
    "ChangeProposalRecord",
    "DecisionRecord",
    "DependencyConflictRecord",
    "DurationRecord",
    "FixTemplateRecord",
    "FlakyRecord",
    "HealAttemptRecord",
    "InfraApplyRecord",
    "NotificationRecord",
    "PausedProduct",
    "ProductBusy",
    "ProductStatus",
    "Run",
    "RunStatus",
    "SignatureRecord",
    "Store",
    "StoreError",
    "UTCDateTime",
    "chain_hash",
    "product_lock_key",
    "utcnow",
]


class Store(Journal, Learning, FacetRecords, Approvals, AuditLog, Reads):
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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
