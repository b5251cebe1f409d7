"""``cmctl controller status``: the controller processes sharing a fleet's state database, read from the
database itself (``service/workers.cluster_status``), so it works from any machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codemonkeys.api import ApiError, Context, FleetSession


class StatusError(Exception):
    """The status cannot be read (no fleet, state not on PostgreSQL, database not migrated)."""


def controller_status_doc(fleet: Path | str, context: Context | None = None) -> dict[str, Any]:
    """The processes, their workers' heartbeats, what each is doing, and the queue (JSON-ready)."""
    from codemonkeys.api.tools import job_queue_ready
    from codemonkeys.service.workers import cluster_status, conninfo_of

    try:
        session = FleetSession.open(fleet, context or Context.from_environ())
    except ApiError as exc:
        raise StatusError(str(exc)) from None
    engine = session.store.engine
    try:
        if not session.store.shared:
            raise StatusError(
                "controller status lists the workers of a shared state database: the fleet's state is "
                "not on PostgreSQL (spec.state.url), so its controller is one process (see its /api)"
            )
        if not job_queue_ready(engine):
            raise StatusError("the state database has no job queue tables: run `cmctl db upgrade`")
        return cluster_status(conninfo_of(engine))
    finally:
        engine.dispose()
