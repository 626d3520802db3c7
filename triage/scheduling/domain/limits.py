"""Hard limits applied to one person during one routing pass; each refusal says which limit."""

from __future__ import annotations

from datetime import datetime, timedelta

from triage.core.scoring import URGENCIES
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import OpenItem, PersonState
from triage.scheduling.domain.staff import Interval

HOUR = timedelta(hours=1)
LAST_MINUTES_URGENT = frozenset({"critical", "high"})  # may still start in a shift's last minutes
EPSILON = 1e-9  # float sums of hours must not refuse an assignment that lands exactly on a limit

OFF_SHIFT = "off shift"
ON_BREAK = "on a break"
LAST_MINUTES = "in the last minutes of their shift"
DUE_BREAK = "due a break"
INTERRUPTIONS = "at the interruption budget"
CAPACITY = "at capacity"
DAY_HOURS = "at the daily hours limit"
WEEK_HOURS = "at the weekly hours limit"
KEPT_FOR = "kept for a more urgent item they let go in this pass"
URGENCY_RANK = {u: n for n, u in enumerate(URGENCIES)}  # 0: most urgent


def stretch_start(person: PersonState, shift: Interval) -> datetime:
    """When the current stretch of work began: the shift's start, or the last break's end within it."""
    return max(shift.start, person.last_break_end or shift.start)


def availability(person: PersonState, now: datetime, rules: StaffingRules) -> str | None:
    """None when `person` may receive new work at `now`, else the limit that stops it."""
    shift = person.shift_at(now)
    if shift is None:
        return OFF_SHIFT
    if person.on_break_until is not None and person.on_break_until > now:
        return ON_BREAK
    if now >= shift.end - rules.no_new_in_last and (shift.end - now) / HOUR < rules.handling_hours["high"]:
        return LAST_MINUTES  # not even a high item fits; Load.refusal stops lesser work earlier
    if now - stretch_start(person, shift) >= rules.break_after:
        return DUE_BREAK
    if person.assigned_last_hour >= rules.interruptions_per_hour:
        return INTERRUPTIONS
    return None


URGENT_RESERVE = 1  # per tier: the last slot of the hour for critical, the one before for high


def interruption_limit(urgency: str, rules: StaffingRules) -> int:
    """The interruption budget an item of `urgency` may use: the last slots wait for urgent items."""
    budget = rules.interruptions_per_hour
    if budget < 4 or urgency == "critical":
        return budget
    return budget - URGENT_RESERVE if urgency == "high" else budget - 2 * URGENT_RESERVE


class Load:
    """Mutable tally for one person while a routing pass hands out work."""

    __slots__ = ("critical", "day", "effort", "interruptions", "kept_for", "left", "paged", "person",
                 "version", "week")

    def __init__(self, person: PersonState, kept: tuple[OpenItem, ...], rules: StaffingRules) -> None:
        hours, effort = rules.handling_hours, rules.effort
        committed = sum(hours[i.urgency] for i in kept)
        self.person = person
        self.effort = sum(effort[i.urgency] for i in kept)
        self.day = person.hours_today + committed
        self.week = person.hours_week + committed
        self.interruptions = person.assigned_last_hour
        self.paged = 0.0  # hours of pages given in this pass: time at work on top of the shifts
        self.critical = 0.0  # hours of critical work given in this pass: it goes before the rest
        self.version = 0
        self.left: float | None = None  # hours of shift left, set by the router when it knows `now`
        self.kept_for = len(URGENCY_RANK)  # rank of an overdue item only this person can take, see keep_for

    def keep_for(self, urgency: str) -> None:
        """An overdue item this person let go untouched in this pass, and nobody else can take, comes
        back to them at the next pass: until then they take nothing less urgent, so it is not
        overtaken (the simulation's property test found normal work given beside a waiting high)."""
        self.kept_for = min(self.kept_for, URGENCY_RANK[urgency])
        self.version += 1

    def refusal(self, urgency: str, rules: StaffingRules) -> str | None:
        """None if one more item of `urgency` stays within every limit, else the limit hit."""
        if URGENCY_RANK[urgency] > self.kept_for:
            return KEPT_FOR
        if self.interruptions >= interruption_limit(urgency, rules):
            return INTERRUPTIONS
        if self.left is not None and self.left <= rules.no_new_in_last / HOUR + EPSILON and (
                urgency not in LAST_MINUTES_URGENT or self.left < rules.handling_hours[urgency]):
            return LAST_MINUTES  # the last minutes take only urgent work that can be done in them
        if self.effort + rules.effort[urgency] > rules.max_open_effort + EPSILON:
            return CAPACITY
        hours = rules.handling_hours[urgency]
        if self.day + hours > rules.max_hours_per_day + EPSILON:
            return DAY_HOURS
        if self.week + hours > rules.max_hours_per_week + EPSILON:
            return WEEK_HOURS
        return None

    def hours_refusal(self, hours: float, rules: StaffingRules) -> str | None:
        """None if `hours` more work (a page, say) stays within the daily and weekly limits."""
        if self.day + hours > rules.max_hours_per_day + EPSILON:
            return DAY_HOURS
        if self.week + hours > rules.max_hours_per_week + EPSILON:
            return WEEK_HOURS
        return None

    def add_hours(self, hours: float) -> None:
        self.day += hours
        self.week += hours
        self.paged += hours
        self.version += 1

    def can_take_any(self, rules: StaffingRules) -> bool:
        """False once even the lightest item of any urgency would break a limit."""
        hours = min(rules.handling_hours.values())
        return (self.interruptions < rules.interruptions_per_hour
                and self.effort + min(rules.effort.values()) <= rules.max_open_effort + EPSILON
                and self.day + hours <= rules.max_hours_per_day + EPSILON
                and self.week + hours <= rules.max_hours_per_week + EPSILON)

    def take(self, urgency: str, rules: StaffingRules) -> None:
        hours = rules.handling_hours[urgency]
        self.effort += rules.effort[urgency]
        self.day += hours
        self.week += hours
        self.interruptions += 1
        self.version += 1
        if urgency == "critical":
            self.critical += hours

    def drop(self, urgency: str, rules: StaffingRules) -> None:
        """An unstarted item handed back: its effort and expected hours are no longer committed."""
        hours = rules.handling_hours[urgency]
        self.effort -= rules.effort[urgency]
        self.day -= hours
        self.week -= hours
        self.version += 1

    def stress(self, rules: StaffingRules) -> float:
        """Lower is fresher: open load, hours used and recent pings, each as a share of its limit."""
        return (self.effort / rules.max_open_effort
                + 0.5 * self.day / rules.max_hours_per_day
                + 0.25 * self.week / rules.max_hours_per_week
                + 0.5 * self.interruptions / rules.interruptions_per_hour)
