"""The shifts a replay works: the plan's shifts and on-call windows in UTC, minus the sick calls."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from triage.scheduling.domain.staff import Interval
from triage.scheduling.planning.plan import Plan
from triage.scheduling.planning.scenario import Scenario
from triage.scheduling.planning.sick_calls import same_morning_days


def sick_calls(scenario: Scenario, shifts: dict[str, list[Interval]], *,
               seed: int) -> dict[str, list[Interval]]:
    """Drop the named same-morning sick days' shifts and a Poisson number more per day."""
    rng = np.random.default_rng(seed)
    zone = ZoneInfo(scenario.rules.team_timezone)
    by_day: dict[Any, list[tuple[str, Interval]]] = {}
    for pid, spans in shifts.items():
        for s in spans:
            by_day.setdefault(s.start.astimezone(zone).date(), []).append((pid, s))
    dropped = set()
    for _day, entries in sorted(by_day.items()):
        for k in rng.choice(len(entries), min(len(entries), rng.poisson(scenario.traffic.sick_calls_per_day)),
                            replace=False):
            dropped.add((entries[k][0], entries[k][1].start))
    named = same_morning_days(scenario.staff, scenario.sick, scenario.start.astimezone(zone).date())
    for pid, days in named.items():
        dropped.update((pid, s.start) for s in shifts.get(pid, ()) if any(d.contains(s.start) for d in days))
    return {pid: [s for s in spans if (pid, s.start) not in dropped] for pid, spans in shifts.items()}


def worked_shifts(plan: Plan) -> tuple[dict[str, list[Interval]], dict[str, list[Interval]]]:
    """Planned shifts and on-call windows per person, in UTC."""
    shifts: dict[str, list[Interval]] = {}
    on_call: dict[str, list[Interval]] = {}
    week = timedelta(days=7)
    if plan.rosters:  # the plan is cyclic: last week's Sunday night looked like this week's
        first = plan.rosters[0]
        for s in first.shifts:
            if s.day == 6 and s.end.date() > s.start.date():
                shifts.setdefault(s.person_id, []).append(Interval((s.start - week).astimezone(UTC),
                                                                   (s.end - week).astimezone(UTC)))
        for pid, w in first.on_call[-1:]:
            on_call.setdefault(pid, []).append(Interval((w.start - week).astimezone(UTC),
                                                        (w.end - week).astimezone(UTC)))
    for roster in plan.rosters:
        for s in roster.shifts:
            span = Interval(s.start.astimezone(UTC), s.end.astimezone(UTC))
            shifts.setdefault(s.person_id, []).append(span)
        for pid, w in roster.on_call:
            on_call.setdefault(pid, []).append(Interval(w.start.astimezone(UTC), w.end.astimezone(UTC)))
    return shifts, on_call
