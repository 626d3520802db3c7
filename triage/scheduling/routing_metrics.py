"""What a routing pass tells Prometheus: decisions by reason kind, waits, limits near, hours per person.

Everything here is derived from the pass's own snapshot and report, so the metrics cost no extra
query and agree with what the router decided.
"""

from __future__ import annotations

from collections.abc import Callable

from triage.platform import metrics
from triage.scheduling.domain.accounting import PersonTime, limit_warnings
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import ASSIGN_KINDS, RELEASE_KINDS, WAIT_KINDS, Snapshot
from triage.scheduling.routing_report import RoutingReport

LIMITS = ("daily hours", "weekly hours", "weekly pages")  # the limits limit_warnings checks
WAITING_KINDS = (*WAIT_KINDS, "coverage_gap")


class PhaseClock:
    """Seconds spent in each phase of a pass (read, decide, apply) and in total."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.started = self.last = clock()
        self.phases: dict[str, float] = {}

    def lap(self, phase: str) -> None:
        now = self.clock()
        self.phases[phase] = now - self.last
        self.last = now

    def finish(self) -> dict[str, float]:
        return {**self.phases, "total": self.last - self.started}


def near_limits(snapshot: Snapshot, rules: StaffingRules) -> dict[str, int]:
    """People at or above warn_fraction of each limit, the same test the hours page warns with."""
    today = {p.id: PersonTime(p.id, p.hours_today, 0.0, 0, 0) for p in snapshot.people}
    week = {p.id: PersonTime(p.id, p.hours_week, 0.0, p.pages_week, 0) for p in snapshot.people}
    counts = dict.fromkeys(LIMITS, 0)
    for warning in limit_warnings(today=today, week=week, rules=rules):
        counts[warning.limit] += 1
    return counts


def record(*, report: RoutingReport, snapshot: Snapshot, rules: StaffingRules, gaps_open: int,
           phases: dict[str, float]) -> None:
    """Count what the pass applied and set the gauges; every known label is set, zeros included."""
    for kind in ASSIGN_KINDS:
        if report.assigned_by_kind[kind]:
            metrics.ROUTE_ASSIGNMENTS.labels(kind=kind).inc(report.assigned_by_kind[kind])
    for kind in RELEASE_KINDS:
        if report.released_by_kind[kind]:
            metrics.ROUTE_RELEASES.labels(reason=kind).inc(report.released_by_kind[kind])
    if report.pages:
        metrics.ROUTE_PAGES.inc(report.pages)
    for kind in WAITING_KINDS:
        metrics.ROUTE_WAITING.labels(kind=kind).set(report.waiting_by_kind[kind])
    metrics.COVERAGE_GAPS_OPEN.set(gaps_open)
    for limit, count in near_limits(snapshot, rules).items():
        metrics.STAFF_NEAR_LIMIT.labels(limit=limit.replace(" ", "_")).set(count)  # no spaces in labels
    for person in snapshot.people:
        metrics.STAFF_HOURS_WEEK.labels(staff_id=person.id).set(round(person.hours_week, 3))
        metrics.STAFF_HOURS_TODAY.labels(staff_id=person.id).set(round(person.hours_today, 3))
        metrics.STAFF_PAGES_WEEK.labels(staff_id=person.id).set(person.pages_week)
    for limit, value in (("daily_hours", rules.max_hours_per_day),
                         ("weekly_hours", rules.max_hours_per_week), ("weekly_pages", rules.pages_per_week)):
        metrics.STAFF_LIMIT.labels(limit=limit).set(value)
    for phase, seconds in phases.items():
        metrics.ROUTE_SECONDS.labels(phase=phase).observe(seconds)
