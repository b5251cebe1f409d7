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
from codemonkeys.api.tools import FACETS as REGISTERED
from codemonkeys.api.tools import params_json, render_changelog_section
from codemonkeys.service.auth import Principal, Role
from codemonkeys.service.controller import Controller
from codemonkeys.vocab.facts import Commit
from codemonkeys.vocab.plan import ActionKind, Verdict

LOG_TAIL = 20_000  # characters of a journaled log shown on a product page
# the grid's order: needs attention first (held: an action waits for a person's approval)
STATES = ("stuck", "failed", "held", "running", "drifting", "unknown", "suspended", "in_sync")
FACETS = tuple(str(f.name) for f in REGISTERED.facets if f.column)  # the grid's columns, in planning order
KEPT_MEDIA = {".png": "image/png", ".jpg": "image/jpeg", ".webm": "video/webm", ".zip": "application/zip"}
DECISIONS = ("approval.given", "approval.rejected")


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
    """A grid row's state: suspended, running (an action of it runs now), unknown (never observed),
    stuck (a facet failed and nothing is planned: a person must act, ``ProductPlan.stuck``), failed (a
    facet failed while others still act or wait for an approval), held (an action waits for an approval),
    in_sync, drifting."""
    if row.get("suspended") or row.get("paused"):
        return "suspended"
    if row.get("running"):
        return "running"
    if row.get("in_sync") is None:
        return "unknown"
    facets = row.get("facets", {}).values()
    if "failed" in facets:
        return "failed" if "drift" in facets or "held" in facets else "stuck"
    if "held" in facets:
        return "held"
    return "in_sync" if row["in_sync"] else "drifting"


def grid_filter(state: str = "", company: str = "", label: str = "", text: str = "") -> GridFilter:
    """The grid's filters from a request; a state the grid does not know is refused (400) rather than
    matching nothing."""
    if state and state not in STATES:
        raise HTTPException(400, f"unknown state {state[:40]!r}: the grid's states are {', '.join(STATES)}")
    return GridFilter(state, company[:80], label[:200], text[:200])


def held_count(ctl: Controller) -> int:
    """How many actions wait for an approval, as the last plans left them: the held facets of the
    stored product statuses (the planner marks a facet ``held`` when its action is held). Reads the
    store only: cheap enough for every page's navigation."""
    products = ctl.desired.products
    return sum(
        1
        for s in ctl.store.statuses()
        if s.product in products
        for f in (s.facets or {}).values()
        if isinstance(f, dict) and f.get("state") == "held"
    )


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
                "message": rec.text,
                "verdict": rec.verdict,
                "rule": rec.rule,
                "attempts": rec.attempts,
                "tries": rec.tries or [],  # each attempt: number, started_at, seconds, outcome, message
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


def approvals(ctl: Controller, products: list[str] | None = None) -> list[dict]:
    """Every held action of the fleet now (of ``products`` if given; observes them), with its rule,
    message, params and who may approve it, what an approval would let happen (``details``: a card per
    action kind), and the approvals and rejections on record that are bound to what is held now (the
    same product fingerprint, params and matching rules): ``decisions``, ``last``; ``lapsed`` counts
    those given for something else (an earlier version, other params)."""
    plan = ctl.session.plan(products)
    facts = {s.product: s.facts or {} for s in ctl.store.statuses()}  # the plan has just stored them
    said: dict[str, list[dict]] = {}
    out = []
    for a in plan.actions:
        if a.decision.verdict is not Verdict.HOLD:
            continue
        if a.product not in said:
            said[a.product] = [
                r for r in ctl.session.audit(product=a.product, limit=500) if r["event"] in DECISIONS
            ]
        fingerprint = a.decision.fingerprint or plan.products[a.product].fingerprint  # what approvals bind to
        mine = [r for r in said[a.product] if r.get("action_id") == a.id]
        bound = [r for r in mine if bound_to(r, fingerprint, a.params, a.decision.rules)]
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
                "fingerprint": fingerprint,
                "decisions": bound,
                "last": bound[-1] if bound else None,
                "lapsed": len(mine) - len(bound),
                "details": details(
                    str(a.kind),
                    a.params,
                    facts.get(a.product, {}),
                    _diff(ctl, a.product, a.kind, a.params),
                    ctl.context.now().date().isoformat(),
                ),
            }
        )
    return out


def bound_to(record: dict, fingerprint: str, params: dict, rules: str) -> bool:
    """Whether an ``approval.*`` audit record was given for this identity of the action: the product
    fingerprint, and the params and matching rules' digest where the record has them (a rejection
    records no params)."""
    data = record.get("data") or {}
    if data.get("fingerprint") != fingerprint:
        return False
    if "params" in data and params_json(data["params"] or {}) != params_json(params):
        return False
    return not (data.get("rules") and rules and data["rules"] != rules)


def may_decide(who: Principal | None, card: dict) -> bool:
    """Whether ``who`` may approve or reject a held action (``card`` of ``approvals``): an approver or
    admin, of the product's company, and among the holding rules' approvers (none named: anyone). The
    legacy API token, which names nobody, approves as someone it names (``speaks_for_anyone``)."""
    if who is None or not who.may(Role.approver) or not who.covers(card.get("company")):
        return False
    return speaks_for_anyone(who) or not card["approvers"] or who.name in card["approvers"]


def speaks_for_anyone(who: Principal) -> bool:
    """The legacy admin token (``CMCTL_API_TOKEN``): it names nobody, so it approves as whom it says."""
    return who.name == "admin" and who.role is Role.admin and not who.companies


def _diff(ctl: Controller, product: str, kind: ActionKind, params: dict) -> str | None:
    """The whole diff a merge would land (the params keep only its start): the change proposal's, or
    the heal attempt's patch, from the store."""
    if kind is ActionKind.CHANGE_MERGE:
        rows = ctl.session.changes([product])
        found = next((r for r in rows if r["change"] == params.get("change")), None)
        return found["diff"] if found else params.get("diff")
    if kind is ActionKind.HEAL_MERGE:
        tried = ctl.session.heal_attempts(product, params.get("commit"))
        found = next((h for h in tried if h["attempt"] == params.get("attempt")), None)
        return found["patch"] if found and found["patch"] else params.get("patch")
    return None


def _short(sha: object) -> str:
    return str(sha or "-")[:12]


def details(kind: str, params: dict, facts: dict, diff: str | None = None, today: str = "") -> dict:
    """What approving an action of ``kind`` would let happen, for people (pure): ``facts`` (label,
    value) pairs, ``lists`` (caption, items) and ``texts`` (caption, text: a changelog, a diff), from
    the action's params, the product's stored facts and a merge's ``diff``."""
    p = params
    out: dict[str, list] = {"facts": [], "lists": [], "texts": []}
    if kind == ActionKind.RELEASE_CUT:
        git = facts.get("git") if isinstance(facts.get("git"), dict) else {}
        commits = [Commit.model_validate(c) for c in git.get("commits_since") or []]
        since = git.get("last_tag") or "the first commit"
        out["facts"] = [
            ("version", f"{p.get('previous') or 'none'} -> {p.get('version')}"),
            ("bump", p.get("bump")),
            ("tag", p.get("tag")),
            ("commit", _short(p.get("commit"))),
        ]
        out["lists"].append(
            (f"{len(commits)} commit(s) since {since}", [f"{c.sha[:7]} {c.subject}" for c in commits])
        )
        for key in ("breaks", "conflicts"):
            if p.get(key):
                out["lists"].append((key, [str(x) for x in p[key]]))
        if p.get("version"):
            section = render_changelog_section(str(p["version"]), today or "today", commits)
            out["texts"].append(("changelog", section))
    elif kind == ActionKind.INFRA_APPLY:
        counts = ", ".join(
            f"{p.get(k, 0)} to {k.removesuffix('s')}" for k in ("adds", "changes", "destroys", "replaces")
        )
        out["facts"] = [
            ("terraform plan", counts),
            ("commit", _short(p.get("commit"))),
            ("workspace", p.get("workspace")),
            ("drift", "yes: changed outside Terraform" if p.get("drift") else "no"),
        ]
        out["lists"].append(("addresses", [str(a) for a in p.get("addresses") or []]))
    elif kind == ActionKind.DEPLOY_RUN:
        hosts, pending = list(p.get("hosts") or []), list(p.get("pending") or [])
        batch = p.get("batch") or 1
        batches = -(-len(pending) // batch) if isinstance(batch, int) and batch > 0 else None
        out["facts"] = [
            ("environment", p.get("environment")),
            ("version", f"{p.get('previous') or 'none (first deploy)'} -> {p.get('version')}"),
            ("hosts", f"{len(pending)} of {len(hosts)} to change"),
            ("batches", f"{batches} of at most {batch} host(s)" if batches is not None else batch),
        ]
        out["lists"].append(
            ("hosts", [f"{h} (changes)" if h in pending else f"{h} (unchanged)" for h in hosts])
        )
    elif kind in (ActionKind.CHANGE_MERGE, ActionKind.CHANGE_PROPOSE):
        out["facts"] = [
            ("change", p.get("change")),
            ("message", p.get("message")),
            ("author", p.get("author")),
            ("lines", p.get("lines")),
            ("branch", p.get("branch")),
        ]
        out["lists"].append(("files", [str(f) for f in p.get("files") or []]))
        out["texts"].append(("diff", diff if diff is not None else p.get("diff") or ""))
    elif kind == ActionKind.HEAL_MERGE:
        out["facts"] = [
            ("attempt", p.get("attempt")),
            ("strategy", p.get("strategy")),
            ("template", p.get("template")),
            ("red commit", _short(p.get("commit"))),
            ("heal commit", _short(p.get("heal_commit"))),
            ("branch", p.get("branch")),
        ]
        out["lists"].append(("files", [str(f) for f in p.get("files") or []]))
        out["texts"].append(("diff", diff if diff is not None else p.get("patch") or ""))
    else:  # any other kind: its plain params, one per line
        out["facts"] = [(k, v) for k, v in p.items() if isinstance(v, (str, int, float, bool)) or v is None]
    out["facts"] = [(k, v) for k, v in out["facts"] if v not in (None, "")]
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


_VERDICT_OF_STATE = {"denied": "deny", "held": "hold"}


def changes(ctl: Controller, select: list[str] | None = None) -> list[dict]:
    """Every change proposal of the selected products (all by default), newest first, each with the
    gate's ``verdict`` and ``rule`` on its next action: the controller's last plan of the product says
    (as the product page does) even when nothing was applied; else its journal (``FleetSession.changes``)."""
    try:
        rows = ctl.session.changes(select)
    except SelectorError as exc:
        raise HTTPException(400, str(exc)) from None
    for row in rows:
        row["verdict"] = _VERDICT_OF_STATE.get(row["state"], "")
        if row["state"] not in ("proposed", "green"):
            continue
        kind = "change.propose" if row["state"] == "proposed" else "change.merge"
        state = ctl.products.get(row["product"])
        planned = {a["id"]: a for a in (state.last_actions if state else [])}
        said = planned.get(f"{row['product']}/{kind}/{row['change']}")
        if said is None:
            continue
        row["verdict"] = said["verdict"]
        if said["verdict"] in _VERDICT_OF_STATE.values():
            row["state"] = "denied" if said["verdict"] == "deny" else "held"
            row["rule"], row["blocked"] = said.get("rule", ""), said.get("message", "")
    return rows
