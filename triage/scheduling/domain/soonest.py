"""Who can start a critical item soonest: the one whose work ahead of it ends first.

A critical item jumps every queue but never interrupts work already started, and a break that falls
due before it is reached hands it back. So among people who may take it, the freshest (by open effort
and hours) can still be the slowest to start it: one mid-way through another critical case, or one
due a break in minutes, while a colleague is on a quick normal item. Someone whose queue is full of
unstarted, less urgent work counts too: that work goes back to the pool (domain/preempt.py) when it
lets the critical start at least PREEMPT_MARGIN sooner (uncovered-window: a critical went to a person
just starting another 20-minute critical while three colleagues, full of unstarted highs, were each a
few minutes from free).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from triage.scheduling.domain.limits import HOUR, Load, stretch_start
from triage.scheduling.domain.preempt import victims_for
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import OpenItem, PersonState, WaitingItem

# A started item past its expected handling time is not done: count this share of it as still to go,
# so someone idle wins over someone whose case overran (two-weeks-default: a critical went to a person
# 22 min into a long critical case, counted as about to finish, while two colleagues sat idle).
UNFINISHED = 0.25
PREEMPT_MARGIN = 5 / 60  # hours: hand queued work back only to start a critical this much sooner


def hours_before_start(person: PersonState, held: Iterable[OpenItem], given_hours: float, now: datetime,
                       rules: StaffingRules) -> float:
    """Expected hours until `person` can start one more critical item at `now`: what is left of the
    work they started (at least UNFINISHED of it), then unstarted critical and paged work (it comes
    first), then `given_hours` of critical work given in this pass; plus a break when it falls due
    before that."""
    hours = rules.handling_hours
    ahead = given_hours
    for item in held:
        if item.started_at is not None:
            expected = hours[item.urgency]
            ahead += max(expected * UNFINISHED, expected - (now - item.started_at) / HOUR)
        elif item.urgency == "critical" or item.via_page:
            ahead += hours[item.urgency]
    shift = person.shift_at(now)
    if shift is not None and (now - stretch_start(person, shift)) / HOUR + ahead >= rules.break_after / HOUR:
        ahead += rules.break_length / HOUR  # the break comes first, and the item waits it out
    return ahead


def soonest_fit(item: WaitingItem, heap: Iterable[tuple[float, str, int]], loads: Mapping[str, Load],
                held: Mapping[str, list[OpenItem]], now: datetime,
                rules: StaffingRules) -> tuple[str, float, list[OpenItem]] | None:
    """Who in the router's `heap` of (stress, person, version) may take `item` and start it first
    (ties: the freshest), the expected hours until they do, and the unstarted, less urgent items they
    hand back to make room (none when it fits as it is); None when nobody but its previous holder may
    take it."""
    best: tuple[float, float, str, float, list[OpenItem]] | None = None
    for pid in {entry[1] for entry in heap}:
        load = loads[pid]
        if pid == item.previous_holder:
            continue
        victims = victims_for(item, load, held[pid], rules)  # [] when it fits, None when it cannot
        if victims is None:
            continue
        hours = hours_before_start(load.person, held[pid], load.critical, now, rules)
        rank = (hours + (PREEMPT_MARGIN if victims else 0.0), load.stress(rules), pid, hours, victims)
        if best is None or rank[:3] < best[:3]:
            best = rank
    return None if best is None else (best[2], best[3], best[4])
