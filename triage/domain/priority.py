"""The one transparent priority formula: urgency first, relationship next, waiting time against the SLA."""

from __future__ import annotations

from datetime import timedelta

URGENCY_BASE = {"critical": 80.0, "high": 60.0, "normal": 35.0, "low": 10.0}
RELATIONSHIP_WEIGHT = 15.0  # a key relationship lifts an item by most of one urgency band, never two
WAITING_WEIGHT = 5.0  # an item at its SLA deadline gains this much, so old items rise within their band

# Default answer targets per urgency; leads change them in the staffing rules (scheduler issue).
DEFAULT_SLA = {
    "critical": timedelta(minutes=30),
    "high": timedelta(hours=2),
    "normal": timedelta(hours=24),
    "low": timedelta(hours=72),
}


def priority(urgency: str, relationship: float, waited: timedelta = timedelta(0),
             sla: dict[str, timedelta] | None = None) -> float:
    """Priority in 0..100 from urgency, relationship value in [0, 1] and time waited."""
    target = (sla or DEFAULT_SLA)[urgency]
    pressure = min(waited / target, 1.0) if target > timedelta(0) else 1.0
    value = URGENCY_BASE[urgency] + RELATIONSHIP_WEIGHT * max(0.0, min(relationship, 1.0))
    return round(min(100.0, value + WAITING_WEIGHT * pressure), 2)


def due_in(urgency: str, sla: dict[str, timedelta] | None = None) -> timedelta:
    """How long after arrival an item of this urgency should be answered."""
    return (sla or DEFAULT_SLA)[urgency]
