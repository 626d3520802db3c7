"""Staff, shifts, staffing rules, roster and hours over JSON (scheduler issue); pages live alongside."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from triage.api.deps import LeadDep, ServicesDep, SessionDep, UserDep
from triage.api.routes import scheduling_pages, scheduling_time
from triage.core.errors import Forbidden
from triage.scheduling import breaks as breaks_service
from triage.scheduling import hours as hours_service
from triage.scheduling import roster as roster_service
from triage.scheduling import routing, staffing, team
from triage.scheduling.domain.errors import RuleConflict, SchedulingError
from triage.scheduling.domain.rules import rules_as_dict

router = APIRouter(tags=["scheduling"])
router.include_router(scheduling_pages.router)
router.include_router(scheduling_time.router)


@contextmanager
def unprocessable() -> Iterator[None]:
    """Scheduling errors become a 422 that names the field or the conflicting rules."""
    try:
        yield
    except SchedulingError as exc:
        detail: dict[str, Any] = {"message": str(exc)}
        if isinstance(exc, RuleConflict):
            detail["conflicts"] = exc.conflicts
        raise HTTPException(status_code=422, detail=detail) from None


class SkillsIn(BaseModel):
    channels: list[str] = []
    languages: list[str] = []
    topics: list[str] = []


class StaffCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    email: str | None = Field(default=None, max_length=320)
    team: str | None = Field(default=None, max_length=64)
    timezone: str = "UTC"
    skills: SkillsIn = SkillsIn()
    contract_hours: float = 40.0
    on_call: bool = False
    username: str | None = Field(default=None, description="link this login to the staff member")


class StaffUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    email: str | None = None
    team: str | None = None
    timezone: str | None = None
    skills: SkillsIn | None = None
    contract_hours: float | None = None
    on_call: bool | None = None
    active: bool | None = None
    username: str | None = None


class SpanIn(BaseModel):
    start: datetime
    end: datetime


class ShiftCreate(SpanIn):
    kind: Literal["regular", "on_call"] = "regular"


class TimeOffCreate(SpanIn):
    reason: str | None = Field(default=None, max_length=256)


class RulesPut(BaseModel):
    rules: dict[str, Any] = Field(description="rules to change; the others keep their value")
    templates: list[dict[str, Any]] | None = Field(default=None, description="shift templates")
    note: str | None = Field(default=None, max_length=2000)


def _logins(session) -> dict[int, str]:
    return team.logins(session=session)


def _own_or_lead(user, staff_id: int) -> None:
    if user.role not in ("lead", "admin") and user.staff_id != staff_id:
        raise Forbidden("agents can read only their own staff record")


_span = team.span_public


@router.get("/api/staff")
def list_staff(session: SessionDep, user: UserDep) -> dict:
    """Leads see the whole team; an agent sees their own record."""
    logins = _logins(session)
    return {"staff": [staffing.staff_public(s, logins.get(s.id))
                      for s in staffing.staff_for_user(session=session, user=user)]}


@router.post("/api/staff", status_code=201)
def create_staff(body: StaffCreate, services: ServicesDep, session: SessionDep, user: LeadDep) -> dict:
    with unprocessable():
        row = staffing.create_staff(session=session, data=body.model_dump(), actor=user.username,
                                    now=services.clock.now())
    session.commit()
    return staffing.staff_public(row, _logins(session).get(row.id))


@router.get("/api/staff/{staff_id}")
def get_staff(staff_id: int, session: SessionDep, user: UserDep) -> dict:
    _own_or_lead(user, staff_id)
    return staffing.staff_public(team.get_staff(session=session, staff_id=staff_id),
                                 _logins(session).get(staff_id))


@router.patch("/api/staff/{staff_id}")
def update_staff(staff_id: int, body: StaffUpdate, services: ServicesDep, session: SessionDep,
                 user: LeadDep) -> dict:
    with unprocessable():
        row = staffing.update_staff(session=session, staff_id=staff_id, actor=user.username,
                                    changes=body.model_dump(exclude_unset=True), now=services.clock.now())
    session.commit()
    return staffing.staff_public(row, _logins(session).get(row.id))


@router.get("/api/staff/{staff_id}/shifts")
def list_shifts(staff_id: int, session: SessionDep, user: UserDep, start: datetime, end: datetime) -> dict:
    """Shifts and time off of one person touching [start, end)."""
    _own_or_lead(user, staff_id)
    team.get_staff(session=session, staff_id=staff_id)
    return {"shifts": [_span(r) for r in team.shifts_between(session=session, start=start, end=end,
                                                             staff_ids=[staff_id])],
            "time_off": [_span(r) for r in team.time_off_between(session=session, start=start, end=end,
                                                                 staff_ids=[staff_id])]}


@router.post("/api/staff/{staff_id}/shifts", status_code=201)
def add_shift(staff_id: int, body: ShiftCreate, services: ServicesDep, session: SessionDep,
              _user: LeadDep) -> dict:
    with unprocessable():
        row = staffing.add_shift(session=session, staff_id=staff_id, start=body.start, end=body.end,
                                 kind=body.kind)
    session.commit()
    routing.request_pass(services.redis, retries=services.settings.job_retries)
    return _span(row)


@router.delete("/api/shifts/{shift_id}", status_code=204)
def delete_shift(shift_id: int, session: SessionDep, _user: LeadDep) -> None:
    team.delete_shift(session=session, shift_id=shift_id)
    session.commit()


@router.post("/api/staff/{staff_id}/time-off", status_code=201)
def add_time_off(staff_id: int, body: TimeOffCreate, session: SessionDep, _user: LeadDep) -> dict:
    with unprocessable():
        row = staffing.add_time_off(session=session, staff_id=staff_id, start=body.start, end=body.end,
                                    reason=body.reason)
    session.commit()
    return _span(row)


def _rules_public(session) -> dict:
    rules, templates, row = staffing.current_rule_set(session=session)
    return {"version": row.version if row else 0, "rules": rules_as_dict(rules),
            "templates": [{"name": x.name, "start": x.start.strftime("%H:%M"), "hours": x.hours}
                          for x in templates],
            "set_by": row.created_by if row else None,
            "set_at": row.created_at.isoformat() if row else None}


@router.get("/api/rules")
def get_rules(session: SessionDep, _user: UserDep) -> dict:
    """The staffing rules in force (version 0: the built-in defaults)."""
    return _rules_public(session)


@router.put("/api/rules")
def put_rules(body: RulesPut, services: ServicesDep, session: SessionDep, user: LeadDep) -> dict:
    """A new rule version; 422 names every conflict. Work already in hand stays where it is."""
    with unprocessable():
        staffing.set_rules(session=session, raw=body.rules, templates=body.templates, note=body.note,
                           actor=user.username, now=services.clock.now())
    session.commit()
    routing.request_pass(services.redis, retries=services.settings.job_retries)
    return _rules_public(session)


@router.get("/api/hours")
def hours(services: ServicesDep, session: SessionDep, user: UserDep) -> dict:
    """Each person's hours today and this week against the limits, warnings, and today's breaks."""
    rules, _, _ = staffing.current_rule_set(session=session)
    lead = user.role in ("lead", "admin")
    if not lead and user.staff_id is None:
        return {"people": [], "rules_version": rules.version, "warn_fraction": rules.warn_fraction}
    now = services.clock.now()
    rows = hours_service.hours_report(session=session, rules=rules, now=now,
                                      staff_ids=None if lead else [user.staff_id])
    people = breaks_service.with_breaks([r.as_dict(rules) for r in rows], session=session, rules=rules,
                                        now=now)
    return {"people": people, "rules_version": rules.version, "warn_fraction": rules.warn_fraction}


@router.get("/api/coverage-gaps")
def coverage_gaps(session: SessionDep, _user: LeadDep, unseen: bool = False) -> dict:
    """Work nobody could take within the rules, newest first."""
    return {"gaps": [{"id": g.id, "message_id": g.message_id, "hour": g.hour.isoformat(),
                      "reason": g.reason, "at": g.at.isoformat(), "seen_by": g.seen_by}
                     for g in team.list_gaps(session=session, unseen_only=unseen)]}


@router.post("/api/coverage-gaps/{gap_id}/seen")
def gap_seen(gap_id: int, services: ServicesDep, session: SessionDep, user: LeadDep) -> dict:
    gap = team.mark_gap_seen(session=session, gap_id=gap_id, actor=user.username,
                             now=services.clock.now())
    session.commit()
    return {"id": gap.id, "seen_by": gap.seen_by}


class PlanBody(BaseModel):
    demand: list[int] | None = Field(default=None, min_length=168, max_length=168,
                                     description="people needed per hour of the week; default: history")
    time_limit: float = Field(default=roster_service.DEFAULT_PLAN_SECONDS, gt=0, le=60)


@router.post("/api/roster/plan")
def plan(services: ServicesDep, session: SessionDep, _user: LeadDep, body: PlanBody | None = None) -> dict:
    """Plan next week's roster with OR-Tools; hours it cannot cover within the rules are listed."""
    body = body or PlanBody()
    rules, templates, _ = staffing.current_rule_set(session=session)
    with unprocessable():
        result = roster_service.plan_week(session=session, rules=rules, templates=templates,
                                          now=services.clock.now(), demand=body.demand,
                                          time_limit=body.time_limit)
    roster_service.remember(services.redis, result)
    return result.as_dict()


@router.post("/api/route")
def route_now(services: ServicesDep, _user: LeadDep) -> dict:
    """Run one routing pass now and say what it did."""
    report = routing.run_once(services=services)
    return {"assigned": report.assigned, "waiting": report.waiting, "pages": report.pages,
            "gaps": report.gaps, "releases": report.releases, "rules_version": report.rules_version,
            "skipped": report.skipped, "reasons": report.reasons}
