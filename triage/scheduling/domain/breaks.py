"""Breaks within a shift: idle stretches between handling, breaks people take, and what the rule sees.

The break-after-N-hours rule needs to know when someone last rested. Nobody clocks breaks by hand,
so an idle inbox between two pieces of handling counts as one, and a person can also take a break
explicitly (which stops new work reaching them until it ends).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.staff import Interval

# An inbox idle this long between handling is a rest break, not the pause between two cases: the
# German ArbZG section 4 counts rest only in blocks of 15 min or more, and the default break_length
# (30 min) is what the break rule asks for, so a shorter gap would log breaks the rule ignores.
DEFAULT_IDLE_BREAK = timedelta(minutes=30)
IDLE, TAKEN = "idle", "taken"


def idle_threshold(rules: StaffingRules) -> timedelta:
    """Idle time that logs a break: the default, or less when the rules ask for shorter breaks."""
    return min(DEFAULT_IDLE_BREAK, rules.break_length)


@dataclass(frozen=True, slots=True)
class Break:
    """One break: [start, end); `ongoing` while it still runs at the moment it was computed."""

    start: datetime
    end: datetime
    kind: str  # IDLE (derived from the assignment log) or TAKEN (the person pressed the button)
    ongoing: bool = False

    @property
    def minutes(self) -> float:
        return (self.end - self.start) / timedelta(minutes=1)


def idle_breaks(spans: Sequence[tuple[datetime, datetime]], shift: Interval, now: datetime, *,
                min_gap: timedelta = DEFAULT_IDLE_BREAK) -> list[Break]:
    """Gaps of at least `min_gap` between handling spans inside `shift`, up to `now`.

    While the shift runs, the stretch since the last handling counts too once it is long enough (an
    ongoing break). The stretches before the first and after the last handling of a shift do not:
    nothing says they were rest rather than other work.
    """
    end = min(now, shift.end)
    inside = sorted((max(s, shift.start), min(e, end)) for s, e in spans if e > shift.start and s < end)
    out: list[Break] = []
    if not inside:
        return out
    cursor = inside[0][1]
    for s, e in inside[1:]:
        if s - cursor >= min_gap:
            out.append(Break(cursor, s, IDLE))
        cursor = max(cursor, e)
    if now < shift.end and now - cursor >= min_gap:  # resting right now; a finished shift just ended
        out.append(Break(cursor, now, IDLE, ongoing=True))
    return out


def merge_breaks(idle: Iterable[Break], taken: Iterable[Interval], now: datetime) -> list[Break]:
    """One list, oldest first: overlapping breaks merge, and a merged break is TAKEN if any part was."""
    parts = [*idle, *(Break(t.start, t.end, TAKEN, ongoing=t.contains(now)) for t in taken)]
    merged: list[Break] = []
    for b in sorted(parts, key=lambda x: x.start):
        if merged and b.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Break(last.start, max(last.end, b.end),
                               TAKEN if TAKEN in (last.kind, b.kind) else IDLE, last.ongoing or b.ongoing)
        else:
            merged.append(b)
    return merged


def on_break_until(taken: Iterable[Interval], now: datetime) -> datetime | None:
    """The end of the break the person is taking right now, if any."""
    return max((t.end for t in taken if t.contains(now)), default=None)


def last_break_end(breaks: Sequence[Break], shift: Interval, now: datetime, rules: StaffingRules,
                   *, worked: bool) -> datetime | None:
    """When the last break long enough for the rule ended (`now` if resting now); None: none yet.

    Someone who has handled nothing yet this shift is rested, as before any break was logged.
    """
    if not worked:
        return now
    ends = [min(b.end, now) for b in breaks
            if b.start >= shift.start and min(b.end, now) - b.start >= rules.break_length]
    return max(ends, default=None)


def shift_breaks(spans: Sequence[tuple[datetime, datetime]], taken: Iterable[Interval], shift: Interval,
                 now: datetime, *, min_gap: timedelta = DEFAULT_IDLE_BREAK) -> list[Break]:
    """Every break of one shift up to `now`, idle and taken, merged where they overlap."""
    mine = [t for t in taken if t.overlaps(shift) and t.start <= now]
    return merge_breaks(idle_breaks(spans, shift, now, min_gap=min_gap), mine, now)


def rest_state(spans: Sequence[tuple[datetime, datetime]], taken: Sequence[Interval],
               shift: Interval | None, now: datetime, rules: StaffingRules,
               ) -> tuple[datetime | None, datetime | None]:
    """(last_break_end, on_break_until) for the router's PersonState, from handling and breaks taken."""
    until = on_break_until(taken, now)
    if shift is None:
        return None, until
    worked = any(e > shift.start and s < now for s, e in spans)
    breaks = shift_breaks(spans, taken, shift, now, min_gap=idle_threshold(rules))
    return last_break_end(breaks, shift, now, rules, worked=worked), until
