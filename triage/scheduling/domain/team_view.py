"""What leads and agents read about the team: uncovered time ahead, clocks in each zone, on-call fairness."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from triage.scheduling.domain.staff import Interval

STEP = timedelta(minutes=5)  # shifts start on the hour or half hour in practice
FAIRNESS_WEEKS = 4  # on-call nights are compared over the same span as max_nights_per_4_weeks


def uncovered(spans: Iterable[Interval], *, start: datetime, end: datetime,
              is_open: Callable[[datetime], bool], step: timedelta = STEP) -> list[Interval]:
    """Stretches of [start, end) that are open for business with no span covering them, merged.

    Outside business hours an empty roster is the plan, not a gap, so only open time counts.
    """
    spans = sorted(spans, key=lambda s: s.start)
    gaps: list[Interval] = []
    moment = start - (start - start.replace(minute=0, second=0, microsecond=0)) % step  # on the clock's steps
    while moment < end:
        begin, stop = max(moment, start), min(moment + step, end)
        if is_open(begin) and not any(s.start <= begin < s.end for s in spans):
            if gaps and gaps[-1].end == begin:
                gaps[-1] = Interval(gaps[-1].start, stop)
            else:
                gaps.append(Interval(begin, stop))
        moment += step
    return gaps


def clock(moment: datetime, zone: str, fmt: str = "%a %H:%M") -> str:
    """A moment as read on a wall clock in `zone` ("Tue 14:05")."""
    return moment.astimezone(ZoneInfo(zone)).strftime(fmt)


def span_text(start: datetime, end: datetime, zone: str, *, day: bool = True) -> str:
    """A span on one wall clock: "Tue 09:00–17:00" (the start day left out when the reader knows it),
    the end day named when it differs."""
    tz = ZoneInfo(zone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    tail = b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%a %H:%M")
    return f"{a:%a %H:%M}–{tail}" if day else f"{a:%H:%M}–{tail}"


def on_call_nights(shifts: Iterable[tuple[str, datetime, datetime]],
                   zones: Mapping[str, str]) -> Counter[str]:
    """On-call nights per person: distinct local dates on which one of their on-call windows starts.

    Two windows on one evening are one night disturbed, not two; dates are the person's own.
    """
    nights: dict[str, set] = defaultdict(set)
    for person, start, _end in shifts:
        nights[person].add(start.astimezone(ZoneInfo(zones.get(person, "UTC"))).date())
    return Counter({p: len(d) for p, d in nights.items()})


def load_percent(load: float, capacity: float) -> int:
    """Open effort against the cap, as a whole percentage clipped to 0..100 (bars, not arithmetic)."""
    return 0 if capacity <= 0 else max(0, min(100, round(100 * load / capacity)))
