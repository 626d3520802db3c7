"""Named sick calls in a scenario: announced ones are time off the roster plans around; same-morning
ones drop the day's shifts after the roster is made, as in real life."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from triage.scheduling.domain.errors import InvalidStaff
from triage.scheduling.domain.staff import Interval, Staff, index_staff

NOTICES = ("announced", "same-morning")


@dataclass(frozen=True, slots=True)
class SickCall:
    person: str
    day: int  # day index of the scenario, in the person's own calendar
    notice: str = "same-morning"


def sick_calls_from_list(raw: Sequence[Mapping[str, Any]], staff: Sequence[Staff],
                         days: int) -> tuple[SickCall, ...]:
    """Validate `sick_calls` entries, naming the field and the entry at fault."""
    known = index_staff(staff)
    out = []
    for n, entry in enumerate(raw):
        where = f"sick_calls[{n}]"
        if not isinstance(entry, Mapping):
            raise InvalidStaff(f"{where}: expected {{person, day, notice}}, got {entry!r}")
        person, notice = str(entry.get("person", "")), str(entry.get("notice", "same-morning"))
        if person not in known:
            raise InvalidStaff(f"{where}.person: unknown person {person!r}"
                               f" (staff: {', '.join(sorted(known)[:8])}{', ...' if len(known) > 8 else ''})")
        try:
            day = int(entry.get("day", -1))
        except (TypeError, ValueError):
            day = -1
        if not 0 <= day < days:
            raise InvalidStaff(f"{where}.day: must be a day index within 0..{days - 1},"
                               f" got {entry.get('day')!r}")
        if notice not in NOTICES:
            raise InvalidStaff(f"{where}.notice: must be one of {', '.join(NOTICES)}, got {notice!r}")
        out.append(SickCall(person, day, notice))
    return tuple(out)


def local_day(first: date, call: SickCall, zone: str) -> Interval:
    """The whole local calendar day of a sick call, DST-correct."""
    tz, day = ZoneInfo(zone), first + timedelta(days=call.day)
    return Interval(datetime.combine(day, time(0), tz),
                    datetime.combine(day + timedelta(days=1), time(0), tz))


def with_announced(staff: Sequence[Staff], calls: Sequence[SickCall], first: date) -> tuple[Staff, ...]:
    """Staff with announced sick days added to their time off, so the roster plans around them."""
    out = []
    for person in staff:
        days = [local_day(first, c, person.timezone) for c in calls
                if c.person == person.id and c.notice == "announced"]
        days = [d for d in days if not any(d.overlaps(t) for t in person.time_off)]
        out.append(dataclasses.replace(person, time_off=person.time_off + tuple(days)) if days else person)
    return tuple(out)


def same_morning_days(staff: Sequence[Staff], calls: Sequence[SickCall],
                      first: date) -> dict[str, list[Interval]]:
    """Per person, the local days whose shifts are dropped on the morning itself."""
    zones = {s.id: s.timezone for s in staff}
    out: dict[str, list[Interval]] = {}
    for c in calls:
        if c.notice == "same-morning":
            out.setdefault(c.person, []).append(local_day(first, c, zones[c.person]))
    return out
