"""Time accounting from the assignment history: handling hours per person against their limits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from triage.platform import tables as t
from triage.scheduling import store as repo
from triage.scheduling.domain import accounting
from triage.scheduling.domain.accounting import WorkEvent, work_spans
from triage.scheduling.domain.localtime import days_in_a_row, local_days_touched, time_at_work
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.staff import Interval

END_ACTIONS = {"resolve": "resolve", "release": "release", "handoff": "release"}
START_ACTIONS = ("claim",)
PAGE_ACTIONS = ("page",)
AT_WORK_BACK = timedelta(days=8)  # a local week, whatever the zone, for hours at work


def work_events(rows: Sequence[tuple[t.Assignment, str | None]], *, person_of: Mapping[int, str],
                rules: StaffingRules) -> list[WorkEvent]:
    """Claims, resolves, releases and pages as WorkEvents; `person_of` maps user id to staff id.

    A resolve with no claim before it (a quick answer straight from the list) is charged the
    rules' expected handling time for its urgency, never more than since it was assigned.
    """
    events: list[WorkEvent] = []
    open_claims: set[tuple[str, int]] = set()
    given: dict[tuple[str, int], datetime] = {}
    for row, urgency in rows:
        person = person_of.get(row.user_id) if row.user_id is not None else None
        holder = [(p, row.message_id) for p, m in open_claims if m == row.message_id]
        if row.action in START_ACTIONS and person:
            open_claims.add((person, row.message_id))
            events.append(WorkEvent("claim", person, row.at, str(row.message_id)))
        elif row.action in ("assign", "page") and person:
            given[(person, row.message_id)] = row.at
            if row.action in PAGE_ACTIONS:
                events.append(WorkEvent("page", person, row.at, str(row.message_id)))
        elif row.action in END_ACTIONS:
            if holder:
                for key in holder:
                    open_claims.discard(key)
                    events.append(WorkEvent(END_ACTIONS[row.action], key[0], row.at, str(key[1])))
            elif row.action == "resolve" and person:
                expected = rules.handling.get(urgency or "normal", timedelta(minutes=8))
                start = max(row.at - expected, given.get((person, row.message_id), row.at - expected))
                events.append(WorkEvent("claim", person, start, str(row.message_id)))
                events.append(WorkEvent("resolve", person, row.at, str(row.message_id)))
    return events


@dataclass(frozen=True, slots=True)
class PersonHours:
    """One person's day and week against the limits, with any warnings."""

    staff_id: int
    name: str
    today: float
    week: float
    after_hours_minutes: float
    pages_week: int
    items_week: int
    contract_hours: float
    warnings: tuple[str, ...]

    def as_dict(self, rules: StaffingRules) -> dict[str, Any]:
        return {"staff_id": self.staff_id, "name": self.name, "hours_today": round(self.today, 2),
                "hours_week": round(self.week, 2), "max_hours_per_day": rules.max_hours_per_day,
                "max_hours_per_week": rules.max_hours_per_week, "contract_hours": self.contract_hours,
                "after_hours_minutes": round(self.after_hours_minutes, 1),
                "pages_week": self.pages_week, "pages_per_week": rules.pages_per_week,
                "items_week": self.items_week, "warnings": list(self.warnings)}


def regular_shifts(*, session: Session, start: datetime, end: datetime,
                   staff_ids: Sequence[int] | None = None) -> dict[str, list[Interval]]:
    """Regular shifts per staff id (as str) touching [start, end), minus those inside time off."""
    away: dict[int, list[Interval]] = defaultdict(list)
    for row in repo.time_off_between(session=session, start=start, end=end, staff_ids=staff_ids):
        away[row.staff_id].append(Interval(row.start, row.end))
    out: dict[str, list[Interval]] = defaultdict(list)
    for row in repo.shifts_between(session=session, start=start, end=end, staff_ids=staff_ids):
        span = Interval(row.start, row.end)
        if row.kind == "regular" and not any(span.overlaps(a) for a in away[row.staff_id]):
            out[str(row.staff_id)].append(span)
    return out


def on_call_shifts(*, session: Session, start: datetime, end: datetime,
                   staff_ids: Sequence[int] | None = None) -> dict[str, list[Interval]]:
    """On-call shifts per staff id (as str) touching [start, end): who may be paged when."""
    out: dict[str, list[Interval]] = defaultdict(list)
    for row in repo.shifts_between(session=session, start=start, end=end, staff_ids=staff_ids):
        if row.kind == "on_call":
            out[str(row.staff_id)].append(Interval(row.start, row.end))
    return out


def person_of_users(*, session: Session) -> dict[int, str]:
    """User id -> staff id (as str) for every login linked to a staff member."""
    return {u.id: str(sid) for sid, u in repo.users_by_staff(session=session).items()}


def tallies(*, session: Session, rules: StaffingRules, now: datetime,
            person_of: Mapping[int, str]) -> tuple[dict[str, accounting.PersonTime],
                                                     dict[str, accounting.PersonTime]]:
    """Today's and this week's time per staff id, from the history (team time zone windows)."""
    day = accounting.day_window(now, rules.team_timezone)
    week = accounting.week_window(now, rules.team_timezone)
    cutoff = accounting.DEFAULT_IDLE_CUTOFF
    since = min(day.start, week.start) - cutoff
    rows = repo.history_since(session=session, since=since, user_ids=list(person_of))
    events = [e for e in work_events(rows, person_of=person_of, rules=rules) if e.at <= now]
    shifts = regular_shifts(session=session, start=since, end=week.end)
    until = Interval(week.start, now) if now > week.start else week
    day_so_far = Interval(day.start, max(now, day.start + timedelta(seconds=1)))
    return (accounting.time_worked(events, window=day_so_far, shifts=shifts),
            accounting.time_worked(events, window=until, shifts=shifts))


def hours_report(*, session: Session, rules: StaffingRules, now: datetime,
                 staff_ids: Sequence[int] | None = None) -> list[PersonHours]:
    """Each active person's hours today and this week, with warnings before a limit."""
    staff = [s for s in repo.list_staff(session=session)
             if staff_ids is None or s.id in staff_ids]
    today, week = tallies(session=session, rules=rules, now=now,
                          person_of=person_of_users(session=session))
    week_start = accounting.week_window(now, rules.team_timezone).start
    week_pages = repo.pages_since(session=session, since=week_start)
    zero = accounting.PersonTime("", 0.0, 0.0, 0, 0)
    out = []
    for s in staff:
        pid = str(s.id)
        d, w = today.get(pid, zero), week.get(pid, zero)
        w = accounting.PersonTime(pid, w.handling_hours, w.after_hours_minutes, week_pages.get(s.id, 0),
                                  w.items)
        warnings = accounting.limit_warnings(today={pid: d}, week={pid: w}, rules=rules,
                                             names={pid: s.name})
        out.append(PersonHours(s.id, s.name, d.handling_hours, w.handling_hours, w.after_hours_minutes,
                               w.pages, w.items, s.contract_hours, tuple(x.message for x in warnings)))
    return out


def at_work(*, session: Session, staff: Sequence[t.Staff], person_of: Mapping[int, str],
            rules: StaffingRules, now: datetime) -> dict[str, dict]:
    """Per person: off-shift work of the last day (for rest) and hours at work (shifts plus
    off-shift work, pages included) in their own local day and week."""
    since = now - AT_WORK_BACK
    ahead = timedelta(days=max(2, rules.max_consecutive_days + 1))  # the rostered days a page would join
    shifts = regular_shifts(session=session, start=since, end=now + ahead)
    rows = repo.history_since(session=session, since=since, user_ids=list(person_of))
    spans = work_spans([e for e in work_events(rows, person_of=person_of, rules=rules)
                        if e.at <= now], until=now)
    out = {}
    for s in staff:
        pid = str(s.id)
        mine = [(i.start, i.end) for i in shifts.get(pid, [])]
        off = [(a, b) for a, b in spans.get(pid, []) if not any(x <= a and b <= y for x, y in mine)]
        zone = ZoneInfo(s.timezone or rules.team_timezone)
        today, week = time_at_work(mine, off, zone, now)
        days = [d for a, b in (*mine, *off) for d in local_days_touched(a, b, zone)]
        out[pid] = {"worked": tuple(Interval(a, b) for a, b in off if now - b < timedelta(hours=24)),
                    "at_work_today": today, "at_work_week": week,
                    "days_in_a_row": days_in_a_row(days, now.astimezone(zone).date())}
    return out
