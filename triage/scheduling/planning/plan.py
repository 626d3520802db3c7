"""From history to rosters: forecast each language, size the team per hour, roster week by week."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from triage.scheduling.domain.localtime import local_days_touched
from triage.scheduling.domain.staff import Staff
from triage.scheduling.planning.forecast import Forecast, forecast_by_skill, people_needed
from triage.scheduling.planning.roster import plan_roster
from triage.scheduling.planning.roster_model import (
    ANY,
    WEEK_HOURS,
    Roster,
    RosterHistory,
    RosterRequest,
)
from triage.scheduling.planning.scenario import Scenario, arrivals, hourly_counts

HISTORY_SEED_OFFSET = 1000  # history traffic uses its own random stream, never the replayed weeks'


@dataclass(frozen=True)
class Plan:
    forecasts: dict[str, Forecast]
    demand: list[dict[str, list[int]]]  # per week: skill -> people needed per hour
    rosters: list[Roster]


def _history_after(roster: Roster, staff: Sequence[Staff], before: dict[str, RosterHistory],
                   week_end) -> dict[str, RosterHistory]:
    """Carry nights, weekends, on-call, consecutive days and the last shift end into next week."""
    out = {}
    for person in staff:
        mine = sorted(roster.shifts_of(person.id), key=lambda s: s.start)
        prev = before.get(person.id, RosterHistory())
        zone, first = ZoneInfo(person.timezone), week_end.date() - timedelta(days=7)
        days = {(d - first).days for s in mine for d in local_days_touched(s.start, s.end, zone)}
        streak = 0
        while 6 - streak in days:
            streak += 1
        if streak == 7:
            streak += prev.consecutive_days_before
        monday = bool(streak) and 7 in days  # a Sunday night runs into next Monday: worked already
        streak += monday
        out[person.id] = RosterHistory(
            nights_prev_3_weeks=prev.nights_prev_3_weeks + sum(s.night for s in mine),
            weekends_prev_3_weeks=prev.weekends_prev_3_weeks + sum(s.weekend for s in mine),
            on_call_prev_3_weeks=prev.on_call_prev_3_weeks + sum(p == person.id for p, _ in roster.on_call),
            consecutive_days_before=streak, monday_worked=monday,
            last_shift_end=mine[-1].end if mine else prev.last_shift_end)
    return out


def build_plan(scenario: Scenario, *, time_limit: float = 20.0) -> Plan:
    """Forecast from generated history, then roster each week of the scenario."""
    t, weeks = scenario.traffic, max(1, -(-scenario.days // 7))
    hist_start = scenario.start - timedelta(weeks=scenario.history_weeks)
    hours = scenario.history_weeks * WEEK_HOURS
    past = arrivals(t, hist_start, hours, seed=scenario.seed + HISTORY_SEED_OFFSET, storm_day=None,
                    prefix="h")
    forecasts = forecast_by_skill(hourly_counts(past, hist_start, hours), horizon=weeks * WEEK_HOURS)
    demand, rosters, history = [], [], {}
    for w in range(weeks):
        week = {skill: people_needed(f.hourly[w * WEEK_HOURS:(w + 1) * WEEK_HOURS], rules=scenario.rules,
                                     mix=t.urgency_mix) for skill, f in forecasts.items()}
        week[ANY] = week.pop("*", [0] * WEEK_HOURS)
        volume = {ANY if skill == "*" else skill: f.hourly[w * WEEK_HOURS:(w + 1) * WEEK_HOURS]
                  for skill, f in forecasts.items()}
        request = RosterRequest(scenario.start + timedelta(weeks=w), scenario.staff, scenario.templates,
                                week, scenario.rules, history, volume=volume)
        roster = plan_roster(request, time_limit=time_limit)
        demand.append(week)
        rosters.append(roster)
        history = _history_after(roster, scenario.staff, history, request.week_start + timedelta(weeks=1))
    return Plan(forecasts, demand, rosters)
