"""Roster planning for the live team: demand from message history, `plan_roster`, coverage per hour."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.platform import tables as t
from triage.scheduling import store as repo
from triage.scheduling.domain.rules import ShiftTemplate, StaffingRules
from triage.scheduling.domain.staff import Staff, staff_from_dict
from triage.scheduling.planning.roster_gaps import skill_gaps
from triage.scheduling.planning.roster_model import ANY, WEEK_HOURS, Roster, RosterRequest, hour_at

HISTORY_WEEKS = 4  # a month of traffic gives every hour of the week a few samples
MIN_HISTORY = 50  # fewer messages than this and the default demand is more honest than a forecast
# A language with fewer messages than this in HISTORY_WEEKS is left to '*': a handful of messages
# would put a seat on each of their hours, every week, as if they were a pattern.
MIN_LANGUAGE_HISTORY = 20
DEFAULT_PLAN_SECONDS = 5.0  # a feasible plan within 5 s (see bench/bench_roster.py)
LAST_PLAN_KEY = "triage:roster:last-plan"
# Without history: one person from 08:00 to 20:00 every day, two in the weekday core 10:00-16:00.
DEFAULT_DAY = [0] * 8 + [1] * 2 + [2] * 6 + [1] * 4 + [0] * 4


def week_start(now: datetime, zone: str) -> datetime:
    """Monday 00:00 of the week containing `now`, in the team's time zone."""
    local = now.astimezone(ZoneInfo(zone))
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, datetime.min.time(), ZoneInfo(zone))


def default_demand() -> list[int]:
    """People needed per hour of the week when there is no history: one at weekends, as a floor."""
    return [DEFAULT_DAY[h % 24] if h // 24 < 5 else min(1, DEFAULT_DAY[h % 24]) for h in range(WEEK_HOURS)]


@dataclass(frozen=True)
class SkillDemand:
    """People needed and expected arrivals per hour of the week, for '*' and each planned language."""

    people: dict[str, list[int]]
    arrivals: dict[str, list[float]]
    source: str


def history_demand(*, session: Session, rules: StaffingRules, now: datetime) -> tuple[list[int], str]:
    """People needed per hour of the week, from the last weeks' arrivals (or the default)."""
    demand = skill_demand(session=session, rules=rules, now=now)
    return demand.people[ANY], demand.source


def skill_demand(*, session: Session, rules: StaffingRules, now: datetime) -> SkillDemand:
    """Demand for anyone ('*') and for each language with enough history: the router gives an item
    in a language only to someone who speaks it, so the plan has to place them too."""
    from triage.scheduling.planning.forecast import people_needed

    since = now - timedelta(weeks=HISTORY_WEEKS)
    # When people wrote, not when we stored it: an import or a backlog lands all at once.
    rows = session.execute(select(t.Message.created_at, t.Message.urgency, t.Message.language)
                           .where(t.Message.created_at >= since, t.Message.created_at <= now)).all()
    if len(rows) < MIN_HISTORY:
        return SkillDemand({ANY: default_demand()}, {},
                           f"default demand (only {len(rows)} messages in {HISTORY_WEEKS} weeks)")
    zone = ZoneInfo(rules.team_timezone)
    weeks = max(1.0, (now - min(r for r, _, _ in rows)) / timedelta(weeks=1))
    groups: dict[str, list] = {ANY: list(rows)}
    for row in rows:
        if row.language:
            groups.setdefault(row.language, []).append(row)
    people, arrivals = {}, {}
    for skill, group in groups.items():
        if skill != ANY and len(group) < MIN_LANGUAGE_HISTORY:
            continue
        counts = [0.0] * WEEK_HOURS
        for received, _, _ in group:
            local = received.astimezone(zone)
            counts[local.weekday() * 24 + local.hour] += 1
        mix = Counter(u or "normal" for _, u, _ in group)
        arrivals[skill] = [c / weeks for c in counts]
        people[skill] = people_needed(arrivals[skill], rules=rules, mix=dict(mix))
    languages = sorted(s for s in people if s != ANY)
    return SkillDemand(people, arrivals, f"forecast from {len(rows)} messages"
                       + (f" ({', '.join(languages)} planned apart)" if languages else ""))


def on_week(demand: SkillDemand, start: datetime) -> SkillDemand:
    """A demand by hour of the week on the clock, laid on the elapsed hours of the week at `start`.

    People write at clock times (Monday 09:00 is busy whatever the offset), while the roster counts
    elapsed hours: in a week with a clock change the two part by an hour after it.
    """
    slots = [(at.weekday() * 24 + at.hour) for at in (hour_at(start, h) for h in range(WEEK_HOURS))]
    return SkillDemand({s: [v[i] for i in slots] for s, v in demand.people.items()},
                       {s: [v[i] for i in slots] for s, v in demand.arrivals.items()}, demand.source)


def domain_staff(*, session: Session, start: datetime, end: datetime) -> list[Staff]:
    """Active staff as the planner sees them, with their time off inside the week."""
    away: dict[int, list[dict[str, str]]] = {}
    for row in repo.time_off_between(session=session, start=start, end=end):
        away.setdefault(row.staff_id, []).append({"start": row.start.isoformat(), "end": row.end.isoformat()})
    return [staff_from_dict({"id": str(s.id), "name": s.name, "team": s.team or "community",
                             "skills": s.skills or {}, "timezone": s.timezone,
                             "contract_hours": s.contract_hours, "on_call_eligible": s.on_call,
                             "time_off": away.get(s.id, [])})
            for s in repo.list_staff(session=session)]


@dataclass(frozen=True)
class PlanResult:
    """A solved week with its demand; uncovered hours are listed, never forced."""

    week_start: datetime
    demand: list[int]
    source: str
    roster: Roster
    names: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        out = self.roster.as_dict()
        uncovered = out["uncovered"].get(ANY, [0] * WEEK_HOURS)
        out.update({"week_start": self.week_start.isoformat(), "demand": self.demand,
                    "demand_source": self.source, "names": self.names,
                    "uncovered_hours": [{"hour": hour_at(self.week_start, h).isoformat(),
                                         "missing": n} for h, n in enumerate(uncovered) if n],
                    "uncovered_total": sum(uncovered),
                    "skill_gaps": [{"skill": g.skill, "short": g.short, "nobody": g.nobody, "text": g.text}
                                   for g in skill_gaps(out["uncovered"], out["planned"],
                                                       week_start=self.week_start,
                                                       zone=str(self.week_start.tzinfo))]})
        return out


def plan_week(*, session: Session, rules: StaffingRules, templates: list[ShiftTemplate], now: datetime,
              demand: list[int] | None = None, time_limit: float = DEFAULT_PLAN_SECONDS) -> PlanResult:
    """Plan next week's roster (Monday to Monday) for the active staff."""
    from triage.scheduling.planning.roster import plan_roster

    start = week_start(now, rules.team_timezone) + timedelta(weeks=1)
    wanted = SkillDemand({ANY: list(demand or [])}, {}, "given by the caller")
    if demand is None:
        wanted = on_week(skill_demand(session=session, rules=rules, now=now), start)
    staff = domain_staff(session=session, start=start, end=start + timedelta(weeks=1))
    roster = plan_roster(RosterRequest(start, staff, templates, wanted.people, rules, volume=wanted.arrivals),
                         time_limit=time_limit)
    return PlanResult(start, list(wanted.people[ANY]), wanted.source, roster, {s.id: s.name for s in staff})


def remember(conn: redis.Redis, result: PlanResult) -> None:
    """Keep the latest plan for the roster page (a plan is advice; shifts are added by leads)."""
    conn.set(LAST_PLAN_KEY, json.dumps(result.as_dict()))


def last_plan(conn: redis.Redis) -> dict[str, Any] | None:
    raw = conn.get(LAST_PLAN_KEY)
    return json.loads(raw) if raw else None


def scheduled_per_hour(*, session: Session, start: datetime) -> list[int]:
    """People on a regular shift in each hour of the week starting at `start` (from the shifts table)."""
    from triage.scheduling.hours import regular_shifts

    seats = [0] * WEEK_HOURS
    for spans in regular_shifts(session=session, start=start, end=start + timedelta(weeks=1)).values():
        for span in spans:
            for h in range(WEEK_HOURS):
                slot = start + timedelta(hours=h)
                if span.start < slot + timedelta(hours=1) and slot < span.end:
                    seats[h] += 1
    return seats
