"""Staffing rules set by leads: one versioned set serves both the roster planner and live routing."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from functools import cached_property
from typing import Any

from triage.core.priority import DEFAULT_SLA
from triage.core.scoring import URGENCIES
from triage.scheduling.domain.errors import RuleConflict, SchedulingError
from triage.scheduling.domain.staff import check_timezone

# Effort an open item weighs against the concurrency cap: a critical case takes a person's head space.
DEFAULT_EFFORT = {"critical": 3.0, "high": 2.0, "normal": 1.0, "low": 0.5}
# Expected handling time per urgency, charged against the hours budgets when assigning.
DEFAULT_HANDLING = {"critical": timedelta(minutes=25), "high": timedelta(minutes=15),
                    "normal": timedelta(minutes=8), "low": timedelta(minutes=4)}
DEFAULT_MAX_OPEN_EFFORT = 6.0  # two critical cases at once, or six normal ones
DEFAULT_MAX_HOURS_PER_DAY = 9.0  # an 8 h shift plus an hour of slack; EU caps night work at 8 h
DEFAULT_MAX_HOURS_PER_WEEK = 40.0  # stricter than the EU working-time directive's 48 h average
DEFAULT_MIN_REST = timedelta(hours=11)  # EU working-time directive, daily rest
DEFAULT_MAX_CONSECUTIVE_DAYS = 6  # EU directive: 24 h uninterrupted rest in every 7 days
DEFAULT_MAX_NIGHTS_4W = 8  # two nights a week at most, averaged over four weeks
DEFAULT_MAX_WEEKENDS_4W = 4  # weekend shifts: leaves at least two free weekends a month
DEFAULT_BREAK_AFTER = timedelta(hours=6)  # EU directive art. 4: a break when the day exceeds 6 h
DEFAULT_BREAK_LENGTH = timedelta(minutes=30)  # German ArbZG minimum for a 6-9 h day
DEFAULT_NO_NEW_IN_LAST = timedelta(minutes=30)  # time to finish in-hand work before handing off
DEFAULT_QUIET_HOURS = (time(22, 0), time(7, 0))  # only critical items may page in this window
DEFAULT_PAGES_PER_NIGHT = 2  # more than two wake-ups ruins the night's rest
DEFAULT_PAGES_PER_WEEK = 5
DEFAULT_SLA_CLOCK = {"critical": "24x7", "high": "24x7", "normal": "business", "low": "business"}
DEFAULT_INTERRUPTIONS_PER_HOUR = 8  # ~7 min between pings keeps room for a complex case
DEFAULT_LOW_BATCH_SIZE = 3  # low-urgency items arrive three at a time, not one ping each
DEFAULT_LOW_BATCH_MAX_WAIT = timedelta(hours=2)  # ... unless the oldest has waited this long
DEFAULT_STALE_AFTER = timedelta(minutes=45)  # assigned but untouched this long: back to the pool
DEFAULT_WARN_FRACTION = 0.9  # leads are warned at 90 % of any hours or page limit
SLA_CLOCKS = ("24x7", "business")


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """When the business-hours SLA clock runs, in the team's time zone."""

    start: time = time(9, 0)
    end: time = time(18, 0)
    weekdays: frozenset[int] = frozenset(range(5))  # 0 = Monday


@dataclass(frozen=True, slots=True)
class ShiftTemplate:
    """A shift pattern the planner rosters whole: start time and length, in team time or each person's own."""

    name: str
    start: time
    hours: float
    local: bool = False  # "09:00 local": 09:00 in each person's own time zone, not the team's

    @property
    def start_hour(self) -> float:
        return self.start.hour + self.start.minute / 60

    @property
    def end_hour(self) -> float:
        """End in hours from the start day's midnight; above 24 when the shift crosses midnight."""
        return self.start_hour + self.hours

    def night_hours(self) -> float:
        """Hours of this shift inside the night window 23:00-06:00 (EU directive night time)."""
        windows = ((23.0 + 24 * day, 30.0 + 24 * day) for day in (-1, 0, 1))
        return sum(max(0.0, min(hi, self.end_hour) - max(lo, self.start_hour)) for lo, hi in windows)

    @property
    def is_night(self) -> bool:
        return self.night_hours() >= NIGHT_MIN_HOURS


NIGHT_MIN_HOURS = 3.0  # EU directive art. 2: a night worker works >= 3 h of the day at night


@dataclass(frozen=True)
class StaffingRules:
    """Hard limits for people and the service targets the work is planned against."""

    version: int = 1
    team_timezone: str = "UTC"
    max_open_effort: float = DEFAULT_MAX_OPEN_EFFORT
    effort: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_EFFORT))
    handling: Mapping[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_HANDLING))
    max_hours_per_day: float = DEFAULT_MAX_HOURS_PER_DAY
    max_hours_per_week: float = DEFAULT_MAX_HOURS_PER_WEEK
    min_rest: timedelta = DEFAULT_MIN_REST
    max_consecutive_days: int = DEFAULT_MAX_CONSECUTIVE_DAYS
    max_nights_per_4_weeks: int = DEFAULT_MAX_NIGHTS_4W
    max_weekend_shifts_per_4_weeks: int = DEFAULT_MAX_WEEKENDS_4W
    break_after: timedelta = DEFAULT_BREAK_AFTER
    break_length: timedelta = DEFAULT_BREAK_LENGTH
    no_new_in_last: timedelta = DEFAULT_NO_NEW_IN_LAST
    quiet_hours: tuple[time, time] = DEFAULT_QUIET_HOURS
    pages_per_night: int = DEFAULT_PAGES_PER_NIGHT
    pages_per_week: int = DEFAULT_PAGES_PER_WEEK
    sla: Mapping[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_SLA))
    sla_clock: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SLA_CLOCK))
    business_hours: BusinessHours = field(default_factory=BusinessHours)
    interruptions_per_hour: int = DEFAULT_INTERRUPTIONS_PER_HOUR
    low_batch_size: int = DEFAULT_LOW_BATCH_SIZE
    low_batch_max_wait: timedelta = DEFAULT_LOW_BATCH_MAX_WAIT
    stale_after: timedelta = DEFAULT_STALE_AFTER
    warn_fraction: float = DEFAULT_WARN_FRACTION
    holding_reply: str = ""  # sent once per thread to messages arriving out of hours; "" = off

    def evolve(self, **changes: Any) -> StaffingRules:
        """A new version with `changes` applied; the old version stays as it was."""
        return dataclasses.replace(self, version=self.version + 1, **changes)

    @cached_property
    def handling_hours(self) -> dict[str, float]:
        """Expected handling hours per urgency as floats (the router reads this in its hot loop)."""
        return {u: span / timedelta(hours=1) for u, span in self.handling.items()}


def _field_problems(rules: StaffingRules) -> list[str]:
    problems: list[str] = []
    for name in ("max_open_effort", "max_hours_per_day", "max_hours_per_week"):
        if getattr(rules, name) <= 0:
            problems.append(f"{name} must be positive")
    for name in ("max_consecutive_days", "interruptions_per_hour", "low_batch_size"):
        if getattr(rules, name) < 1:
            problems.append(f"{name} must be at least 1")
    for name in ("pages_per_night", "pages_per_week", "max_nights_per_4_weeks",
                 "max_weekend_shifts_per_4_weeks"):
        if getattr(rules, name) < 0:
            problems.append(f"{name} must not be negative")
    for name in ("break_after", "break_length", "stale_after", "min_rest"):
        if getattr(rules, name) <= timedelta(0):
            problems.append(f"{name} must be positive")
    for table in ("effort", "handling", "sla", "sla_clock"):
        missing = [u for u in URGENCIES if u not in getattr(rules, table)]
        if missing:
            problems.append(f"{table} has no value for {', '.join(missing)}")
    if any(c not in SLA_CLOCKS for c in rules.sla_clock.values()):
        problems.append(f"sla_clock values must be one of {', '.join(SLA_CLOCKS)}")
    if not 0 < rules.warn_fraction <= 1:
        problems.append("warn_fraction must be within (0, 1]")
    return problems


def _combination_problems(rules: StaffingRules) -> list[str]:
    problems: list[str] = []
    heaviest = max((rules.effort.get(u, 0.0) for u in URGENCIES), default=0.0)
    if 0 < rules.max_open_effort < heaviest:
        problems.append(f"max_open_effort ({rules.max_open_effort:g}) is below the effort of one"
                        f" critical item (effort[critical] = {heaviest:g}): nobody could take one")
    if rules.pages_per_night > rules.pages_per_week:
        problems.append(f"pages_per_night ({rules.pages_per_night}) exceeds pages_per_week"
                        f" ({rules.pages_per_week})")
    if rules.min_rest >= timedelta(hours=24):
        problems.append(f"min_rest ({_h(rules.min_rest)}) leaves no room for a shift every day")
    return problems


def _template_problems(rules: StaffingRules, templates: Iterable[ShiftTemplate]) -> list[str]:
    templates = list(templates)
    problems: list[str] = []
    for t in templates:
        if t.hours > rules.max_hours_per_day:
            problems.append(f"max_hours_per_day ({rules.max_hours_per_day:g} h) is below one"
                            f" '{t.name}' shift ({t.hours:g} h)")
        if t.hours > rules.max_hours_per_week:
            problems.append(f"max_hours_per_week ({rules.max_hours_per_week:g} h) is below one"
                            f" '{t.name}' shift ({t.hours:g} h)")
        if rules.no_new_in_last >= timedelta(hours=t.hours):
            problems.append(f"no_new_in_last ({_h(rules.no_new_in_last)}) covers the whole"
                            f" '{t.name}' shift ({t.hours:g} h): nothing could ever be assigned")
    if templates:
        gap, first, second = max((b.start_hour + 24 - a.end_hour, a.name, b.name)
                                  for a in templates for b in templates)
        if timedelta(hours=gap) < rules.min_rest:
            problems.append(f"min_rest ({_h(rules.min_rest)}) is longer than every gap between"
                            f" shifts on consecutive days (longest: {gap:g} h, '{first}' then"
                            f" '{second}'), so nobody could work two days running")
    return problems


def _h(span: timedelta) -> str:
    return f"{span / timedelta(hours=1):g} h"


def rule_problems(rules: StaffingRules, templates: Iterable[ShiftTemplate] = ()) -> list[str]:
    """Every reason this rule set is invalid or unsatisfiable, each naming the rules involved."""
    problems = _field_problems(rules)
    try:
        check_timezone(rules.team_timezone, owner="team_timezone")
    except SchedulingError as exc:
        problems.append(str(exc))
    if not problems:
        problems += _combination_problems(rules)
    return problems + _template_problems(rules, templates)


def validate_rules(rules: StaffingRules, templates: Iterable[ShiftTemplate] = ()) -> StaffingRules:
    """Return `rules` unchanged, or raise RuleConflict listing every conflict found."""
    problems = rule_problems(rules, templates)
    if problems:
        raise RuleConflict(problems)
    return rules


# --- plain-data round trip (scenario files, API bodies, the rule set written into event logs) ---

def _dump(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value / timedelta(minutes=1)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, (frozenset, set, tuple, list)):
        return [_dump(v) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value)]
    if isinstance(value, Mapping):
        return {k: _dump(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def rules_as_dict(rules: StaffingRules) -> dict[str, Any]:
    """Plain JSON-able dict; durations in minutes, times as HH:MM."""
    return _dump(rules)


def _load(kind: Any, raw: Any) -> Any:
    origin = typing.get_origin(kind)
    if kind is timedelta:
        return timedelta(minutes=float(raw))
    if kind is time:
        return time.fromisoformat(raw) if isinstance(raw, str) else raw
    if kind is BusinessHours:
        return BusinessHours(**{k: _load(h, raw[k]) for k, h in typing.get_type_hints(BusinessHours).items()
                                if k in raw})
    if origin is frozenset:
        return frozenset(raw)
    if origin is tuple:
        return tuple(_load(a, v) for a, v in zip(typing.get_args(kind), raw, strict=False))
    if origin is Mapping:
        return {k: _load(typing.get_args(kind)[1], v) for k, v in raw.items()}
    return raw


def rules_from_dict(raw: Mapping[str, Any]) -> StaffingRules:
    """Rules from a plain dict (the inverse of rules_as_dict); unknown keys are an error."""
    hints = typing.get_type_hints(StaffingRules)
    unknown = sorted(set(raw) - set(hints))
    if unknown:
        raise RuleConflict([f"unknown rule {name!r}" for name in unknown])
    values = {name: _load(hints[name], value) for name, value in raw.items()}
    if "sla" in values:
        values["sla"] = {**DEFAULT_SLA, **values["sla"]}
    return StaffingRules(**values)


def template_from_dict(raw: Mapping[str, Any]) -> ShiftTemplate:
    """A ShiftTemplate from {name, start: 'HH:MM' or 'HH:MM local', hours, local}."""
    name = str(raw.get("name", ""))
    text = str(raw.get("start", "")).strip()
    local = text.endswith(" local") or bool(raw.get("local", False))
    try:
        start = time.fromisoformat(text.removesuffix(" local").strip())
        hours = float(raw["hours"])
    except (KeyError, ValueError, TypeError) as exc:
        raise SchedulingError(f"template {name!r}: start must be 'HH:MM' or 'HH:MM local' and hours a"
                              f" number (got start={raw.get('start')!r}, hours={raw.get('hours')!r}):"
                              f" {exc}") from None
    if not name or not 0 < hours <= 24:
        raise SchedulingError(f"template {name!r}: needs a name and 0 < hours <= 24 (got {hours:g})")
    return ShiftTemplate(name=name, start=start, hours=hours, local=local)
