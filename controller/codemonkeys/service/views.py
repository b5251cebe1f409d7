"""The dashboard's views as data: one function per view, called by both the JSON API
(service/dashboard.py, ``/api/...``) and the server-rendered pages (service/pages.py), so a page shows
exactly what its JSON says. Each reads through ``api.FleetSession`` (and the controller's own memory of
its reconciles); the grid's state, filters, order and counts are pure functions of the rows.

A library ``ApiError`` becomes an ``HTTPException`` here: 404 for an unknown product, 409 for what is not
possible now.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException

from codemonkeys.api import ApiError, SelectorError
from codemonkeys.service.controller import Controller
from codemonkeys.vocab.plan import Verdict

LOG_TAIL = 20_000  # characters of a journaled log shown on a product page
# the grid's order: needs attention first (held: an action waits for a person's approval)
STATES = ("failed", "held", "drifting", "unknown", "suspended", "in_sync")
FACETS = ("build", "docs", "release", "infra", "deploy", "announce")
KEPT_MEDIA = {".png": "image/png", ".jpg": "image/jpeg", ".webm": "video/webm", ".zip": "application/zip"}


def call(fn, *args):
    """Call the library; its ``ApiError`` becomes a 404 (no such product) or a 409 (not possible now)."""
    try:
        return fn(*args)
    except ApiError as exc:
        raise HTTPException(
            404 if str(exc).startswith(("no product", "unknown product")) else 409, str(exc)
        ) from None


def known(ctl: Controller, name: str) -> str:
    """``name`` if the fleet has that product, else a 404."""
    if name not in ctl.desired.products:
        raise HTTPException(404, f"no product {name!r}")
    return name


# --- the fleet grid ---------------------------------------------------------------------------------------


def fleet(ctl: Controller, select: list[str] | None = None) -> dict:
    """The fleet's rows (``FleetSession.fleet``: the store only, no observation) with the controller's
    last reconcile and pause of each, and the fleet's last run."""
    try:
        rows = ctl.session.fleet(select)
    except SelectorError as exc:
        raise HTTPException(400, str(exc)) from None
    paused = ctl.session.paused()
    for row in rows:
        state = ctl.products.get(row["name"])
        row["last_reconcile"] = state.__dict__ if state else None
        row["paused"] = row["name"] in paused
    runs = ctl.session.runs(limit=1)
    return {"products": rows, "last_run": runs[0] if runs else None}


def status(row: dict) -> str:
    """A grid row's state: suspended, unknown (never observed), failed (a facet failed), held (an action
    waits for an approval), in_sync, drifting."""
    if row.get("suspended") or row.get("paused"):
        return "suspended"
    if row.get("in_sync") is None:
        return "unknown"
    facets = row.get("facets", {}).values()
    if "failed" in facets:
        return "failed"
    if "held" in facets:
        return "held"
    return "in_sync" if row["in_sync"] else "drifting"


@dataclass(frozen=True)
class GridFilter:
    """The grid's filters (GET query parameters): a state, a company, a label (``key`` or ``key=value``)
    and free text (name, company, labels, language; case-insensitive). Empty: no filter."""

    state: str = ""
    company: str = ""
    label: str = ""
    text: str = ""

    def keeps(self, row: dict) -> bool:
        """Whether grid row ``row`` passes every filter that is set."""
        if self.state and status(row) != self.state:
            return False
        if self.company and row.get("company") != self.company:
            return False
        if self.label.strip():
            key, _, value = self.label.strip().partition("=")
            labels = row.get("labels", {})
            if key not in labels or ("=" in self.label and labels[key] != value):
                return False
        hay = " ".join([row["name"], row.get("company") or "", labels_text(row), row.get("language") or ""])
        return not self.text.strip() or self.text.strip().lower() in hay.lower()


@dataclass
class Grid:
    """The grid as shown: the kept rows (needs attention first, then by name), the counts of every state
    over the whole fleet, and the choices of the filters."""

    rows: list[dict]
    total: int
    counts: dict[str, int]
    companies: list[str]
    states: tuple[str, ...] = STATES
    facets: tuple[str, ...] = FACETS
    filter: GridFilter = field(default_factory=GridFilter)


def grid(rows: list[dict], want: GridFilter) -> Grid:
    """Filter, order and count the fleet's rows (pure)."""
    for row in rows:
        row["state"] = status(row)
    counts = Counter(row["state"] for row in rows)
    kept = sorted((r for r in rows if want.keeps(r)), key=lambda r: (STATES.index(r["state"]), r["name"]))
    companies = sorted({r["company"] for r in rows if r.get("company")})
    return Grid(kept, len(rows), {s: counts[s] for s in STATES if counts[s]}, companies, filter=want)


def labels_text(row: dict) -> str:
    """``k=v, k2=v2`` of a row's labels."""
    return ", ".join(f"{k}={v}" for k, v in row.get("labels", {}).items())


# --- a product --------------------------------------------------------------------------------------------


def explain(ctl: Controller, name: str) -> dict:
    """``FleetSession.explain`` (observes the product now) with each next action's predicted duration
    and whether an admin suspended the product (``FleetSession.suspend``)."""
    doc = call(ctl.session.explain, name)
    predicted = {p["kind"]: p["predicted_s"] for p in call(ctl.session.predictions, name)}
    for action in doc["next"]:
        action["predicted_s"] = predicted.get(action["id"].split("/")[1])
    doc["paused"] = name in ctl.session.paused()
    return doc


def heal(ctl: Controller, name: str) -> list[dict]:
    """The product's heal attempts with their patches."""
    return call(ctl.session.heal_attempts, name)


def attempts(ctl: Controller, name: str) -> list[dict]:
    """The last journaled attempt of each of the product's actions, newest first, with the tail of its
    (redacted) log and its kept files (a browser run's screenshots)."""
    known(ctl, name)
    last: dict[str, object] = {}
    for rec in ctl.store.actions(product=name):
        last[rec.action_id] = rec
    out = []
    for rec in sorted(last.values(), key=lambda r: r.id, reverse=True):
        log = rec.log or ""
        out.append(
            {
                "action": rec.action_id,
                "run": rec.run_id,
                "status": rec.status,
                "message": rec.message,
                "attempts": rec.attempts,
                "finished_at": rec.finished_at.isoformat() if rec.finished_at else None,
                "log": log[-LOG_TAIL:],
                "truncated": len(log) > LOG_TAIL,
                "artifacts": sorted((rec.outputs or {}).get("artifacts", {})),
            }
        )
    return out


def artifact(ctl: Controller, action: str, run: int, name: str) -> tuple[Path, str]:
    """The path and media type of a file an action kept (found through its journal entry only, never a
    path from the request), if it is unchanged since (its SHA-256): 404 / 409 otherwise."""
    rec = ctl.store.action_record(action, run)
    entry = ((rec.outputs or {}).get("artifacts", {}) if rec else {}).get(name)
    if entry is None:
        raise HTTPException(404, f"{action} kept no file {name!r} in run {run}")
    path = Path(entry["path"])
    media = KEPT_MEDIA.get(path.suffix.lower())
    if media is None or not path.is_file():
        raise HTTPException(404, f"{name} cannot be shown (gone, or not a picture, video or trace)")
    if hashlib.sha256(path.read_bytes()).hexdigest() != entry.get("sha256"):
        raise HTTPException(409, f"{name} changed since {action} kept it")
    return path, media


# --- approvals, swarm, audit -------------------------------------------------------------------------------


def approvals(ctl: Controller) -> list[dict]:
    """Every held action of the fleet now (observes the fleet), with its rule, message, params and who
    may approve it, and the last approval or rejection on record."""
    plan = ctl.session.plan()
    audit = [r for r in ctl.session.audit(limit=500) if r["event"] in ("approval.given", "approval.rejected")]
    out = []
    for a in plan.actions:
        if a.decision.verdict is not Verdict.HOLD:
            continue
        said = [r for r in audit if r.get("action_id") == a.id]
        out.append(
            {
                "id": a.id,
                "product": a.product,
                "company": ctl.desired.products[a.product].metadata.company,
                "kind": str(a.kind),
                "reason": a.reason,
                "params": a.params,
                "rule": a.decision.rule,
                "message": a.decision.message,
                "approvers": sorted(ctl.session.approvers(a)),
                "revision": ctl.desired.revision,
                "fingerprint": plan.products[a.product].fingerprint,
                "last": said[-1] if said else None,
            }
        )
    return out


def swarm(ctl: Controller) -> dict:
    """What the fleet learned: top signatures, fix templates, conflicts, flaky builds, slowdowns, and
    predictions against actuals per product."""
    s = ctl.session
    predictions = {}
    for name in sorted(ctl.desired.products):
        rows = s.predictions(name)
        if rows:
            predictions[name] = rows
    return {
        "signatures": s.signatures(limit=20),
        "templates": s.templates(),
        "conflicts": s.conflicts(),
        "flaky": s.flaky(),
        "slowdowns": s.slowdowns(),
        "predictions": predictions,
    }


def verify(ctl: Controller) -> dict:
    """The audit hash chain's verification."""
    check = ctl.session.verify_audit()
    return {"ok": check.ok, "records": check.records, "broken_at": check.broken_at, "reason": check.reason}


def changes(ctl: Controller, select: list[str] | None = None) -> list[dict]:
    """Every change proposal of the selected products (all by default), newest first."""
    try:
        return ctl.session.changes(select)
    except SelectorError as exc:
        raise HTTPException(400, str(exc)) from None
