"""Manual claims under the same hard limits as routing: nobody works past a limit by picking work up.

The router's pacing rules (interruption budget, no new work in the last minutes of a shift) protect
people from being handed work; a claim is work a person chose, so only the limits on the person apply:
being on shift, not on a break and not due one, open effort, and hours per day and week.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from triage.scheduling.domain.limits import (
    CAPACITY,
    DAY_HOURS,
    DUE_BREAK,
    OFF_SHIFT,
    ON_BREAK,
    WEEK_HOURS,
    Load,
)
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import PersonState

# Refusal kinds, as the metrics and tests read them.
KINDS = {OFF_SHIFT: "off_shift", ON_BREAK: "on_break", DUE_BREAK: "due_break", CAPACITY: "capacity",
         DAY_HOURS: "day_hours", WEEK_HOURS: "week_hours"}


def _h(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _when(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%H:%M}" if local.date() == now.astimezone(zone).date() else f"{local:%a %H:%M}"


def claim_refusal(person: PersonState, urgency: str, now: datetime,
                  rules: StaffingRules) -> tuple[str, str] | None:
    """None if `person` may take one more item of `urgency` at `now`, else (limit, explanation).

    An on-call window counts as being on shift for critical items only, since only those page.
    """
    who, zone = person.name or person.id, ZoneInfo(rules.team_timezone)
    shift = person.shift_at(now)
    on_call = urgency == "critical" and any(w.contains(now) for w in person.on_call)
    if shift is None and not on_call:
        nxt = min((s.start for s in person.shifts if s.start > now), default=None)
        when = f"; next shift starts {_when(nxt, now, zone)}" if nxt else ""
        return OFF_SHIFT, f"{who} is off shift{when}"
    if person.on_break_until is not None and person.on_break_until > now:
        return ON_BREAK, (f"{who} is on a break until {person.on_break_until.astimezone(zone):%H:%M};"
                          f" end the break on the hours page first")
    if shift is not None:
        stretch = shift.start
        if person.last_break_end is not None and person.last_break_end > shift.start:
            stretch = person.last_break_end
        if now - stretch >= rules.break_after:
            since = stretch.astimezone(zone)
            return DUE_BREAK, (f"{who} is due a break: working since {since:%H:%M} without one"
                               f" (break after {_h(rules.break_after.total_seconds() / 3600)} h);"
                               f" take a break from the hours page first")
    load = Load(replace(person, assigned_last_hour=0), person.open_items, rules)
    limit = load.refusal(urgency, rules)
    if limit == CAPACITY:
        return limit, (f"{who} is at capacity: open effort {_h(load.effort)} + {_h(rules.effort[urgency])}"
                       f" for this {urgency} item is over {_h(rules.max_open_effort)}")
    hours = rules.handling_hours[urgency]
    if limit == DAY_HOURS:
        return limit, (f"{who} would pass the daily hours limit: {_h(load.day)} h + {_h(hours)} h"
                       f" expected for this item is over {_h(rules.max_hours_per_day)} h")
    if limit == WEEK_HOURS:
        return limit, (f"{who} would pass the weekly hours limit: {_h(load.week)} h + {_h(hours)} h"
                       f" expected for this item is over {_h(rules.max_hours_per_week)} h")
    return None
