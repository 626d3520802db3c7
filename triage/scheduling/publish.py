"""Publishing a planned week: the roster becomes the shift rows the router reads.

A plan is advice until a lead publishes it. Publishing replaces the week's shifts that have not
started yet and never rewrites the past: shifts already worked or in progress stay as they are, and
planned shifts that would start before now or clash with them are refused, each with its reason, as
is an on-call window ending less than three hours before the same person's day shift.
Assignments are never touched here; whoever is left without a shift is handed off by the router's
own release path at the next pass, with a handoff note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from triage.bootstrap import Services
from triage.core.errors import Conflict, DomainError
from triage.platform import metrics
from triage.platform import tables_scheduling as ts
from triage.platform.audit import audit
from triage.platform.db import transaction
from triage.scheduling import roster as roster_service
from triage.scheduling import routing, staffing
from triage.scheduling import store as repo
from triage.scheduling.domain.errors import SchedulingError

LOCK_KEY = "triage:roster:publish:lock"
LOCK_SECONDS = 60  # one publication writes a few hundred rows; two leads at once must not interleave
WEEK = timedelta(weeks=1)
ON_CALL_GAP = timedelta(hours=3)  # an on-call night ending closer than this to a day shift leaves no rest


@dataclass(frozen=True)
class Publication:
    """What publishing did; `skipped` lists each planned shift not written, with why."""

    id: int
    week_start: datetime
    added: int
    removed: int
    kept: int
    skipped: list[dict[str, str]] = field(default_factory=list)
    plan_status: str = ""
    uncovered_total: int = 0
    published_by: str = ""
    published_at: datetime | None = None

    @classmethod
    def of(cls, row: ts.RosterPublication) -> Publication:
        return cls(row.id, row.week_start, row.added, row.removed, row.kept, list(row.skipped),
                   row.plan_status, row.uncovered_total, row.published_by, row.published_at)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "week_start": self.week_start.isoformat(), "added": self.added,
                "removed": self.removed, "kept": self.kept, "skipped": self.skipped,
                "plan_status": self.plan_status, "uncovered_total": self.uncovered_total,
                "published_by": self.published_by,
                "published_at": self.published_at.isoformat() if self.published_at else None}


def _planned(plan: Mapping[str, Any]) -> list[tuple[str, datetime, datetime, str]]:
    rows = [(s["person_id"], s["start"], s["end"], "regular") for s in plan.get("shifts", [])]
    rows += [(w["person_id"], w["start"], w["end"], "on_call") for w in plan.get("on_call", [])]
    return sorted((str(p), datetime.fromisoformat(a), datetime.fromisoformat(b), k) for p, a, b, k in rows)


def _clear_future(session: Session, start: datetime, now: datetime) -> tuple[int, int]:
    """Delete the week's shifts that have not started; returns (removed, kept)."""
    removed = kept = 0
    for row in repo.shifts_between(session=session, start=start, end=start + WEEK):
        if not start <= row.start < start + WEEK:
            continue  # the previous week's night shift running into Monday is not this week's
        if row.start > now:
            session.delete(row)
            removed += 1
        else:
            kept += 1  # worked or in progress: never rewritten
    session.flush()
    return removed, kept


def _rest_clash(session: Session, staff_id: int, start: datetime, end: datetime, who: str,
                min_rest: timedelta) -> str | None:
    """Why a planned shift would cut the rest after or before a shift already there (kept ones)."""
    for other in repo.shifts_between(session=session, start=start - min_rest, end=end + min_rest,
                                     staff_ids=[staff_id]):
        if other.kind == "regular" and (other.end <= start or other.start >= end):
            return (f"{who} would rest less than min_rest ({min_rest / timedelta(hours=1):g} h)"
                    f" next to the shift {other.start:%a %H:%M}..{other.end:%H:%M} already there")
    return None


def _on_call_clash(session: Session, staff_id: int, end: datetime, who: str,
                   planned_starts: list[datetime]) -> str | None:
    """Why an on-call window is refused: it ends less than ON_CALL_GAP before one of their day shifts."""
    starts = [s for s in planned_starts if end <= s < end + ON_CALL_GAP]
    starts += [r.start for r in repo.shifts_between(session=session, start=end, end=end + ON_CALL_GAP,
                                                    staff_ids=[staff_id])
               if r.kind == "regular" and end <= r.start < end + ON_CALL_GAP]
    if not starts:
        return None
    first = min(starts)
    return (f"{who}'s on-call would end {(first - end) / timedelta(hours=1):.1f} h before their shift at"
            f" {first:%a %H:%M}: on-call must end {ON_CALL_GAP / timedelta(hours=1):g} h before a day shift")


def _write(session: Session, planned: list[tuple[str, datetime, datetime, str]], names: Mapping[str, str],
           now: datetime, min_rest: timedelta) -> tuple[int, list[dict[str, str]]]:
    added, skipped = 0, []
    staff = {s.id: s for s in repo.list_staff(session=session, active_only=False)}
    day_starts: dict[str, list[datetime]] = {}
    for pid, start, _, kind in planned:
        if kind == "regular":
            day_starts.setdefault(pid, []).append(start)
    for pid, start, end, kind in planned:
        person = staff.get(int(pid))
        who = person.name if person else names.get(pid, pid)
        reason = "starts before publishing: the plan cannot change the past" if start <= now else None
        if reason is None:
            try:
                if person is None or not person.active:
                    raise SchedulingError(f"{who} is no longer on the active staff")
                clash = (_rest_clash(session, int(pid), start, end, who, min_rest) if kind == "regular"
                         else _on_call_clash(session, int(pid), end, who, day_starts.get(pid, [])))
                if clash:
                    raise SchedulingError(clash)
                staffing.add_shift(session=session, staff_id=int(pid), start=start, end=end, kind=kind)
                added += 1
                continue
            except (SchedulingError, DomainError, ValueError) as exc:
                reason = str(exc)
        skipped.append({"person": who, "kind": kind, "start": start.isoformat(), "reason": reason})
    return added, skipped


def publish_plan(*, session: Session, plan: Mapping[str, Any], actor: str, now: datetime) -> Publication:
    """Turn a plan (PlanResult.as_dict()) into shift rows for its week; audited."""
    start = datetime.fromisoformat(plan["week_start"])
    if start + WEEK <= now:
        raise Conflict(f"the planned week of {start:%d %b %Y} is over; plan again before publishing")
    rules, _, rule_row = staffing.current_rule_set(session=session)
    rules_version = rule_row.version if rule_row else 0
    removed, kept = _clear_future(session, start, now)
    added, skipped = _write(session, _planned(plan), plan.get("names", {}), now, rules.min_rest)
    row = ts.RosterPublication(week_start=start, published_by=actor, published_at=now,
                               rules_version=rules_version, plan_status=str(plan.get("status", "")),
                               added=added, removed=removed, kept=kept, skipped=skipped,
                               uncovered_total=int(plan.get("uncovered_total", 0)))
    session.add(row)
    session.flush()
    audit(session=session, actor=actor, action="roster.publish", entity="roster", entity_id=row.id,
          detail={"week_start": start.isoformat(), "added": added, "removed": removed, "kept": kept,
                  "skipped": skipped, "rules_version": rules_version}, now=now)
    return Publication.of(row)


def publish(*, services: Services, plan: Mapping[str, Any] | None, actor: str) -> Publication:
    """Publish `plan` (default: the last plan made) under a lock, then ask the router for a pass."""
    plan = plan or roster_service.last_plan(services.redis)
    if not plan:
        raise Conflict("no plan to publish: plan the week first")
    lock = services.redis.lock(LOCK_KEY, timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS)
    with lock, transaction(services.db) as session:
        result = publish_plan(session=session, plan=plan, actor=actor, now=services.clock.now())
    metrics.ROSTER_PUBLISHED.inc(result.added)
    routing.request_pass(services.redis, retries=services.settings.job_retries)
    return result
