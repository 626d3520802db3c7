"""What a lead reads at a glance (the team board) and what an agent reads about their own week.

Built from the same code the router and the hours page use (shifts, hours, breaks, pages, held
items, coverage), so the board never disagrees with what the router does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from triage.scheduling import breaks as breaks_service
from triage.scheduling import coverage
from triage.scheduling import hours as hours_service
from triage.scheduling import store as repo
from triage.scheduling.domain import accounting
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.team_view import (
    FAIRNESS_WEEKS,
    clock,
    load_percent,
    on_call_nights,
    span_text,
)
from triage.scheduling.staffing import current_rules

HORIZON = timedelta(hours=24)  # coverage gaps the board looks ahead for
LOOK_BACK = timedelta(hours=16)  # a night shift that began yesterday is still "now"


def _pct(used: float, limit: float) -> int:
    return load_percent(used, limit)


def _person(staff, *, now, rules: StaffingRules, shifts, hours, brk, held) -> dict[str, Any]:
    zone = staff.timezone or "UTC"
    mine = [s for s in shifts if s.staff_id == staff.id and s.end > now]
    current = next((s for s in mine if s.kind == "regular" and s.start <= now), None)
    calling = next((s for s in mine if s.kind == "on_call" and s.start <= now), None)
    upcoming = next((s for s in mine if s.kind == "regular" and s.start > now), None)
    load = sum(rules.effort.get(m.urgency or "normal", 1.0) for m in held)
    until = brk[1] if brk else None
    state = "on break" if until else "on shift" if current else "on call" if calling else "off"
    return {
        "id": staff.id, "name": staff.name, "zone": zone, "local_now": clock(now, zone),
        "state": state, "on_shift": current is not None, "on_call": calling is not None,
        "shift": span_text(current.start, current.end, zone) if current else None,
        "next": clock(upcoming.start, zone) if upcoming else None,
        "break_until": clock(until, zone, "%H:%M") if until else None,
        "held": len(held), "load": round(load, 1), "capacity": rules.max_open_effort,
        "load_pct": load_percent(load, rules.max_open_effort),
        "today": round(hours.today, 1), "week": round(hours.week, 1),
        "day_pct": _pct(hours.today, rules.max_hours_per_day),
        "week_pct": _pct(hours.week, rules.max_hours_per_week),
        "pages": hours.pages_week, "pages_pct": _pct(hours.pages_week, rules.pages_per_week),
        "warnings": list(hours.warnings)}


def team_board(*, session: Session, now: datetime) -> dict[str, Any]:
    """Everyone's state now (local time, load, hours, pages) and the coverage gaps of the next 24 h."""
    rules = current_rules(session=session)
    staff = repo.list_staff(session=session)
    ids = [s.id for s in staff]
    logins = repo.users_by_staff(session=session)
    shifts = repo.shifts_between(session=session, start=now - LOOK_BACK, end=now + HORIZON, staff_ids=ids)
    hours = {h.staff_id: h for h in hours_service.hours_report(session=session, rules=rules, now=now)}
    breaks = breaks_service.breaks_today(session=session, rules=rules, now=now, staff_ids=ids)
    held = repo.held_items(session=session, user_ids=[u.id for u in logins.values()])
    rows = [_person(s, now=now, rules=rules, shifts=shifts, hours=hours[s.id], brk=breaks.get(s.id),
                    held=[m for m in held if s.id in logins and m.assignee_id == logins[s.id].id])
            for s in staff]
    order = {"on shift": 0, "on break": 1, "on call": 2, "off": 3}
    rows.sort(key=lambda r: (order[r["state"]], r["name"]))
    zone = rules.team_timezone
    gaps = [{"span": span_text(g.start, g.end, zone),
             "hours": round((g.end - g.start) / timedelta(hours=1), 1)}
            for g in coverage.gaps_ahead(session=session, now=now, horizon=HORIZON)]
    return {"people": rows, "gaps": gaps, "rules": rules, "team_zone": zone,
            "warn_pct": round(100 * rules.warn_fraction),
            "team_now": clock(now, zone), "on_shift": sum(r["on_shift"] for r in rows)}


def my_week(*, session: Session, staff_id: int, now: datetime) -> dict[str, Any]:
    """One person's week: shifts in their time and team time, hours against limits, breaks, pages."""
    rules = current_rules(session=session)
    person = repo.get_staff(session=session, staff_id=staff_id)
    zone, team = person.timezone or "UTC", rules.team_timezone
    week = accounting.week_window(now, team)
    shifts = [{"kind": "on call" if s.kind == "on_call" else "shift",
               "local": span_text(s.start, s.end, zone), "team": span_text(s.start, s.end, team),
               "hours": round((s.end - s.start) / timedelta(hours=1), 1),
               "state": "done" if s.end <= now else "now" if s.start <= now else "ahead"}
              for s in repo.shifts_between(session=session, start=week.start, end=week.end,
                                           staff_ids=[staff_id])]
    hours = hours_service.hours_report(session=session, rules=rules, now=now, staff_ids=[staff_id])[0]
    today, until = breaks_service.breaks_today(session=session, rules=rules, now=now,
                                               staff_ids=[staff_id])[staff_id]
    taken = [{"span": span_text(b.start, min(b.end, now) if b.start < now else b.end, zone),
              "minutes": round((b.end - b.start) / timedelta(minutes=1))}
             for b in repo.breaks_between(session=session, start=week.start, end=now, staff_ids=[staff_id])]
    return {"person": person, "zone": zone, "team_zone": team, "rules": rules, "shifts": shifts,
            "warn_pct": round(100 * rules.warn_fraction),
            "hours": hours, "day_pct": _pct(hours.today, rules.max_hours_per_day),
            "week_pct": _pct(hours.week, rules.max_hours_per_week),
            "breaks_today": [{"span": span_text(b.start, b.end, zone), "kind": b.kind,
                              "minutes": round(b.minutes), "ongoing": b.ongoing} for b in today],
            "breaks_taken": taken, "break_until": clock(until, zone, "%H:%M") if until else None,
            "on_call": sum(1 for s in shifts if s["kind"] == "on call"),
            "week_label": f"{week.start:%d %b}–{week.end - timedelta(days=1):%d %b}"}


def roster_grid(*, session: Session, start: datetime, team_zone: str) -> list[dict[str, Any]]:
    """A week's shifts per person and team day, each in team time and the person's own time, with
    on-call nights over the four weeks ending with this one (fairness)."""
    days = 7
    fair_start = start - timedelta(weeks=FAIRNESS_WEEKS - 1)
    staff = repo.list_staff(session=session)
    zones = {str(s.id): s.timezone or "UTC" for s in staff}
    shifts = repo.shifts_between(session=session, start=fair_start, end=start + timedelta(days=days))
    nights = on_call_nights(((str(x.staff_id), x.start, x.end) for x in shifts if x.kind == "on_call"),
                            zones)
    tz = ZoneInfo(team_zone)
    grid = []
    for s in staff:
        zone = zones[str(s.id)]
        cells: list[list[dict[str, str]]] = [[] for _ in range(days)]
        for x in shifts:
            day = max(0, (x.start.astimezone(tz).date() - start.astimezone(tz).date()).days)  # in progress at
            if x.staff_id == s.id and x.end > start and day < days:  # ... the week's start shows on day one
                cells[day].append({"on_call": x.kind == "on_call",
                                   "team": span_text(x.start, x.end, team_zone, day=False),
                                   "local": span_text(x.start, x.end, zone)})
        grid.append({"name": s.name, "zone": zone, "own_zone": zone != team_zone, "days": cells,
                     "nights": nights.get(str(s.id), 0), "on_call_eligible": s.on_call})
    return grid
