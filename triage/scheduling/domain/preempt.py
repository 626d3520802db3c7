"""Serve by priority under overload: an urgent item may take the place of unstarted, less urgent work."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from triage.core.scoring import URGENCIES
from triage.scheduling.domain.limits import CAPACITY, EPSILON, Load
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import OpenItem, PersonState, WaitingItem

RANK = {u: n for n, u in enumerate(URGENCIES)}  # 0 = critical
PREEMPTING = frozenset({"critical", "high"})  # only these may push other work back to the pool


def victims_for(item: WaitingItem, load: Load, held: Iterable[OpenItem],
                rules: StaffingRules) -> list[OpenItem] | None:
    """The fewest unstarted, less urgent items whose return makes room for `item`; None if none do.

    Work someone has started is never taken away, and neither is paged work.
    """
    refused = load.refusal(item.urgency, rules)
    if refused is None:
        return []
    if refused != CAPACITY:
        return None  # hours, interruptions: handing work back would not help
    spare = [o for o in held
             if o.started_at is None and not o.via_page and RANK[o.urgency] > RANK[item.urgency]]
    spare.sort(key=lambda o: (-RANK[o.urgency], -(o.assigned_at.timestamp())))
    need = load.effort + rules.effort[item.urgency] - rules.max_open_effort
    chosen, freed = [], 0.0
    for o in spare:
        if freed >= need - EPSILON:
            break
        chosen.append(o)
        freed += rules.effort[o.urgency]
    if freed < need - EPSILON:
        return None
    back = sum(rules.handling_hours[o.urgency] for o in chosen)
    hours = rules.handling_hours[item.urgency]
    if (load.day - back + hours > rules.max_hours_per_day + EPSILON
            or load.week - back + hours > rules.max_hours_per_week + EPSILON):
        return None  # room in the queue, but not in the day or week
    return chosen


def best_preemption(item: WaitingItem, people: Iterable[PersonState], loads: Mapping[str, Load],
                    held: Mapping[str, list[OpenItem]], available: Mapping[str, str | None],
                    rules: StaffingRules) -> tuple[str, list[OpenItem]] | None:
    """Who can take `item` by handing back the least work (ties: the freshest), or None."""
    best: tuple[tuple[int, float, str], str, list[OpenItem]] | None = None
    for p in people:
        if available.get(p.id) is not None or p.id == item.previous_holder:
            continue
        if not item.required_skills <= p.skills:
            continue
        victims = victims_for(item, loads[p.id], held.get(p.id, ()), rules)
        if victims is None:
            continue
        key = (len(victims), loads[p.id].stress(rules), p.id)
        if best is None or key < best[0]:
            best = (key, p.id, victims)
    return None if best is None else (best[1], best[2])


def handback_note(victim: OpenItem, item: WaitingItem, owner: str, now: datetime) -> str:
    """The note a returned item carries, so the next person knows why it came back."""
    minutes = int((now - victim.assigned_at).total_seconds() // 60)
    return (f"handoff from {owner}: not started after {minutes} min; handed back to make room for"
            f" {item.urgency} item {item.id}")
