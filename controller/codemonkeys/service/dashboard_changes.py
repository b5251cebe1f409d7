"""The dashboard's cross-repo changes (``cmctl fleet patch`` / ``fleet exec``): ``GET /api/changes`` (a
viewer: every proposal with its state per product, its diff, and the rule that denied or held it), and
``POST /api/changes/{change}/drop`` (an admin of every product concerned, CSRF-checked for a browser
session like every write): ``FleetSession.drop_change``, audited with the caller's name, then a
``change.dropped`` event for the open pages."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Query, Request
from pydantic import BaseModel, Field

from codemonkeys.api import ApiError
from codemonkeys.service import views
from codemonkeys.service.auth import Guard, Role
from codemonkeys.service.controller import Controller

OPEN = ("proposed", "building", "green", "red", "conflict")  # a drop withdraws these


class Drop(BaseModel):
    """Which products' proposals of a change to drop (all of its open ones when empty)."""

    products: list[str] = Field(default_factory=list, max_length=500)


def add_change_routes(app: FastAPI, ctl: Controller, guard: Guard) -> None:
    """Mount the change endpoints on ``app`` (reading is guarded by the app's middleware)."""

    @app.get("/api/changes")
    def changes(select: list[str] | None = Query(None)) -> list[dict]:
        """Every change proposal of the selected products (all by default), newest first."""
        return views.changes(ctl, select)

    @app.post("/api/changes/{change}/drop")
    def drop(change: str, body: Drop, request: Request) -> dict:
        """Withdraw the open proposals of ``change`` (of ``products``): an admin of each one's company."""
        return drop_change(
            ctl, lambda company: guard.write(request, Role.admin, company), change, body.products
        )


def drop_change(ctl: Controller, authorize, change: str, products: list[str]) -> dict:
    """Withdraw the open proposals of ``change`` (of ``products``, all when empty) once
    ``authorize(company) -> Principal`` passed for every company concerned (it raises otherwise); audited
    by the library, then a ``change.dropped`` event per product."""
    rows = [r for r in ctl.session.changes() if r["change"] == change and r["status"] in OPEN]
    if products:
        unknown = sorted(set(products) - {r["product"] for r in rows})
        if unknown:
            raise HTTPException(404, f"no open proposal of change {change!r} for {', '.join(unknown)}")
        rows = [r for r in rows if r["product"] in products]
    if not rows:
        raise HTTPException(404, f"no open proposal of change {change!r}")
    who = None
    for company in sorted({ctl.desired.products[r["product"]].metadata.company or "" for r in rows}):
        who = authorize(company or None)
    assert who is not None
    try:
        dropped = ctl.session.drop_change(change, [r["product"] for r in rows], actor=who.name)
    except ApiError as exc:
        raise HTTPException(409, str(exc)) from None
    for product in dropped:
        ctl.events.publish("change.dropped", product=product, change=change, by=who.name)
    return {"change": change, "dropped": dropped, "by": who.name}
