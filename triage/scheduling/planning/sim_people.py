"""Simulated people: they work their queue inside shifts (or always, for the baselines), take breaks."""

from __future__ import annotations

import bisect
import heapq
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from triage.core.scoring import URGENCIES
from triage.scheduling.domain.localtime import days_in_a_row, split_by_local_day
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import OpenItem, PersonState
from triage.scheduling.domain.staff import Interval, Staff
from triage.scheduling.planning.scenario import Arrival

MINUTE = timedelta(minutes=1)
URGENCY_RANK = {u: n for n, u in enumerate(URGENCIES)}
PAGE_RESPONSE = timedelta(minutes=5)  # the on-call person needs a moment to wake and log in


@dataclass(eq=False)  # identity semantics: two items with equal fields are still two items
class SimItem:
    """One message through the simulation, with the log record of its current holder."""

    arrival: Arrival
    remaining: float  # minutes of work left
    person: str | None = None
    started_at: datetime | None = None  # first response, for the SLA
    resolved_at: datetime | None = None
    via_page: bool = False
    paged: bool = False
    previous_holder: str | None = None
    assigned_at: datetime | None = None
    held_started: datetime | None = None  # when the current holder started it
    record: dict[str, Any] | None = None
    deferred: bool = False  # low work capacity could not reach; still served if capacity frees up
    skills: frozenset[str] = field(init=False)  # its language, and its channel when modelled
    received: str = field(init=False)  # arrival time as the log writes it, formatted once

    def __post_init__(self) -> None:
        self.skills = frozenset({self.arrival.language, self.arrival.channel} - {""})
        self.received = self.arrival.at.isoformat()


class WorkQueue:
    """A person's assigned items not yet in hand, in the order given. The next one to work (paged first,
    then the most urgent, in the order given) comes off a heap: the baselines hand out thousands of
    items at once, and a scan per item made their two-week replay quadratic (over 17 min for 10 people)."""

    __slots__ = ("_counter", "_heap", "_items", "_paged")

    def __init__(self, items: Iterable[SimItem] = ()) -> None:
        self._items: dict[int, tuple[SimItem, int]] = {}  # by id(item): identity, as in a deque of them
        self._heap: list[tuple[int, int, SimItem]] = []  # stale once its item left (seq differs)
        self._counter = count()
        self._paged = 0
        for item in items:
            self.append(item)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[SimItem]:
        return (item for item, _ in self._items.values())

    def __contains__(self, item: object) -> bool:
        entry = self._items.get(id(item))
        return entry is not None and entry[0] is item

    def append(self, item: SimItem) -> None:
        seq = next(self._counter)
        self._items[id(item)] = (item, seq)
        self._paged += item.via_page
        heapq.heappush(self._heap, (URGENCY_RANK[item.arrival.urgency], seq, item))

    def appendleft(self, item: SimItem) -> None:
        """First in order (pages: the newest page is worked first); rare, so a rebuild is fine."""
        self.append(item)
        first = self._items.pop(id(item))
        self._items = {id(item): first, **self._items}

    def remove(self, item: SimItem) -> None:
        if item not in self:
            raise ValueError("item not in queue")
        del self._items[id(item)]
        self._paged -= item.via_page

    def clear(self) -> None:
        self._items.clear()
        self._heap.clear()
        self._paged = 0

    def paged(self) -> SimItem | None:
        """The first paged item in order, if any."""
        return next((i for i in self if i.via_page), None) if self._paged else None

    def most_urgent(self) -> SimItem | None:
        """The first item given of the most urgent, without a scan."""
        heap, items = self._heap, self._items
        while heap:
            item, seq = heap[0][2], heap[0][1]
            entry = items.get(id(item))
            if entry is not None and entry[1] == seq:
                return item
            heapq.heappop(heap)
        return None


@dataclass(eq=False)
class SimPerson:
    staff: Staff
    shifts: list[Interval]
    on_call: list[Interval]
    queue: WorkQueue = field(default_factory=WorkQueue)
    current: SimItem | None = None
    cursor: datetime | None = None
    last_break_end: datetime | None = None
    on_break_until: datetime | None = None
    assigned: deque[datetime] = field(default_factory=deque)
    minutes_by_day: dict[Any, float] = field(default_factory=dict)
    minutes_by_week: dict[Any, float] = field(default_factory=dict)
    pages: list[datetime] = field(default_factory=list)
    relationships: set[str] = field(default_factory=set)
    breaks: list[tuple[datetime, datetime]] = field(default_factory=list)
    handed_back: list[SimItem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.shifts.sort(key=lambda s: s.start)
        self._starts = [s.start for s in self.shifts]
        self.tags = self.staff.tags  # computed once: the replay asks every tick
        self.zone = ZoneInfo(self.staff.timezone)  # days, weeks and nights are this person's own
        self.at_work_day: dict[Any, float] = {}  # hours at work per local day: shifts, then off-shift work
        self.at_work_week: dict[Any, float] = {}
        for s in self.shifts:
            self._at_work(s.start, s.end)
        self.off_shift: list[tuple[datetime, datetime]] = []  # paged work, for rest
        self.total_minutes = 0.0  # on items, ever: utilisation reads its growth per tick

    def _at_work(self, start: datetime, end: datetime) -> None:
        for day, hours in split_by_local_day(start, end, self.zone):
            week = day.isocalendar()[:2]
            self.at_work_day[day] = self.at_work_day.get(day, 0.0) + hours
            self.at_work_week[week] = self.at_work_week.get(week, 0.0) + hours

    def shift_at(self, moment: datetime) -> Interval | None:
        i = bisect.bisect_right(self._starts, moment) - 1
        return self.shifts[i] if i >= 0 and self.shifts[i].contains(moment) else None

    def upcoming(self, moment: datetime, n: int = 2) -> tuple[Interval, ...]:
        i = max(0, bisect.bisect_right(self._starts, moment) - 1)
        return tuple(self.shifts[i:i + n + 1])

    def open_count(self) -> int:
        return len(self.queue) + (self.current is not None)

    def _charge(self, start: datetime, minutes: float) -> None:
        local = start.astimezone(self.zone).date()
        week = local.isocalendar()[:2]
        self.total_minutes += minutes
        self.minutes_by_day[local] = self.minutes_by_day.get(local, 0.0) + minutes
        self.minutes_by_week[week] = self.minutes_by_week.get(week, 0.0) + minutes

    def _next(self, moment: datetime, always: bool) -> SimItem | None:
        """Paged work first (it is why someone was woken), then the most urgent, in the order the router
        gave it: its ranking puts an item that can still meet its target before one already late, and
        its "who starts it soonest" estimate counts on that order. (Oldest first, a person given a late
        critical and a fresh one at once started the late one and missed the fresh one's target.)"""
        paged = self.queue.paged()
        if paged is not None:
            self.queue.remove(paged)
            return paged
        if self.queue and (always or self.shift_at(moment) is not None):
            best = self.queue.most_urgent()
            self.queue.remove(best)
            return best
        return None

    def work(self, t0: datetime, t1: datetime, *, rules: StaffingRules, always: bool) -> None:
        """Work from t0 to t1: current item, then the queue; breaks when due (scheduler mode)."""
        cursor = max(t0, self.cursor or t0, self.on_break_until or t0)
        while cursor < t1:
            if self.current is None:
                shift = self.shift_at(cursor)
                if not always and shift is not None and self._due_break(cursor, shift, rules):
                    # Going on a break hands unstarted work back, so nothing urgent sits behind it.
                    self.handed_back.extend(i for i in self.queue if not i.via_page)
                    self.queue = WorkQueue(i for i in self.queue if i.via_page)
                    self.on_break_until = self.last_break_end = cursor + rules.break_length
                    self.breaks.append((cursor, self.on_break_until))
                    cursor = self.on_break_until
                    continue
                self.current = self._next(cursor, always)
                if self.current is None:
                    break
                if self.current.started_at is None:
                    self.current.started_at = cursor
                if self.current.held_started is None:
                    self.current.held_started = cursor
                    if self.current.record is not None:
                        self.current.record["started"] = cursor.isoformat()
            item = self.current
            limit = t1
            if not always and not item.via_page:
                shift = self.shift_at(cursor)
                if shift is None:
                    break  # off shift: the router hands the item over
                limit = min(t1, shift.end)
            step = min(item.remaining, (limit - cursor) / MINUTE)
            self._charge(cursor, step)
            if step > 0 and self.shift_at(cursor) is None:  # paged work: time at work outside a shift
                end = cursor + step * MINUTE
                self._at_work(cursor, end)
                if self.off_shift and self.off_shift[-1][1] >= cursor:
                    self.off_shift[-1] = (self.off_shift[-1][0], end)
                else:
                    self.off_shift.append((cursor, end))
            cursor += step * MINUTE
            item.remaining -= step
            if item.record is not None:
                item.record["worked_until"] = cursor.isoformat()
            if item.remaining <= 1e-9:
                item.resolved_at = cursor
                if item.record is not None:
                    item.record["resolved"] = cursor.isoformat()
                self.relationships.add(item.arrival.author)
                self.current = None
            elif cursor >= limit and limit < t1:
                break
        self.cursor = cursor

    def _due_break(self, moment: datetime, shift: Interval, rules: StaffingRules) -> bool:
        """Due at the limit; a little earlier when idle anyway (an empty queue is a good moment)."""
        worked = moment - max(shift.start, self.last_break_end or shift.start)
        if moment + rules.break_length >= shift.end:
            return False  # the shift ends before the break would: going home is the break
        return worked >= rules.break_after or (
            not self.queue and worked >= rules.break_after - rules.break_length)

    def hand_back(self, item: SimItem) -> None:
        if self.current is item:
            self.current = None
        elif item in self.queue:
            self.queue.remove(item)

    def state(self, now: datetime, *, waiting_authors: set[str]) -> PersonState:
        """The router's view of this person at `now`, with days and weeks in their own zone."""
        zone = self.zone
        while self.assigned and now - self.assigned[0] >= timedelta(hours=1):
            self.assigned.popleft()
        local = now.astimezone(zone).date()
        held = ([self.current] if self.current else []) + list(self.queue)
        open_items = tuple(OpenItem(i.arrival.id, i.arrival.urgency, i.assigned_at, i.held_started,
                                    i.arrival.author, i.via_page, received_at=i.arrival.at,
                                    required_skills=i.skills) for i in held)
        night = (now - timedelta(hours=12)).astimezone(zone).date()
        week = local.isocalendar()[:2]
        return PersonState(
            self.staff.id, self.staff.tags, self.upcoming(now), open_items,
            hours_today=self.minutes_by_day.get(local, 0.0) / 60,
            hours_week=self.minutes_by_week.get(week, 0.0) / 60, assigned_last_hour=len(self.assigned),
            last_break_end=self.last_break_end, on_break_until=self.on_break_until,
            relationships=frozenset(self.relationships & waiting_authors),
            on_call=tuple(w for w in self.on_call if w.start <= now < w.end),
            pages_tonight=sum(1 for p in self.pages
                              if (p - timedelta(hours=12)).astimezone(zone).date() == night),
            pages_week=sum(1 for p in self.pages if p.astimezone(zone).isocalendar()[:2] == week),
            name=self.staff.name,
            worked=tuple(Interval(s, e) for s, e in self.off_shift[-8:] if now - e < timedelta(hours=24)),
            at_work_today=self.at_work_day.get(local, 0.0), at_work_week=self.at_work_week.get(week, 0.0),
            days_in_a_row=days_in_a_row((d for d, h in self.at_work_day.items() if h > 0), local))
