"""How much of the replay's waiting pool one routing pass is shown.

Under overload thousands of items wait, but a pass can place only as many as the people on shift have
room for. Showing the router each group's first items up to that room keeps a pass cheap without
hiding work it could place (50 people, 14 days at 20,000 messages a day: 33 -> 21 s).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime

from triage.scheduling.domain.preempt import PREEMPTING
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.planning.sim_people import SimPerson
from triage.scheduling.planning.sim_pool import Key

# Urgencies whose head is what the router ranks first (savable items first), not the oldest. Highs only:
# criticals are all shown anyway, and normal and low work shown savable-first kept people busy right up
# to their breaks, which then fell together and left criticals waiting (single-zone: 95.2 -> 93.8 %).
SAVE_FIRST = ("high",)


def room(person: SimPerson, rules: StaffingRules, now: datetime) -> tuple[float, float]:
    """Open effort `person` could still take (work the router will release as untouched counts as
    room), and that plus the unstarted work an urgent item may push back."""
    effort, stale = rules.effort, now - rules.stale_after
    current = effort[person.current.arrival.urgency] if person.current else 0.0
    queued = kept = 0.0
    for i in person.queue:
        queued += effort[i.arrival.urgency]
        if i.via_page or i.held_started is not None or i.assigned_at is None or i.assigned_at > stale:
            kept += effort[i.arrival.urgency]
    most = rules.max_open_effort
    return max(0.0, most - current - kept), max(0.0, most - current - queued) + queued


def shown_per_group(on_shift: Iterable[SimPerson], rules: StaffingRules,
                    now: datetime) -> Callable[[Key], int | None]:
    """How many items of each (skills, urgency) group to show: every critical; normal and low work up
    to the room of the people on shift with the group's skills; high work up to everyone's room on
    shift, counting unstarted work it may push back. (The wide view lets the router rank fresh highs
    by priority: a narrow one served the oldest still savable, often too late to start in time; the
    same narrowing for criticals cost 10 people 190 -> 150 criticals in time over 2 days.)"""
    effort = rules.effort
    rooms = [(p.tags, *room(p, rules, now)) for p in on_shift]
    urgent_room = sum(r[2] for r in rooms)
    free_by_skills: dict[frozenset[str], float] = {}

    def limit(key: Key) -> int | None:
        skills, urgency = key
        if urgency == "critical":
            return None
        if urgency in PREEMPTING:
            return math.ceil(urgent_room / effort[urgency]) + 2
        free = free_by_skills.get(skills)
        if free is None:
            free = free_by_skills[skills] = sum(f for tags, f, _ in rooms if skills <= tags)
        return math.ceil(free / effort[urgency]) + 2

    return limit
