"""Breaks as people take them: start one now, come back early, and each person's breaks today.

A break taken on purpose is stored (it stops new assignments until it ends); idle breaks are derived
from the assignment history each time, so the log and the accounting can never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from triage.core.errors import Conflict, Invalid
from triage.platform import metrics
from triage.platform import tables_scheduling as ts
from triage.scheduling import hours as hours_service
from triage.scheduling import store as repo
from triage.scheduling.domain import accounting
from triage.scheduling.domain.breaks import Break, idle_threshold, on_break_until, shift_breaks
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.staff import Interval

MAX_BREAK = timedelta(hours=2)  # longer than this is time off, which a lead records instead
LOOK_BACK = timedelta(hours=16)  # a shift that began before midnight still shows today's breaks


def _current(session: Session, staff_id: int, now: datetime) -> ts.BreakRow | None:
    rows = repo.breaks_between(session=session, start=now, end=now + timedelta(seconds=1),
                               staff_ids=[staff_id])
    return rows[-1] if rows else None


def take_break(*, session: Session, staff_id: int, actor: str, now: datetime, rules: StaffingRules,
               minutes: int | None = None) -> ts.BreakRow:
    """Start a break now (default length: the rules' break_length); no new work arrives until it ends."""
    length = timedelta(minutes=minutes) if minutes else rules.break_length
    if not timedelta(minutes=1) <= length <= MAX_BREAK:
        raise Invalid(f"a break lasts 1 to {int(MAX_BREAK.total_seconds() // 60)} minutes;"
                      " longer absences are time off")
    current = _current(session, staff_id, now)
    if current is not None:
        raise Conflict(f"already on a break until {current.end:%H:%M}")
    row = ts.BreakRow(staff_id=staff_id, start=now, end=now + length, created_by=actor)
    session.add(row)
    session.flush()
    metrics.BREAKS_TAKEN.inc()
    return row


def end_break(*, session: Session, staff_id: int, now: datetime) -> ts.BreakRow:
    """Come back early: the break ends now (a break shorter than the rule does not reset it)."""
    current = _current(session, staff_id, now)
    if current is None:
        raise Conflict("not on a break")
    if now <= current.start:  # ended the moment it began: it never happened
        session.delete(current)
    else:
        current.end = now
    session.flush()
    return current


def end_if_on_break(*, session: Session, staff_id: int, now: datetime) -> None:
    """A person who picks up work has ended their break."""
    if _current(session, staff_id, now) is not None:
        end_break(session=session, staff_id=staff_id, now=now)


def current_break_end(*, session: Session, staff_id: int | None, now: datetime) -> datetime | None:
    """When the break someone is on now ends (None when not on one, or not staff): one indexed read."""
    row = _current(session, staff_id, now) if staff_id is not None else None
    return row.end if row is not None else None


def taken_by_person(*, session: Session, start: datetime, end: datetime,
                    staff_ids: Sequence[int] | None = None) -> dict[str, list[Interval]]:
    """Breaks taken on purpose per staff id (as str) touching [start, end)."""
    out: dict[str, list[Interval]] = defaultdict(list)
    for row in repo.breaks_between(session=session, start=start, end=end, staff_ids=staff_ids):
        out[str(row.staff_id)].append(Interval(row.start, row.end))
    return out


def breaks_today(*, session: Session, rules: StaffingRules, now: datetime,
                 staff_ids: Sequence[int]) -> dict[int, tuple[list[Break], datetime | None]]:
    """Per staff id: breaks in today's shifts so far, and when their current break ends (if on one)."""
    day = accounting.day_window(now, rules.team_timezone)
    since = min(day.start, now - LOOK_BACK)
    person_of = {u: s for u, s in hours_service.person_of_users(session=session).items()
                 if int(s) in staff_ids}
    rows = repo.history_since(session=session, since=since - accounting.DEFAULT_IDLE_CUTOFF,
                              user_ids=list(person_of))
    events = [e for e in hours_service.work_events(rows, person_of=person_of, rules=rules) if e.at <= now]
    spans = accounting.work_spans(events, until=now)
    shifts = hours_service.regular_shifts(session=session, start=since, end=now, staff_ids=staff_ids)
    taken = taken_by_person(session=session, start=since, end=now + MAX_BREAK, staff_ids=staff_ids)
    out: dict[int, tuple[list[Break], datetime | None]] = {}
    for sid in staff_ids:
        pid = str(sid)
        found: list[Break] = []
        for shift in shifts.get(pid, []):
            if shift.end > day.start and shift.start <= now:
                found += shift_breaks(spans.get(pid, []), taken.get(pid, []), shift, now,
                                      min_gap=idle_threshold(rules))
        out[sid] = (found, on_break_until(taken.get(pid, []), now))
    return out


def public(breaks: Sequence[Break], until: datetime | None) -> dict[str, Any]:
    """Breaks as the API returns them, next to a person's hours."""
    return {"on_break_until": until.isoformat() if until else None,
            "breaks": [{"start": b.start.isoformat(), "end": b.end.isoformat(), "kind": b.kind,
                        "minutes": round(b.minutes), "ongoing": b.ongoing} for b in breaks]}


def with_breaks(rows: Sequence[Mapping[str, Any]], *, session: Session, rules: StaffingRules,
                now: datetime) -> list[dict[str, Any]]:
    """Hours rows (as dicts with `staff_id`) with each person's breaks today added."""
    views = breaks_today(session=session, rules=rules, now=now, staff_ids=[r["staff_id"] for r in rows])
    return [{**r, **public(*views[r["staff_id"]])} for r in rows]
