"""Small builders for routing tests: a person on shift, a waiting item, a snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from triage.core.priority import priority
from triage.scheduling.domain.snapshot import OpenItem, PersonState, Snapshot, WaitingItem
from triage.scheduling.domain.staff import Interval

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday noon


def shift(start_h: float, hours: float = 8) -> Interval:
    """A shift starting `start_h` hours from NOW (negative: already running)."""
    return Interval(NOW + timedelta(hours=start_h), NOW + timedelta(hours=start_h + hours))


def person(pid: str, *skills: str, shifts: tuple[Interval, ...] | None = None, **kw) -> PersonState:
    """Someone on a shift that began 2 h ago, unless told otherwise."""
    return PersonState(pid, frozenset(skills), (shift(-2),) if shifts is None else shifts, **kw)


def item(iid: str, urgency: str = "normal", *skills: str, author: str | None = None,
         waited_min: float = 5, **kw) -> WaitingItem:
    waited = timedelta(minutes=waited_min)
    return WaitingItem(iid, urgency, priority(urgency, 0.3, waited), NOW - waited, frozenset(skills),
                       author, **kw)


def held(iid: str, urgency: str = "normal", *, assigned_min_ago: float = 5, started: bool = True,
         **kw) -> OpenItem:
    at = NOW - timedelta(minutes=assigned_min_ago)
    return OpenItem(iid, urgency, at, at if started else None, **kw)


def snap(items, people) -> Snapshot:
    return Snapshot(tuple(items), tuple(people))


def assigned_to(decision) -> dict[str, str]:
    return {a.item_id: a.person_id for a in decision.assignments}
