"""Staff: who can answer what, where they live (time zone), when they work and when they are away."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from triage.scheduling.domain.errors import InvalidStaff, UnknownStaff

MAX_CONTRACT_HOURS = 60.0  # above this a contract is certainly a typo (EU cap is 48 h on average)


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open span [start, end) of aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InvalidStaff(f"interval {self.start}..{self.end} needs time zone aware datetimes")
        if self.end <= self.start:
            raise InvalidStaff(f"interval ends ({self.end:%Y-%m-%d %H:%M}) before it starts "
                               f"({self.start:%Y-%m-%d %H:%M})")

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    @property
    def hours(self) -> float:
        return (self.end - self.start) / timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Skills:
    """What a person can handle; routing matches an item's required skills against `tags()`."""

    channels: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()

    def tags(self) -> frozenset[str]:
        return self.channels | self.languages | self.topics


@dataclass(frozen=True, slots=True)
class Preferences:
    """Soft wishes the roster planner weighs; never a hard rule."""

    prefer_templates: frozenset[str] = frozenset()
    avoid_templates: frozenset[str] = frozenset()
    avoid_weekdays: frozenset[int] = frozenset()  # 0 = Monday


@lru_cache(maxsize=1)
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def check_timezone(name: str, *, owner: str = "") -> ZoneInfo:
    """The ZoneInfo for `name`, or InvalidStaff suggesting the closest real zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        close = difflib.get_close_matches(str(name), _zone_names(), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        who = f" for {owner}" if owner else ""
        raise InvalidStaff(f"unknown time zone {name!r}{who}{hint}") from None


def _check_disjoint(spans: tuple[Interval, ...], *, what: str, owner: str) -> None:
    ordered = sorted(spans, key=lambda s: s.start)
    for before, after in pairwise(ordered):
        if before.overlaps(after):
            raise InvalidStaff(
                f"{what} of {owner} overlap: {before.start:%Y-%m-%d %H:%M}..{before.end:%Y-%m-%d %H:%M}"
                f" and {after.start:%Y-%m-%d %H:%M}..{after.end:%Y-%m-%d %H:%M}")


@dataclass(frozen=True, slots=True)
class Staff:
    """One community manager: skills, time zone, contract, shifts, time off, on-call eligibility."""

    id: str
    name: str
    team: str = "community"
    skills: Skills = field(default_factory=Skills)
    timezone: str = "UTC"
    contract_hours: float = 40.0  # per week
    shifts: tuple[Interval, ...] = ()
    time_off: tuple[Interval, ...] = ()
    on_call_eligible: bool = False
    preferences: Preferences = field(default_factory=Preferences)
    night_opt_in: bool = False  # rostered shifts in local 23:00-06:00 only for people who asked for them

    def __post_init__(self) -> None:
        owner = f"staff {self.id!r}"
        if not self.id:
            raise InvalidStaff("staff id must not be empty")
        check_timezone(self.timezone, owner=owner)
        if not 0 <= self.contract_hours <= MAX_CONTRACT_HOURS:
            raise InvalidStaff(f"contract_hours of {owner} must be within 0..{MAX_CONTRACT_HOURS:g},"
                               f" got {self.contract_hours:g}")
        _check_disjoint(self.time_off, what="time off periods", owner=owner)
        _check_disjoint(self.shifts, what="shifts", owner=owner)
        for shift in self.shifts:
            for away in self.time_off:
                if shift.overlaps(away):
                    raise InvalidStaff(f"{owner} has a shift at {shift.start:%Y-%m-%d %H:%M} during"
                                       f" time off {away.start:%Y-%m-%d}..{away.end:%Y-%m-%d}")

    @property
    def tags(self) -> frozenset[str]:
        return self.skills.tags()

    def is_away(self, span: Interval) -> bool:
        """True when `span` touches any of this person's time off."""
        return any(span.overlaps(away) for away in self.time_off)

    def shift_at(self, moment: datetime) -> Interval | None:
        """The shift containing `moment`, if any."""
        return next((s for s in self.shifts if s.contains(moment)), None)


def index_staff(staff: Iterable[Staff]) -> dict[str, Staff]:
    """Staff by id; duplicate ids are an error rather than a silent overwrite."""
    index: dict[str, Staff] = {}
    for person in staff:
        if person.id in index:
            raise InvalidStaff(f"duplicate staff id {person.id!r}")
        index[person.id] = person
    return index


def find_staff(index: Mapping[str, Staff], staff_id: str) -> Staff:
    """The person with `staff_id`, or UnknownStaff."""
    try:
        return index[staff_id]
    except KeyError:
        raise UnknownStaff(staff_id) from None


def _interval(raw: Mapping[str, Any], owner: str) -> Interval:
    try:
        return Interval(datetime.fromisoformat(str(raw["start"])), datetime.fromisoformat(str(raw["end"])))
    except (KeyError, ValueError) as exc:
        if isinstance(exc, InvalidStaff):
            raise
        raise InvalidStaff(f"bad interval {dict(raw)!r} for {owner}: {exc}") from None


def staff_from_dict(raw: Mapping[str, Any]) -> Staff:
    """Build Staff from a plain mapping (scenario file, DB row, API body)."""
    owner = f"staff {raw.get('id')!r}"
    skills = raw.get("skills", {})
    prefs = raw.get("preferences", {})
    return Staff(
        id=str(raw.get("id", "")), name=str(raw.get("name", raw.get("id", ""))),
        team=str(raw.get("team", "community")),
        skills=Skills(frozenset(skills.get("channels", ())), frozenset(skills.get("languages", ())),
                      frozenset(skills.get("topics", ()))),
        timezone=str(raw.get("timezone", "UTC")), contract_hours=float(raw.get("contract_hours", 40)),
        shifts=tuple(_interval(s, owner) for s in raw.get("shifts", ())),
        time_off=tuple(_interval(s, owner) for s in raw.get("time_off", ())),
        on_call_eligible=bool(raw.get("on_call_eligible", False)),
        preferences=Preferences(frozenset(prefs.get("prefer_templates", ())),
                                frozenset(prefs.get("avoid_templates", ())),
                                frozenset(int(d) for d in prefs.get("avoid_weekdays", ()))),
        night_opt_in=bool(raw.get("night_opt_in", False)),
    )
