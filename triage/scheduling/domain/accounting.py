"""Time accounting from claim/resolve/page events: handling hours, after-hours work, pages, warnings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.staff import Interval

DEFAULT_IDLE_CUTOFF = timedelta(minutes=45)  # a claim open longer than this was mostly idle, not work
EVENT_KINDS = ("claim", "resolve", "release", "page")
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class WorkEvent:
    """One fact from the assignment log: a claim, resolve, release or page."""

    kind: str
    person_id: str
    at: datetime
    item_id: str = ""


@dataclass(frozen=True, slots=True)
class PersonTime:
    """Hours one person handled in a window, how much of it outside shifts, and pages taken."""

    person_id: str
    handling_hours: float
    after_hours_minutes: float
    pages: int
    items: int


@dataclass(frozen=True, slots=True)
class LimitWarning:
    """A lead's heads-up that someone is close to (or at) a limit."""

    person_id: str
    limit: str
    used: float
    allowed: float
    message: str


def day_window(now: datetime, zone: str) -> Interval:
    """Today in the team's time zone, as a UTC-comparable interval."""
    tz = ZoneInfo(zone)
    start = datetime.combine(now.astimezone(tz).date(), datetime.min.time(), tz)
    return Interval(start, datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), tz))


def week_window(now: datetime, zone: str) -> Interval:
    """The current Monday-to-Monday week in the team's time zone."""
    today = day_window(now, zone)
    monday = today.start - timedelta(days=today.start.weekday())
    tz = ZoneInfo(zone)
    start = datetime.combine(monday.date(), datetime.min.time(), tz)
    return Interval(start, datetime.combine(start.date() + timedelta(days=7), datetime.min.time(), tz))


def _union(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlap(spans: Sequence[tuple[datetime, datetime]], others: Sequence[Interval]) -> timedelta:
    return sum((max(timedelta(0), min(e, o.end) - max(s, o.start)) for s, e in spans for o in others),
               timedelta(0))


def work_spans(events: Iterable[WorkEvent], *, idle_cutoff: timedelta = DEFAULT_IDLE_CUTOFF,
               until: datetime | None = None) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per person, merged spans of handling: each claim to its resolve/release, capped at the cut-off."""
    opened: dict[tuple[str, str], datetime] = {}
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for ev in sorted(events, key=lambda e: e.at):
        key = (ev.person_id, ev.item_id)
        if ev.kind == "claim":
            opened[key] = ev.at
        elif ev.kind in ("resolve", "release") and key in opened:
            start = opened.pop(key)
            spans[ev.person_id].append((start, min(ev.at, start + idle_cutoff)))
    if until is not None:  # claims still open count up to `until`, with the same cut-off
        for (pid, _), start in opened.items():
            spans[pid].append((start, min(until, start + idle_cutoff)))
    return {pid: _union(s) for pid, s in spans.items()}


def time_worked(events: Sequence[WorkEvent], *, window: Interval,
                shifts: Mapping[str, Sequence[Interval]],
                idle_cutoff: timedelta = DEFAULT_IDLE_CUTOFF) -> dict[str, PersonTime]:
    """Handling hours, after-hours minutes, pages and items per person inside `window`."""
    spans = work_spans(events, idle_cutoff=idle_cutoff, until=window.end)
    pages: dict[str, int] = defaultdict(int)
    items: dict[str, int] = defaultdict(int)
    for ev in events:
        if window.contains(ev.at):
            pages[ev.person_id] += ev.kind == "page"
            items[ev.person_id] += ev.kind == "resolve"
    out = {}
    for pid in set(spans) | set(pages) | set(items):
        clipped = [(max(s, window.start), min(e, window.end)) for s, e in spans.get(pid, [])
                   if e > window.start and s < window.end]
        total = sum((e - s for s, e in clipped), timedelta(0))
        inside = _overlap(clipped, shifts.get(pid, ()))
        out[pid] = PersonTime(pid, total / HOUR, (total - inside) / timedelta(minutes=1),
                              pages[pid], items[pid])
    return out


def limit_warnings(*, today: Mapping[str, PersonTime], week: Mapping[str, PersonTime],
                   rules: StaffingRules, names: Mapping[str, str] | None = None) -> list[LimitWarning]:
    """Warnings for everyone at or above `rules.warn_fraction` of a daily, weekly or page limit."""
    names = names or {}
    checks = [("daily hours", today, "handling_hours", rules.max_hours_per_day, "h today"),
              ("weekly hours", week, "handling_hours", rules.max_hours_per_week, "h this week"),
              ("weekly pages", week, "pages", rules.pages_per_week, "pages this week")]
    out = []
    for limit, table, attr, allowed, unit in checks:
        for pid, tally in sorted(table.items()):
            used = getattr(tally, attr)
            if allowed and used >= rules.warn_fraction * allowed:
                who = names.get(pid, pid)
                verb = "has reached" if used >= allowed else "is close to"
                out.append(LimitWarning(pid, limit, used, allowed,
                                        f"{who} {verb} the {limit} limit: {used:.1f} of {allowed:g} {unit}"))
    return out
