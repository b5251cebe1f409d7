"""Time windows and freezes for the constitution: pure functions over an aware ``now``.

All comparisons happen on the wall clock of the rule's timezone (zoneinfo), so a window such as
08:00-16:00 Europe/Berlin means the same local hours in summer and winter, across DST changes.

* Window (allowed): ``days`` (empty: every day), ``start``/``end`` as ``HH:MM`` (end exclusive; start
  after end spans midnight and belongs to the start day; both omitted: the whole day).
* Freeze (forbidden): absolute ``start``/``end`` as ISO dates (end date inclusive) or datetimes, or a
  weekly recurring span such as ``start: "fri 16:00"``, ``end: "mon 08:00"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEKLY = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\s+(\d{2}):(\d{2})$")


def zone(name: str) -> ZoneInfo:
    """The IANA timezone ``name``. Raises ``ValueError`` if it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r}") from None


def parse_hhmm(text: str) -> time:
    """``HH:MM`` -> time of day. Raises ``ValueError`` if it is not a valid time."""
    h, m = (int(x) for x in text.split(":"))
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(f"invalid time of day {text!r}")
    return time(h, m)


@dataclass(frozen=True)
class WeeklyPoint:
    """A point in the week: day (0 = Monday) and time of day."""

    day: int  # 0 = Monday
    at: time

    def minutes(self) -> int:
        """Minutes since Monday 00:00."""
        return self.day * 1440 + self.at.hour * 60 + self.at.minute


def parse_point(text: str, tz: ZoneInfo) -> datetime | WeeklyPoint:
    """``fri 16:00`` -> WeeklyPoint; an ISO date or datetime -> aware datetime (dates at 00:00)."""
    m = _WEEKLY.match(text.strip().lower())
    if m:
        return WeeklyPoint(DAYS.index(m[1]), parse_hhmm(f"{m[2]}:{m[3]}"))
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            return datetime.combine(date.fromisoformat(text.strip()), time(0), tz)
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"expected an ISO date/datetime or a weekly time such as 'fri 16:00', got {text!r}"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def in_window(now: datetime, days: list[str], start: str | None, end: str | None, tz_name: str) -> bool:
    """Whether ``now`` falls in the window on the wall clock of ``tz_name`` (see the module docstring)."""
    local = now.astimezone(zone(tz_name))
    t = local.time().replace(second=0, microsecond=0, tzinfo=None)
    begin = parse_hhmm(start) if start else time(0)
    finish = parse_hhmm(end) if end else None
    if finish is None or begin < finish:
        day = DAYS[local.weekday()]
        inside = begin <= t and (finish is None or t < finish)
    elif t >= begin:  # spans midnight, evening part: belongs to today
        day, inside = DAYS[local.weekday()], True
    else:  # spans midnight, morning part: belongs to yesterday
        day, inside = DAYS[(local.weekday() - 1) % 7], t < finish
    return inside and (not days or day in days)


def in_freeze(now: datetime, start: str, end: str, tz_name: str) -> bool:
    """Whether ``now`` falls in the freeze from ``start`` to ``end``. Raises ``ValueError`` on a bad point."""
    tz = zone(tz_name)
    a, b = parse_point(start, tz), parse_point(end, tz)
    if isinstance(a, WeeklyPoint) and isinstance(b, WeeklyPoint):
        local = now.astimezone(tz)
        m = local.weekday() * 1440 + local.hour * 60 + local.minute
        lo, hi = a.minutes(), b.minutes()
        return lo <= m < hi if lo < hi else (m >= lo or m < hi)
    if isinstance(a, datetime) and isinstance(b, datetime):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", end.strip()):
            b = b + timedelta(days=1)  # an end date is inclusive
        return a <= now < b
    raise ValueError("freeze start and end must both be weekly times or both dates")
