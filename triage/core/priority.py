"""The one transparent priority formula: urgency first, relationship next, waiting time against the SLA."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta

from triage.core.scoring import Reason

URGENCY_BASE = {"critical": 80.0, "high": 60.0, "normal": 35.0, "low": 10.0}
RELATIONSHIP_WEIGHT = 15.0  # a key relationship lifts an item by most of one urgency band, never two
WAITING_WEIGHT = 5.0  # an item at its SLA deadline gains this much, so old items rise within their band
WAIT_STEPS = 20  # the stored inbox order follows waiting in 1/20ths of the target (0.25 points)
WAITING_REASON_FROM = 0.5  # before half the target has passed, waiting is not worth a line

# A storm's item rises with the people it touches, each counted 0.5-1.5 by relationship value, on
# a log scale: 3 people lift it about 5 points, 40 about 21 (past any single item of its band),
# and at most one band (25): a storm of normal questions can rank with high items, not critical.
STORM_PEOPLE_WEIGHT = 4.0
STORM_LIFT_CAP = 25.0

# Default answer targets per urgency; leads change them in the staffing rules (scheduler issue).
DEFAULT_SLA = {
    "critical": timedelta(minutes=30),
    "high": timedelta(hours=2),
    "normal": timedelta(hours=24),
    "low": timedelta(hours=72),
}


def priority(urgency: str, relationship: float, waited: timedelta = timedelta(0),
             sla: dict[str, timedelta] | None = None, *, steps: int | None = None) -> float:
    """Priority in 0..100 from urgency, relationship value in [0, 1] and time waited.

    `steps` counts waiting in whole 1/steps of the target, as the stored inbox order does.
    """
    target = (sla or DEFAULT_SLA)[urgency]
    used = min(waited / target, 1.0) if target > timedelta(0) else 1.0
    if steps:
        used = math.floor(used * steps + 1e-9) / steps
    value = URGENCY_BASE[urgency] + RELATIONSHIP_WEIGHT * max(0.0, min(relationship, 1.0))
    return round(min(100.0, value + WAITING_WEIGHT * used), 2)


def storm_lift(relationship_values: Sequence[float]) -> float:
    """Priority a storm's item gains from its people: one value in [0, 1] per distinct person."""
    return lift_for_weight(sum(person_weight(v) for v in relationship_values))


def person_weight(relationship_value: float) -> float:
    """What one person counts for in a storm: 0.5 to 1.5 by relationship value."""
    return 0.5 + max(0.0, min(relationship_value, 1.0))


def lift_for_weight(weight: float) -> float:
    """The lift of a storm whose people weigh `weight` in all (kept, so a batch can add to it)."""
    if weight <= 1.0:
        return 0.0
    return round(min(STORM_LIFT_CAP, STORM_PEOPLE_WEIGHT * math.log2(weight)), 2)


def weight_added(joining: dict[str, float], earlier: dict[str, float]) -> tuple[int, float]:
    """People and weight a batch adds to a storm: `joining` holds each joining person's best value
    in the batch, `earlier` the same people's best value among the storm's earlier members."""
    people, weight = 0, 0.0
    for person, value in joining.items():
        if person not in earlier:
            people, weight = people + 1, weight + person_weight(value)
        else:
            weight += max(0.0, person_weight(value) - person_weight(earlier[person]))
    return people, weight


def pressure(waited: timedelta, target: timedelta) -> float:
    """Share of the answer target already used up, 0..1 (1 once the target has passed)."""
    if target <= timedelta(0):
        return 1.0
    return max(0.0, min(waited / target, 1.0))


def span(delta: timedelta) -> str:
    """'5 min', '3 h', '5 d': a wait as a person reads it (hours up to 4 days, so '72 h' stays)."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 96 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} d"


def waiting_reason(urgency: str, waited: timedelta,
                   sla: dict[str, timedelta] | None = None) -> Reason | None:
    """'waiting 3 h of a 2 h target' once half the target is used up; None before that."""
    target = (sla or DEFAULT_SLA).get(urgency)
    if target is None:
        return None
    used = pressure(waited, target)
    if used < WAITING_REASON_FROM:
        return None
    return Reason(f"waiting {span(waited)} of a {span(target)} target", WAITING_WEIGHT * used / 100)


def due_in(urgency: str, sla: dict[str, timedelta] | None = None) -> timedelta:
    """How long after arrival an item of this urgency should be answered."""
    return (sla or DEFAULT_SLA)[urgency]
