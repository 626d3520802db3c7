"""Roster inputs and outputs, and the candidate shifts each person may work (time off removed)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from triage.scheduling.domain.localtime import local_days_touched, night_hours
from triage.scheduling.domain.rules import NIGHT_MIN_HOURS, ShiftTemplate, StaffingRules
from triage.scheduling.domain.staff import Interval, Staff

ANY = "*"  # demand any person can cover, whatever their skills
DAYS = 7
WEEK_HOURS = 168
HOUR = timedelta(hours=1)


def hour_at(week_start: datetime, hour: int) -> datetime:
    """The start of week hour `hour`, in `week_start`'s zone: hours are elapsed, not read off a clock,
    so a week with a clock change still has its hours where the roster and the traffic put them."""
    return (week_start.astimezone(UTC) + hour * HOUR).astimezone(week_start.tzinfo)


@dataclass(frozen=True, slots=True)
class RosterHistory:
    """What happened before this week, so 4-week and consecutive-day limits roll over correctly."""

    nights_prev_3_weeks: int = 0
    weekends_prev_3_weeks: int = 0
    on_call_prev_3_weeks: int = 0
    consecutive_days_before: int = 0
    last_shift_end: datetime | None = None
    monday_worked: bool = False  # last week's Sunday night ran into this Monday (counted in the streak)


@dataclass(frozen=True)
class RosterRequest:
    """A week to plan: Monday 00:00 in the team zone, staff, shift templates, demand per skill/hour."""

    week_start: datetime
    staff: Sequence[Staff]
    templates: Sequence[ShiftTemplate]
    demand: Mapping[str, Sequence[int]]  # skill (or ANY) -> people needed for each of 168 hours
    rules: StaffingRules
    history: Mapping[str, RosterHistory] = field(default_factory=dict)
    on_call: bool = True
    # skill (or ANY) -> expected arrivals per hour, when known: where in the week a language is busy,
    # which people-needed alone hides (one message and four both need a seat)
    volume: Mapping[str, Sequence[float]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlannedShift:
    person_id: str
    template: str
    day: int
    start: datetime
    end: datetime
    night: bool
    weekend: bool


@dataclass(frozen=True)
class Roster:
    """The plan, what it leaves uncovered hour by hour, and how good the solver proved it to be."""

    shifts: tuple[PlannedShift, ...]
    on_call: tuple[tuple[str, Interval], ...]
    uncovered: dict[str, list[int]]
    planned: dict[str, list[int]]
    status: str
    objective: float
    bound: float
    wall_seconds: float
    notes: tuple[str, ...] = ()
    progress: tuple[tuple[float, float, float], ...] = ()  # (seconds, objective, bound) per solution
    work: float = 0.0  # the solver's deterministic time: the same on every run, unlike wall_seconds

    @property
    def gap(self) -> float:
        """Relative distance between the plan and the solver's best bound (0 = proven optimal)."""
        return 0.0 if self.objective <= 0 else max(0.0, (self.objective - self.bound) / self.objective)

    def hours_with_nobody(self) -> dict[str, list[int]]:
        """Per skill, the week hours with demand and nobody on shift who has that skill."""
        return hours_with_nobody(self.uncovered, self.planned)

    def shifts_of(self, person_id: str) -> list[PlannedShift]:
        return [s for s in self.shifts if s.person_id == person_id]

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "objective": self.objective, "bound": self.bound,
                "gap": self.gap, "wall_seconds": self.wall_seconds, "work": self.work,
                "notes": list(self.notes),
                "shifts": [{"person_id": s.person_id, "template": s.template, "start": s.start.isoformat(),
                            "end": s.end.isoformat(), "night": s.night, "weekend": s.weekend}
                           for s in self.shifts],
                "on_call": [{"person_id": p, "start": w.start.isoformat(), "end": w.end.isoformat()}
                            for p, w in self.on_call],
                "uncovered": self.uncovered, "planned": self.planned}


def hours_with_nobody(uncovered: Mapping[str, Sequence[int]], planned: Mapping[str, Sequence[int]]
                      ) -> dict[str, list[int]]:
    """Per skill, the hours some of its demand is uncovered and nobody with the skill is planned."""
    return {s: [h for h, n in enumerate(short) if n and not (planned.get(s) or [0] * len(short))[h]]
            for s, short in uncovered.items()}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One shift a person could work: template on day, with absolute times and covered hours."""

    person: int
    day: int
    template: int
    start: datetime
    end: datetime
    hours: tuple[int, ...]  # week hours covered; Sunday's night wraps onto Monday morning
    length: float
    night: bool
    weekend: bool
    days: tuple[int, ...] = ()  # local calendar days touched, counted from the week's first date


def local_start(first: date, day: int, template: ShiftTemplate, zone: str) -> datetime:
    """Absolute start of `template` on `day` of the week beginning `first`, DST-correct in `zone`.

    The day is counted from the week's first date in the team zone, so "Monday 09:00 local" is Monday
    in Tokyo and in Los Angeles alike, whatever the team's clock says at that moment.
    """
    return datetime.combine(first + timedelta(days=day), template.start, ZoneInfo(zone))


def _candidate(request: RosterRequest, pi: int, person: Staff, d: int, ti: int) -> Candidate | None:
    rules, t = request.rules, request.templates[ti]
    zone = ZoneInfo(person.timezone)
    base = request.week_start.astimezone(ZoneInfo(rules.team_timezone)).date()
    # In UTC: a template's hours are hours worked, and Python subtracts two times of one zone by
    # their wall clocks, so the same shift got different week hours in two zones on a DST Sunday.
    start = local_start(base, d, t, person.timezone if t.local else rules.team_timezone).astimezone(UTC)
    end = start + timedelta(hours=t.hours)
    if person.is_away(Interval(start, end)):
        return None
    at_night = night_hours(start, end, zone)
    if at_night > 0 and not person.night_opt_in:
        return None  # local night work only for people who asked for it
    # Coverage wraps (a steady-state week): a shift starting before Monday 00:00 team time, or
    # running past Sunday midnight, staffs the matching hours at the other end of the week.
    origin = request.week_start.astimezone(UTC)
    first = math.floor((start - origin) / HOUR)
    last = math.ceil((end - origin) / HOUR)
    covered = tuple(h % WEEK_HOURS for h in range(first, last))
    days = tuple((day - base).days for day in local_days_touched(start, end, zone))
    return Candidate(pi, d, ti, start, end, covered, t.hours, at_night >= NIGHT_MIN_HOURS,
                     start.astimezone(zone).weekday() >= 5, days)


def candidates(request: RosterRequest) -> list[Candidate]:
    """Every (person, day, template) allowed by time off, local nights and the per-shift hour limit."""
    out = []
    for d in range(DAYS):
        for ti, t in enumerate(request.templates):
            if t.hours > request.rules.max_hours_per_day:
                continue
            for pi, person in enumerate(request.staff):
                c = _candidate(request, pi, person, d, ti)
                if c is not None:
                    out.append(c)
    return out


def unworkable_templates(request: RosterRequest, cands: Sequence[Candidate]) -> list[str]:
    """Templates nobody can work on any day (local night without opt-in, time off, too long)."""
    used = {c.template for c in cands}
    return [t.name for i, t in enumerate(request.templates) if i not in used]


def rest_clash(a: Candidate, b: Candidate, rules: StaffingRules) -> bool:
    """True when b starts less than the minimum rest after a ends (or they overlap)."""
    first, second = (a, b) if a.start <= b.start else (b, a)
    return second.start - first.end < rules.min_rest
