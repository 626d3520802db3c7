"""What a routing pass counts in the worker that ran it: decisions by reason kind, pages, releases,
phase times. Team facts (hours, limits, load, waits, gaps) are live gauges: see team_figures.py."""

from __future__ import annotations

from collections.abc import Callable

from triage.platform import metrics
from triage.scheduling.domain.snapshot import ASSIGN_KINDS, RELEASE_KINDS, WAIT_KINDS
from triage.scheduling.routing_report import RoutingReport

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


def waiting_counts(report: RoutingReport) -> dict[str, int]:
    """Items the pass left waiting per reason kind, every kind present (zeros included)."""
    return {kind: report.waiting_by_kind[kind] for kind in WAITING_KINDS}


def record(*, report: RoutingReport, phases: dict[str, float]) -> None:
    """Count what the pass applied and how long each phase took."""
    for kind in ASSIGN_KINDS:
        if report.assigned_by_kind[kind]:
            metrics.ROUTE_ASSIGNMENTS.labels(kind=kind).inc(report.assigned_by_kind[kind])
    for kind in RELEASE_KINDS:
        if report.released_by_kind[kind]:
            metrics.ROUTE_RELEASES.labels(reason=kind).inc(report.released_by_kind[kind])
    if report.pages:
        metrics.ROUTE_PAGES.inc(report.pages)
    for phase, seconds in phases.items():
        metrics.ROUTE_SECONDS.labels(phase=phase).observe(seconds)
