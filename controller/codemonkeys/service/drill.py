"""The dashboard's drill-down pages as data (service/pages.py renders them): a run (``/runs/ID``: its
actions with their verdicts, statuses, attempts, durations and outcomes), an action of a run
(``/runs/ID/actions/ACTION``: its journal entry, each attempt of its actuator, kept files and its log
with numbered lines, searched with ``?q=``), the audit log filtered and paged
(``/audit?product=&actor=&kind=&from=&to=&page=``), and the pure helpers the templates use: a run's
counts in words, a running action's progress, links for the command-line hints the library's messages
carry (``cmctl approve ID``, ``cmctl logs ID``).

Reads the store only (the journal and the audit log, through the controller's store); logs are
redacted when journaled and escaped when shown (the templates autoescape; ``weblinks`` escapes what it
does not link)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

from fastapi import HTTPException
from markupsafe import Markup, escape

from codemonkeys.service.controller import Controller

PER_PAGE = 50  # audit records per page (``?per=`` from 10 to 500)
PER_PAGE_RANGE = (10, 500)
LOG_LINES = 20_000  # lines of a log shown on an action page (the raw log has them all)
# the order a run's counts are said in: what needs a look first
COUNT_ORDER = ("failed", "interrupted", "blocked", "skipped", "running", "pending", "succeeded", "noop")
FINAL = frozenset({"succeeded", "noop", "failed", "skipped", "blocked", "interrupted"})


# --- words and links --------------------------------------------------------------------------------------


def counts(summary: dict | None) -> list[tuple[str, int]]:
    """A run's counts (status -> number of actions) in the order people read them: failures first,
    unknown statuses after the known ones, zeros left out."""
    summary = {str(k): v for k, v in (summary or {}).items() if isinstance(v, int) and v}
    known = [s for s in COUNT_ORDER if s in summary]
    return [(s, summary[s]) for s in known + sorted(set(summary) - set(known))]


def counts_text(summary: dict | None) -> str:
    """A run's counts in words: ``1 failed, 2 skipped`` (``no actions`` for none)."""
    return ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts(summary)) or "no actions"


def wbr(text: object) -> Markup:
    """``text`` escaped, with a line-break opportunity after each ``/`` (an action id breaks between
    its parts, not inside a word)."""
    return Markup("/<wbr>").join(escape(part) for part in str(text or "").split("/"))


def action_href(run: int | str, action_id: str) -> str:
    """The address of ``action_id``'s page in run ``run`` (``latest``: the newest run that has it)."""
    return f"/runs/{run}/actions/{quote(action_id, safe='/')}"


def short(seconds: float | None) -> str:
    """A duration in a few characters: ``12 s``, ``4 min 5 s``, ``2 h 3 min`` (``-`` for none)."""
    if seconds is None:
        return "-"
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def progress(running: dict | None) -> str:
    """A running action's progress: ``12 s of ~45 s`` (its expected duration when known)."""
    if not running:
        return ""
    elapsed = running.get("elapsed")
    expected = running.get("expected")
    said = short(elapsed if isinstance(elapsed, (int, float)) else 0.0)
    return f"{said} of ~{short(expected)}" if isinstance(expected, (int, float)) and expected > 0 else said


_ID = r"(?P<id>[^\s()`;,]+)"


def _hints(cmd: str) -> tuple[re.Pattern, ...]:
    """A command-line hint in parentheses, after a colon, or on its own (in backquotes or not)."""
    return tuple(
        re.compile(form.format(cmd=cmd))
        for form in (r"\s*\(\s*`?{cmd}`?\s*\)", r":\s*`?{cmd}`?", r"`?{cmd}`?")
    )


_APPROVE = _hints(r"cmctl approve " + _ID)
_LOGS = _hints(r"cmctl logs " + _ID + r"(?: --run (?P<run>\d+))?")
_DROP = re.compile(r"\s*\(cmctl fleet drop\)")
_FAILED_IN_RUN = re.compile(r"(?P<id>\S+) failed in run (?P<run>\d+)")


def weblinks(text: object, approvals: bool = True) -> Markup:
    """``text`` escaped, with the command-line hints of the library's messages turned into a link to
    the page that does the same here: ``cmctl approve ID`` -> the held action's card on the Approvals
    page, ``cmctl logs ID`` -> the action's page (in the run the message names, else its newest),
    ``cmctl fleet drop`` -> the Changes page. On the Approvals page itself (``approvals`` false) an
    approval hint is left out: the card's buttons are there."""
    raw = "" if text is None else str(text)
    pieces: list[tuple[int, int, Markup]] = []

    seen: set[str] = set()

    def link(m: re.Match, href: str, words: str) -> None:
        html = Markup(' (<a href="{}" class="hint-link">{}</a>)').format(href, words)
        pieces.append((m.start(), m.end(), html if href not in seen else Markup("")))  # once per text
        seen.add(href)

    for m in (m for p in _APPROVE for m in p.finditer(raw)):
        action = m["id"]
        query = urlencode({"product": action.split("/", 1)[0]})
        if not approvals:
            pieces.append((m.start(), m.end(), Markup("")))
            continue
        link(m, f"/approvals?{query}#card-{quote(action, safe='/')}", "decide on the Approvals page")
    ran = {m["id"]: m["run"] for m in _FAILED_IN_RUN.finditer(raw)}
    for m in (m for p in _LOGS for m in p.finditer(raw)):
        link(m, action_href(m["run"] or ran.get(m["id"]) or "latest", m["id"]), "its log")
    for m in _DROP.finditer(raw):
        link(m, "/changes", "on the Changes page")
    out, at = Markup(""), 0
    for start, end, html in sorted(pieces, key=lambda p: (p[0], -p[1])):
        if start < at:
            continue  # overlapping hints: the first wins
        out += escape(raw[at:start]) + html
        at = end
    return out + escape(raw[at:])


# --- a run ------------------------------------------------------------------------------------------------


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _duration(started: datetime | None, finished: datetime | None, now: datetime) -> float | None:
    if started is None:
        return None
    return max(0.0, ((finished or now) - started).total_seconds())


def run_id_of(text: str) -> int:
    """A run id from an address (a 404 for anything but a positive number)."""
    if not text.isdigit() or len(text) > 12 or int(text) < 1:
        raise HTTPException(404, f"no run {text[:40]!r}")
    return int(text)


def tries(rec) -> list[dict]:
    """Each attempt of a journaled action's actuator as its page lists them: number, start, seconds,
    outcome, message, and whether it was retried (a transient failure with a later attempt). Empty for an
    action that never ran or was journaled before attempts were recorded (migration 0009)."""
    recorded = [t for t in (rec.tries or []) if isinstance(t, dict)]
    out = []
    for n, t in enumerate(recorded):
        seconds = t.get("seconds")
        out.append(
            {
                "number": t.get("number") or n + 1,
                "started_at": t.get("started_at"),
                "seconds": seconds if isinstance(seconds, (int, float)) else None,
                "outcome": str(t.get("outcome") or "failed"),
                "message": str(t.get("message") or ""),
                "retried": n + 1 < len(recorded),
                "transient": bool(t.get("transient")),
            }
        )
    return out


def _action_row(rec, now: datetime) -> dict:
    return {
        "id": rec.action_id,
        "product": rec.product,
        "kind": rec.kind,
        "run": rec.run_id,
        "status": rec.status,
        "verdict": rec.verdict,
        "rule": rec.rule,
        "attempts": rec.attempts,
        "tries": tries(rec),
        "message": rec.message,
        "text": rec.text,
        "started_at": _iso(rec.started_at),
        "finished_at": _iso(rec.finished_at),
        "duration": _duration(rec.started_at, rec.finished_at, now),
        "href": action_href(rec.run_id, rec.action_id),
        "final": rec.status in FINAL,
    }


def run_page(ctl: Controller, run_id: int) -> dict:
    """Run ``run_id`` (404 if there is none) and its journaled actions in journal order, with the
    products they touched and the run's counts (as the actions stand while it is still running)."""
    run = ctl.store.run(run_id)
    if run is None:
        raise HTTPException(404, f"no run {run_id}")
    now = datetime.now(UTC)
    actions = [_action_row(r, now) for r in ctl.store.actions(run_id=run_id)]
    summary = run.summary or {}
    if not summary:
        for a in actions:
            summary[a["status"]] = summary.get(a["status"], 0) + 1
    return {
        "run": {
            "id": run.id,
            "kind": run.kind,
            "status": run.status,
            "revision": run.fleet_revision,
            "fingerprint": run.fingerprint,
            "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at),
            "duration": _duration(run.started_at, run.finished_at, now),
            "host": run.host,
            "final": run.status != "running",
        },
        "actions": actions,
        "counts": summary,  # status -> number of actions (the templates say it in words: ``counts``)
        "products": sorted({a["product"] for a in actions}),
    }


def latest_run_of(ctl: Controller, action_id: str) -> int:
    """The newest run that journaled ``action_id`` (404 if none did)."""
    rec = ctl.store.action_record(action_id)
    if rec is None:
        raise HTTPException(404, f"no journaled action {action_id[:200]!r}")
    return rec.run_id


# --- an action of a run -----------------------------------------------------------------------------------


@dataclass
class LogView:
    """A log as an action page shows it: its lines (number, pieces: (text, matches ``q``)), how many
    lines it has, how many match the search, and whether lines were left out (the raw log has them)."""

    lines: list[tuple[int, list[tuple[str, bool]]]] = field(default_factory=list)
    total: int = 0
    matches: int = 0
    query: str = ""
    cut: int = 0  # lines left out (before the first shown, or matches past the last shown)


def split_lines(log: str) -> list[str]:
    """A log's lines as the raw log's readers count them (a final newline ends the last line)."""
    if not log:
        return []
    lines = log.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def log_view(log: str, query: str = "", limit: int = LOG_LINES) -> LogView:
    """The lines of ``log`` with their numbers (pure): all of them (the last ``limit``), or with a
    ``query`` only those that contain it (case-insensitive; the first ``limit``), each cut into pieces
    where it matches."""
    lines = split_lines(log)
    query = query.strip()[:200]
    view = LogView(total=len(lines), query=query)
    if not query:
        start = max(0, len(lines) - limit)
        view.cut = start
        view.lines = [(n, [(text, False)]) for n, text in enumerate(lines[start:], start=start + 1)]
        return view
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    for n, text in enumerate(lines, start=1):
        if not pattern.search(text):
            continue
        view.matches += 1
        if len(view.lines) >= limit:
            continue
        pieces, at = [], 0
        for m in pattern.finditer(text):
            if m.start() > at:
                pieces.append((text[at : m.start()], False))
            pieces.append((m.group(), True))
            at = m.end()
        if at < len(text):
            pieces.append((text[at:], False))
        view.lines.append((n, pieces))
    view.cut = view.matches - len(view.lines)
    return view


def _kept(rec) -> list[dict]:
    files = (rec.outputs or {}).get("artifacts", {})
    out = []
    for name in sorted(files):
        href = "/api/artifact?" + urlencode({"action": rec.action_id, "run": rec.run_id, "name": name})
        picture = name.lower().endswith((".png", ".jpg", ".jpeg"))
        out.append({"name": name, "href": href, "picture": picture})
    return out


SHOWN = frozenset({"artifacts", "run", "kind", "attempts", "started", "finished", "duration", "status"})


def _outputs(rec) -> list[tuple[str, str]]:
    """The plain values of an action's (redacted) outputs, for people: key, value (but for what the
    page says already: its journal entry's own status, times and kept files)."""
    out = []
    for key, value in sorted((rec.outputs or {}).items()):
        if key in SHOWN:
            continue
        if isinstance(value, (str, int, float, bool)) and str(value) != "":
            out.append((key, str(value)[:500]))
        elif isinstance(value, list) and value and all(isinstance(v, (str, int, float)) for v in value):
            out.append((key, ", ".join(str(v) for v in value[:50])))
    return out


def journal_entry(ctl: Controller, run_id: int, action_id: str):
    """The journal entry of ``action_id`` in run ``run_id`` (404 if the run has no such action)."""
    rec = ctl.store.run_action(run_id, action_id)
    if rec is None:
        if ctl.store.run(run_id) is None:
            raise HTTPException(404, f"no run {run_id}")
        raise HTTPException(404, f"run {run_id} has no action {action_id[:200]!r}")
    return rec


def action_page(ctl: Controller, run_id: int, action_id: str, query: str = "") -> dict:
    """The action page's data: the journal entry of ``action_id`` in run ``run_id`` (404 if none), its
    kept files, its plain outputs, its log (``log_view``, searched for ``query``) and the other runs
    that journaled it."""
    rec = journal_entry(ctl, run_id, action_id)
    now = datetime.now(UTC)
    row = _action_row(rec, now)
    others = [
        {
            "run": r.run_id,
            "status": r.status,
            "href": action_href(r.run_id, r.action_id),
            "at": _iso(r.finished_at or r.started_at),
        }
        for r in ctl.store.action_runs(action_id, limit=10)
    ]
    return {
        "a": row,
        "log": log_view(rec.log or "", query),
        "kept": _kept(rec),
        "outputs": _outputs(rec),
        "others": others,
        "raw_href": row["href"] + "/log.txt",
        "known_product": rec.product in ctl.desired.products,
    }


def raw_log(ctl: Controller, run_id: int, action_id: str) -> str:
    """The whole (redacted) log of ``action_id`` in run ``run_id``, as journaled."""
    return journal_entry(ctl, run_id, action_id).log or ""


# --- the audit log ----------------------------------------------------------------------------------------


def parse_when(text: str, end: bool = False) -> datetime | None:
    """A time filter (``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM[:SS]``, UTC) as an aware datetime; with
    ``end`` the moment after it (the day, minute or second it names is included). None for empty; a
    400 for anything else."""
    text = text.strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"not a time: {text[:40]!r} (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if end:
        date_only = len(text) <= 10
        seconds_given = text.count(":") >= 2
        step = timedelta(days=1) if date_only else timedelta(seconds=1 if seconds_given else 60)
        when += step
    return when


@dataclass(frozen=True)
class AuditFilter:
    """The audit page's filters and page (GET query parameters): product, actor, event kind (a name or
    its family: ``approval``), run, from / to (UTC times or days, both included); the page and how many
    records a page holds."""

    product: str = ""
    actor: str = ""
    kind: str = ""
    run: str = ""
    since: str = ""
    until: str = ""
    page: int = 1
    per: int = PER_PAGE

    def params(self, page: int | None = None) -> str:
        """The query string of these filters on page ``page`` (this one's by default; page 1 and empty
        filters are left out)."""
        page = self.page if page is None else page
        values = {
            "product": self.product,
            "actor": self.actor,
            "kind": self.kind,
            "run": self.run,
            "from": self.since,
            "to": self.until,
            "per": str(self.per) if self.per != PER_PAGE else "",
            "page": str(page) if page > 1 else "",
        }
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return any((self.product, self.actor, self.kind, self.run, self.since, self.until))


def audit_filter(
    product: str = "",
    actor: str = "",
    kind: str = "",
    run: str = "",
    since: str = "",
    until: str = "",
    page: str = "",
    per: str = "",
) -> AuditFilter:
    """The audit page's filters from a request (each bounded; a page that is not a number is page 1,
    a page size that is not one is the default, and either is kept within its range)."""
    number = int(page) if page.isdigit() and len(page) < 9 else 1
    size = int(per) if per.isdigit() and len(per) < 5 else PER_PAGE
    size = min(max(size, PER_PAGE_RANGE[0]), PER_PAGE_RANGE[1])
    return AuditFilter(
        product[:80], actor[:120], kind[:64], run[:12], since[:40], until[:40], max(1, number), size
    )


def audit_page(ctl: Controller, want: AuditFilter) -> dict:
    """The audit page's data: the records ``want`` selects, newest first, one page of them, with their
    links (product, run, action), the count of all that match, the page's number and how many pages
    there are, the previous and next pages' addresses (keeping the filters) and the filters' choices.
    A time that cannot be read, or a run that is not a number: 400."""
    per_page = want.per
    if want.run and not want.run.isdigit():
        raise HTTPException(400, f"not a run: {want.run!r}")
    since, until = parse_when(want.since), parse_when(want.until, end=True)
    records, total = ctl.store.audit_page(
        product=want.product or None,
        actor=want.actor or None,
        event=want.kind or None,
        run_id=int(want.run) if want.run else None,
        since=since,
        until=until,
        offset=(want.page - 1) * per_page,
        limit=per_page,
    )
    pages = max(1, math.ceil(total / per_page))
    page = min(want.page, pages)
    known = set(ctl.desired.products)
    rows = []
    for r in records:
        rows.append(
            {
                "seq": r.seq,
                "at": r.at,
                "event": r.event,
                "actor": r.actor,
                "product": r.product,
                "product_href": f"/products/{quote(r.product, safe='')}" if r.product in known else None,
                "run": r.run_id,
                "action": r.action_id,
                "action_href": action_href(r.run_id, r.action_id) if r.run_id and r.action_id else None,
                "hash": r.hash,
                "data": r.data or {},
            }
        )
    choices = ctl.store.audit_choices()
    families = sorted({e.split(".", 1)[0] for e in choices["events"] if "." in e})
    return {
        "records": rows,
        "total": total,
        "page": page,
        "pages": pages,
        "first": (page - 1) * per_page + 1 if total else 0,
        "last": (page - 1) * per_page + len(rows),
        "prev": f"/audit?{want.params(page=page - 1)}" if page > 1 else None,
        "next": f"/audit?{want.params(page=page + 1)}" if page < pages else None,
        "filter": want,
        "per_default": PER_PAGE,
        "choices": {**choices, "kinds": families + choices["events"]},
    }


def data_text(data: dict) -> str:
    """An audit record's data in one short line (``key=value`` of its plain values)."""
    parts = []
    for k, v in sorted((data or {}).items()):
        if isinstance(v, (str, int, float, bool)) and str(v) != "":
            parts.append(f"{k}={str(v)[:80]}")
    return ", ".join(parts)[:300]
