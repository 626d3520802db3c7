"""Outcome figures per policy: SLA per urgency, backlog, hours per person, pages, gaps, breaches."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from triage.core.scoring import URGENCIES
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.sla import sla_deadline
from triage.scheduling.planning.breaches import check_breaches, hours_by_period, zones_of
from triage.scheduling.planning.plan import Plan
from triage.scheduling.planning.roster_model import ANY, WEEK_HOURS
from triage.scheduling.planning.simulate import RunLog
from triage.scheduling.planning.team_figures import continuity, gap_hours_by_skill, utilisation


@dataclass
class Outcome:
    policy: str
    sla: dict[str, float | None]  # share answered within SLA, per urgency; None: no item to judge
    critical_sla_covered: float | None  # critical SLA for arrivals in hours the roster covers
    answered: int
    unanswered: int
    pages: int
    coverage_gaps: int
    breaches: dict[str, int]
    max_week_hours: dict[str, float]
    max_day_hours: dict[str, float]
    after_hours_minutes: float
    seconds: float
    top_wait_reasons: list[tuple[str, int]] = field(default_factory=list)
    sla_counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # (met, judged) per urgency
    # (answered, unanswered) per urgency
    answered_by: dict[str, tuple[int, int]] = field(default_factory=dict)
    deferred: int = 0
    pages_per_person: dict[str, int] = field(default_factory=dict)
    utilisation: dict[str, float] = field(default_factory=dict)  # per person, while work waited
    continuity: tuple[int, int] = (0, 0)  # (follow-ups to the same person, follow-ups handled)
    gap_hours: dict[str, float] = field(default_factory=dict)  # per skill: nobody on shift or on call

    def sla_text(self, urgency: str) -> str:
        """'97.1% (235/242)', or 'n/a (no items)' rather than a flattering 100 %."""
        met, n = self.sla_counts.get(urgency, (0, 0))
        return f"{met / n:.1%} ({met}/{n})" if n else "n/a (no items)"

    @property
    def total_breaches(self) -> int:
        return sum(self.breaches.values())


def covered_hours(log: RunLog, plan: Plan, start: datetime, hours: int) -> list[bool]:
    """True for each hour in which the shifts actually worked meet the planned demand for every skill."""
    seats: dict[str, list[int]] = defaultdict(lambda: [0] * hours)
    tags = {pid: p.staff.tags for pid, p in log.people.items()}
    for r in log.records:
        if r["type"] != "shift":
            continue
        s, e = datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"])
        first, last = int((s - start) / timedelta(hours=1)), int((e - start) / timedelta(hours=1))
        for h in range(max(0, first), min(hours, last)):
            for skill in list(tags[r["person"]]) + [ANY]:
                seats[skill][h] += 1
    out = []
    for h in range(hours):
        week = plan.demand[min(h // WEEK_HOURS, len(plan.demand) - 1)]
        out.append(all(seats[skill][h] >= need[h % WEEK_HOURS] for skill, need in week.items()))
    return out


def _hours_per_person(log: RunLog, team_zone: str) -> tuple[dict[str, float], dict[str, float], float]:
    """Busiest week and day per person (shifts plus off-shift work), and minutes worked off shift."""
    shifts: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    work: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for r in log.records:
        if r["type"] == "shift":
            shifts[r["person"]].append((datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"])))
    after = 0.0
    for r in log.records:
        if r["type"] == "assignment" and r["started"]:
            s = datetime.fromisoformat(r["started"])
            e = datetime.fromisoformat(r.get("worked_until") or r["resolved"] or r["started"])
            work[r["person"]].append((s, e))
            if not any(a <= s and e <= b for a, b in shifts.get(r["person"], ())):
                after += (e - s) / timedelta(minutes=1)
    week_max, day_max, zones = {}, {}, zones_of(log.records, team_zone)
    for pid in set(shifts) | set(work):
        per_day, per_week, _ = hours_by_period(shifts.get(pid, []), work.get(pid, []), zones[pid])
        week_max[pid] = max(per_week.values(), default=0.0)
        day_max[pid] = max(per_day.values(), default=0.0)
    return week_max, day_max, after


def outcome(log: RunLog, plan: Plan, rules: StaffingRules, start: datetime, end: datetime) -> Outcome:
    """Score one policy's run."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    hours = int((end - start) / timedelta(hours=1))
    covered = covered_hours(log, plan, start, hours)
    hit: dict[str, list[int]] = {u: [0, 0] for u in URGENCIES}
    crit_cov = [0, 0]
    for item in log.items:
        a = item.arrival
        due = sla_deadline(received_at=a.at, urgency=a.urgency, rules=rules)
        if due > end and item.started_at is None:
            continue  # still within its SLA when the replay stopped
        ok = item.started_at is not None and item.started_at <= due
        hit[a.urgency][0] += ok
        hit[a.urgency][1] += 1
        h = int((a.at - start) / timedelta(hours=1))
        if a.urgency == "critical" and 0 <= h < hours and covered[h]:
            crit_cov[0] += ok
            crit_cov[1] += 1
    week_max, day_max, after = _hours_per_person(log, rules.team_timezone)
    answered = sum(1 for i in log.items if i.started_at is not None)
    reasons = sorted(log.wait_reasons.items(), key=lambda kv: -kv[1])[:5]
    by_urgency = {u: (sum(1 for i in log.items if i.arrival.urgency == u and i.started_at is not None),
                      sum(1 for i in log.items if i.arrival.urgency == u and i.started_at is None))
                  for u in URGENCIES}
    pages: dict[str, int] = defaultdict(int)
    for r in log.records:
        if r["type"] == "page":
            pages[r["person"]] += 1
    extra = {"sla_counts": {u: (h, n) for u, (h, n) in hit.items()}, "answered_by": by_urgency,
             "deferred": sum(1 for r in log.records if r["type"] == "deferral"),
             "pages_per_person": dict(pages),
             "utilisation": utilisation(log.rostered_waiting, log.busy_waiting),
             "continuity": continuity(log.records), "gap_hours": gap_hours_by_skill(log.records)}
    return Outcome(log.policy, {u: (h / n if n else None) for u, (h, n) in hit.items()},
                   crit_cov[0] / crit_cov[1] if crit_cov[1] else None, answered, len(log.items) - answered,
                   sum(1 for r in log.records if r["type"] == "page"), len(log.gaps),
                   check_breaches(log.records, rules), week_max, day_max, after, log.seconds, reasons,
                   **extra)
