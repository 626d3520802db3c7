"""Re-check every limit from the raw event log alone, without the router's own accounting."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from triage.scheduling.domain.limits import LAST_MINUTES_URGENT
from triage.scheduling.domain.rules import StaffingRules

MERGE_GAP = timedelta(hours=3)  # gaps shorter than this are breaks inside one working period
NIGHT = (23, 6)


def _t(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _merge(spans: Iterable[tuple[datetime, datetime]], gap: timedelta = timedelta(0)) -> list[list[datetime]]:
    out: list[list[datetime]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1] + gap:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def _night_hours(s: datetime, e: datetime, zone: ZoneInfo) -> float:
    hours, t = 0.0, s
    while t < e:
        local = t.astimezone(zone).hour
        hours += (local >= NIGHT[0] or local < NIGHT[1]) / 4
        t += timedelta(minutes=15)
    return hours


def zones_of(records: Iterable[Mapping[str, Any]], team_zone: str) -> defaultdict[str, ZoneInfo]:
    """Each person's own zone from the log's person records; the team's for anyone not described."""
    team = ZoneInfo(team_zone)
    out: defaultdict[str, ZoneInfo] = defaultdict(lambda: team)
    out.update({r["person"]: ZoneInfo(r["timezone"]) for r in records
                if r.get("type") == "person" and r.get("timezone")})
    return out


class _Log:
    def __init__(self, records: Iterable[Mapping[str, Any]], rules: StaffingRules) -> None:
        records = list(records)
        self.rules = rules
        self.zone = zones_of(records, rules.team_timezone)  # days, weeks, nights: each in their own
        self.shifts: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.assignments: list[Mapping[str, Any]] = []
        self.pages: dict[str, list[datetime]] = defaultdict(list)
        self.breaks: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.start: datetime | None = None  # the run's start, when the log has its run record
        for r in records:
            kind = r.get("type")
            if kind == "run":
                self.start = _t(r.get("start"))
            elif kind == "shift":
                self.shifts[r["person"]].append((_t(r["start"]), _t(r["end"])))
            elif kind == "assignment":
                self.assignments.append(r)
            elif kind == "page":
                self.pages[r["person"]].append(_t(r["time"]))
            elif kind == "break":
                self.breaks[r["person"]].append((_t(r["start"]), _t(r["end"])))

    def shift_at(self, pid: str, t: datetime) -> tuple[datetime, datetime] | None:
        return next(((s, e) for s, e in self.shifts.get(pid, ()) if s <= t < e), None)

    def handling(self, via_page: bool | None = None):
        for a in self.assignments:
            start = _t(a["started"])
            end = _t(a.get("worked_until")) or _t(a["resolved"]) or _t(a["released"])
            if start and end and (via_page is None or a["via_page"] == via_page):
                yield a["person"], start, end


def check_breaches(records: Iterable[Mapping[str, Any]], rules: StaffingRules) -> dict[str, int]:
    """Count breaches per rule from shifts, assignments, breaks and pages in the log."""
    log = _Log(list(records), rules)
    found: Counter[str] = Counter()
    _assignment_rules(log, found)
    _time_rules(log, found)
    _page_rules(log, found)
    return dict(found)


def _assignment_rules(log: _Log, found: Counter[str]) -> None:
    rules = log.rules
    by_person: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for a in log.assignments:
        by_person[a["person"]].append(a)
    for pid, items in by_person.items():
        items.sort(key=lambda a: a["assigned"])
        recent: deque[datetime] = deque()
        active: list[tuple[datetime, float]] = []  # heap of (end, effort) of items in hand
        for a in items:
            at = _t(a["assigned"])
            while recent and at - recent[0] >= timedelta(hours=1):
                recent.popleft()
            recent.append(at)
            if len(recent) > rules.interruptions_per_hour:
                found["interruption budget"] += 1
            while active and active[0][0] <= at:
                heapq.heappop(active)
            end = _t(a["resolved"]) or _t(a["released"]) or datetime.max.replace(tzinfo=at.tzinfo)
            heapq.heappush(active, (end, rules.effort[a["urgency"]]))
            if a["via_page"]:
                continue  # on-call work is governed by the page budget, checked below
            if sum(e for _, e in active) > rules.max_open_effort + 1e-9:
                found["capacity (open effort)"] += 1
            shift = log.shift_at(pid, at)
            if shift is None:
                found["assigned off shift"] += 1
                continue
            left = (shift[1] - at) / timedelta(hours=1)
            if at >= shift[1] - rules.no_new_in_last and (
                    a["urgency"] not in LAST_MINUTES_URGENT or left < rules.handling_hours[a["urgency"]]):
                found["assigned in the last minutes of a shift"] += 1  # urgent work that fits is allowed
            since = max([shift[0]] + [e for s, e in log.breaks.get(pid, ()) if shift[0] <= e <= at])
            if at - since >= rules.break_after:
                found["assigned while due a break"] += 1


def hours_by_period(shifts, work, zone: ZoneInfo) -> tuple[Counter, Counter, set]:
    """Hours per local day and ISO week, and the days worked, from shifts plus off-shift work.

    Rostering convention: a shift's hours belong to the day and week it starts on (a night shift is
    one working day, not two); work outside any shift counts when it was done.
    """
    per_day: Counter = Counter()
    per_week: Counter = Counter()
    days: set = set()
    for s, e in _merge(list(shifts) + list(work)):
        t = s
        while t < e:  # 15-minute steps: exact enough for hour limits, simple to audit
            anchor = next((ss for ss, ee in shifts if ss <= t < ee), None)
            local = (anchor or t).astimezone(zone)
            per_day[local.date()] += 0.25
            per_week[local.isocalendar()[:2]] += 0.25
            days.add(local.date())
            t += timedelta(minutes=15)
    return per_day, per_week, days


def _time_rules(log: _Log, found: Counter[str]) -> None:
    rules = log.rules
    people = set(log.shifts) | {a["person"] for a in log.assignments}
    work: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    paged: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for pid, s, e in log.handling(via_page=False):
        work[pid].append((s, e))
        if not any(ss <= s and e <= ee for ss, ee in log.shifts.get(pid, ())):
            found["worked off shift"] += 1
    for pid, s, e in log.handling(via_page=True):
        paged[pid].append((s, e))
    for pid in people:
        shifts, zone = log.shifts.get(pid, ()), log.zone[pid]
        # Rest is checked without on-call work (the page budget governs that); hours include it.
        periods = _merge(list(shifts) + work.get(pid, []))
        per_day, per_week, days = hours_by_period(shifts, work.get(pid, []) + paged.get(pid, []), zone)
        found["daily hours"] += sum(h > rules.max_hours_per_day for h in per_day.values())
        found["weekly hours"] += sum(h > rules.max_hours_per_week for h in per_week.values())
        blocks = _merge(periods, MERGE_GAP)
        found["rest between shifts"] += sum(b[0] - a[1] < rules.min_rest for a, b in pairwise(blocks))
        ordered, run = sorted(days), 0
        for i, d in enumerate(ordered):
            run = run + 1 if i and (d - ordered[i - 1]).days == 1 else 1
            found["consecutive days"] += run == rules.max_consecutive_days + 1
        # Counted over the run's own weeks, as the roster plans them. The plan is cyclic, so the log also
        # holds the week before's Sunday night (it covers the first Monday morning); it belongs to that
        # week's count, like the rest of that week, which the log does not hold.
        own = [(s, e) for s, e in shifts if log.start is None or s >= log.start]
        nights = sum(_night_hours(s, e, zone) >= 3 for s, e in own)
        weekends = sum(s.astimezone(zone).weekday() >= 5 for s, _ in own)
        found["nights per 4 weeks"] += max(0, nights - rules.max_nights_per_4_weeks)
        found["weekend shifts per 4 weeks"] += max(0, weekends - rules.max_weekend_shifts_per_4_weeks)


def _page_rules(log: _Log, found: Counter[str]) -> None:
    rules = log.rules
    for pid, pages in log.pages.items():
        zone = log.zone[pid]
        nights = Counter((p - timedelta(hours=12)).astimezone(zone).date() for p in pages)
        weeks = Counter(p.astimezone(zone).isocalendar()[:2] for p in pages)
        found["pages per night"] += sum(max(0, n - rules.pages_per_night) for n in nights.values())
        found["pages per week"] += sum(max(0, n - rules.pages_per_week) for n in weeks.values())
