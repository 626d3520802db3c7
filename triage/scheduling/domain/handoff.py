"""Work handed back: at shift end or when untouched too long, with a note for the next person."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import OpenItem, PersonState, Release, WaitingItem


def hhmm(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    """HH:MM in `zone`, with the weekday when it is not today."""
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%a %H:%M}"


def skill_words(group: frozenset[str]) -> str:
    """' with skill 'es'' for a reason's wording; '' for an item that needs no skill."""
    names = ", ".join(f"'{x}'" for x in sorted(group))
    return "" if not group else f" with skill {names}" if len(group) == 1 else f" with skills {names}"


def release_due(person: PersonState, item: OpenItem, now: datetime, rules: StaffingRules,
                zone: ZoneInfo) -> Release | None:
    """The release of `item` from `person` at `now` (shift over, or untouched too long), or None."""
    if item.via_page:
        return None
    state = f"started {hhmm(item.started_at, now, zone)}" if item.started_at else "not started"
    owner = person.name or person.id
    if person.shift_at(now) is None:
        ended = max((s.end for s in person.shifts if s.end <= now), default=None)
        when = f" at {hhmm(ended, now, zone)}" if ended else ""
        return Release(item.id, person.id, f"shift ended{when}",
                       f"handoff from {owner}: shift ended{when}; assigned"
                       f" {hhmm(item.assigned_at, now, zone)}, {state}, unfinished", "shift_end")
    if item.started_at is None and now - item.assigned_at >= rules.stale_after:
        minutes = int((now - item.assigned_at).total_seconds() // 60)
        return Release(item.id, person.id, f"untouched for {minutes} min",
                       f"handoff from {owner}: assigned {hhmm(item.assigned_at, now, zone)}, not"
                       f" opened within {int(rules.stale_after.total_seconds() // 60)} min", "untouched")
    return None


def requeued(item: OpenItem, holder: str) -> WaitingItem:
    """A released item back in the queue, remembering who handed it back."""
    return WaitingItem(item.id, item.urgency, item.priority, item.received_at or item.assigned_at,
                       item.required_skills, item.author_id, None, holder)


