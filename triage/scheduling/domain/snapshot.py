"""What the router sees (a snapshot an adapter builds from DB rows) and what it decides."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from triage.scheduling.domain.staff import Interval


@dataclass(frozen=True, slots=True)
class WaitingItem:
    """An unassigned item: one row of the route queue."""

    id: str
    urgency: str
    priority: float
    received_at: datetime
    required_skills: frozenset[str] = frozenset()
    author_id: str | None = None
    paged_to: str | None = None  # on-call person already paged for this item, if any
    previous_holder: str | None = None  # released from this person; not handed straight back


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An item a person holds: assigned, maybe started, not yet resolved."""

    id: str
    urgency: str
    assigned_at: datetime
    started_at: datetime | None = None
    author_id: str | None = None
    via_page: bool = False  # taken on call: not handed off at shift end
    priority: float = 0.0
    received_at: datetime | None = None
    required_skills: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PersonState:
    """One person as routing needs them now; hours are handling hours already worked."""

    id: str
    skills: frozenset[str] = frozenset()
    shifts: tuple[Interval, ...] = ()  # the current shift and upcoming ones (waits quote them)
    open_items: tuple[OpenItem, ...] = ()
    hours_today: float = 0.0
    hours_week: float = 0.0
    assigned_last_hour: int = 0
    last_break_end: datetime | None = None  # None: no break yet in this shift
    on_break_until: datetime | None = None
    relationships: frozenset[str] = frozenset()  # author ids this person holds
    on_call: tuple[Interval, ...] = ()
    pages_tonight: int = 0
    pages_week: int = 0
    name: str = ""
    worked: tuple[Interval, ...] = ()  # work outside shifts in the last day (pages): it counts for rest
    at_work_today: float | None = None  # hours at work in their local day, shifts included; None: unknown
    at_work_week: float | None = None  # same for their local week
    days_in_a_row: int | None = None  # local days at work in a row if they worked today; None: unknown

    def shift_at(self, moment: datetime) -> Interval | None:
        return next((s for s in self.shifts if s.contains(moment)), None)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the router decides on; `now` is passed to `route` separately."""

    waiting: tuple[WaitingItem, ...] = ()
    people: tuple[PersonState, ...] = ()


# Reason kinds: a few fixed words next to each free-text reason, so metrics and tests can count
# decisions without parsing sentences.
ASSIGN_KINDS = ("relationship", "batch", "freshest_fit", "priority")
WAIT_KINDS = ("no_skill", "off_shift", "at_limit", "batching", "paged")
RELEASE_KINDS = ("shift_end", "untouched", "preempted")


# Decision parts are NamedTuples: immutable like the rest, and cheap enough to build by the
# ten thousand within the router's time budget.
class Assignment(NamedTuple):
    item_id: str
    person_id: str
    reason: str
    kind: str = ""  # one of ASSIGN_KINDS


class Wait(NamedTuple):
    """Items left waiting for one shared reason (a backlog has few distinct reasons)."""

    reason: str
    until: datetime | None  # earliest moment the situation can change, when known
    item_ids: tuple[str, ...]
    kind: str = ""  # one of WAIT_KINDS


class Page(NamedTuple):
    item_id: str
    person_id: str
    reason: str


class CoverageGap(NamedTuple):
    item_id: str
    reason: str


class Release(NamedTuple):
    item_id: str
    person_id: str
    reason: str
    handoff_note: str
    kind: str = ""  # one of RELEASE_KINDS


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """The router's answer: apply releases first, then assignments and pages.

    Waits and gaps explain the rest.
    """

    assignments: tuple[Assignment, ...] = ()
    waits: tuple[Wait, ...] = ()
    pages: tuple[Page, ...] = ()
    gaps: tuple[CoverageGap, ...] = ()
    releases: tuple[Release, ...] = ()
    rules_version: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def wait_reasons(self) -> dict[str, str]:
        """Reason per waiting item id, for the inbox."""
        return {item_id: w.reason for w in self.waits for item_id in w.item_ids}

    def as_dict(self) -> dict[str, Any]:
        parts = ("assignments", "waits", "pages", "gaps", "releases")
        out: dict[str, Any] = {k: [p._asdict() for p in getattr(self, k)] for k in parts}
        return {**out, "rules_version": self.rules_version, **self.extra}
