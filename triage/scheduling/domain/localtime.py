"""Each person's own clock: local days, weeks and night time of absolute (UTC) spans, DST-correct."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NIGHT_START, NIGHT_END = time(23), time(6)  # EU working-time directive: a night includes 00:00-05:00
HOUR = timedelta(hours=1)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The absolute moment `day` starts in `zone` (23 or 25 h days around DST changes)."""
    return datetime.combine(day, time(0), zone)


def split_by_local_day(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[tuple[date, float]]:
    """Hours of [start, end) falling in each local calendar day of `zone`.

    In UTC: Python subtracts two datetimes of the same zone by their wall clocks, so the night the
    clocks go forward would count 8 hours from 00:00 to 08:00 where 7 passed.
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    day = start.astimezone(zone).date()
    while start < end:
        cut = min(end, local_midnight(day + timedelta(days=1), zone).astimezone(UTC))
        if cut > start:
            yield day, (cut - start) / HOUR
        start, day = cut, day + timedelta(days=1)


def night_hours(start: datetime, end: datetime, zone: ZoneInfo) -> float:
    """Hours of [start, end) inside local 23:00-06:00 in `zone` (elapsed hours, as above)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total, day = 0.0, start.astimezone(zone).date() - timedelta(days=1)
    while datetime.combine(day, NIGHT_START, zone) < end:
        lo = datetime.combine(day, NIGHT_START, zone).astimezone(UTC)
        hi = datetime.combine(day + timedelta(days=1), NIGHT_END, zone).astimezone(UTC)
        total += max(timedelta(0), min(end, hi) - max(start, lo)) / HOUR
        day += timedelta(days=1)
    return total


def local_days_touched(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[date, ...]:
    """The local calendar days [start, end) touches: a night shift is work on two days."""
    return tuple(day for day, hours in split_by_local_day(start, end, zone) if hours > 0)


def time_at_work(shifts: Iterable[tuple[datetime, datetime]], worked: Iterable[tuple[datetime, datetime]],
                 zone: ZoneInfo, now: datetime) -> tuple[float, float]:
    """Hours at work in the local day and ISO week of `now`: whole shifts plus work outside them, once
    each."""
    local = now.astimezone(zone).date()
    week = local.isocalendar()[:2]
    merged: list[list[datetime]] = []
    for s, e in sorted([*shifts, *worked]):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    today = this_week = 0.0
    for s, e in merged:
        for day, hours in split_by_local_day(s, e, zone):
            today += hours if day == local else 0.0
            this_week += hours if day.isocalendar()[:2] == week else 0.0
    return today, this_week


def days_in_a_row(worked: Iterable[date], today: date) -> int:
    """The run of consecutive local calendar days `today` would sit in if worked: the days worked
    right before it, itself, and the days worked (or rostered) right after it."""
    days = set(worked)
    before = after = 0
    while today - timedelta(days=before + 1) in days:
        before += 1
    while today + timedelta(days=after + 1) in days:
        after += 1
    return before + 1 + after
