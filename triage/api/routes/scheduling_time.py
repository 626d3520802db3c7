"""Breaks and roster publishing over JSON and from the pages (hours page, roster page)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from triage.accounts.service import User
from triage.api.deps import LeadDep, ServicesDep, SessionDep, UserDep
from triage.core.errors import DomainError, Invalid
from triage.scheduling import breaks as breaks_service
from triage.scheduling import publish as publish_service
from triage.scheduling import roster as roster_service
from triage.scheduling import routing, staffing

router = APIRouter(tags=["scheduling"])


class BreakIn(BaseModel):
    minutes: int | None = Field(default=None, ge=1, le=120, description="default: the rules' break_length")


def _staff_id(user: User) -> int:
    if user.staff_id is None:
        raise Invalid("your login is not linked to a staff record, so there is no break to log")
    return user.staff_id


def _take(services, session, user: User, minutes: int | None) -> dict:
    rules, _, _ = staffing.current_rule_set(session=session)
    row = breaks_service.take_break(session=session, staff_id=_staff_id(user), actor=user.username,
                                    now=services.clock.now(), rules=rules, minutes=minutes)
    session.commit()
    return {"staff_id": row.staff_id, "start": row.start.isoformat(), "end": row.end.isoformat()}


def _end(services, session, user: User) -> dict:
    row = breaks_service.end_break(session=session, staff_id=_staff_id(user), now=services.clock.now())
    session.commit()
    routing.request_pass(services.redis, retries=services.settings.job_retries)  # back: work may flow
    return {"staff_id": row.staff_id, "start": row.start.isoformat(), "end": row.end.isoformat()}


@router.post("/api/breaks", status_code=201)
def take_break(services: ServicesDep, session: SessionDep, user: UserDep,
               body: BreakIn | None = None) -> dict:
    """Start a break now: no new assignments reach you until it ends (409 if already on one)."""
    return _take(services, session, user, (body or BreakIn()).minutes)


@router.post("/api/breaks/end")
def end_break(services: ServicesDep, session: SessionDep, user: UserDep) -> dict:
    """Come back early; a break shorter than the rules' break_length does not reset the break rule."""
    return _end(services, session, user)


@router.post("/api/roster/publish")
def publish(services: ServicesDep, _session: SessionDep, user: LeadDep) -> dict:
    """Turn the last plan into the week's shifts; past and running shifts are kept, refusals listed."""
    return publish_service.publish(services=services, plan=None, actor=user.username).as_dict()


@router.post("/hours/break")
def hours_break(services: ServicesDep, session: SessionDep, user: UserDep) -> Response:
    try:
        _take(services, session, user, None)
    except DomainError:
        session.rollback()  # already on a break (a double click): the page shows the break
    return RedirectResponse("/hours", status_code=303)


@router.post("/hours/break/end")
def hours_break_end(services: ServicesDep, session: SessionDep, user: UserDep) -> Response:
    try:
        _end(services, session, user)
    except DomainError:
        session.rollback()
    return RedirectResponse("/hours", status_code=303)


@router.post("/roster/publish")
def roster_publish(request: Request, services: ServicesDep, session: SessionDep, user: LeadDep) -> Response:
    """The roster page's publish button; the page then shows the published week and any refusals."""
    try:
        done = publish_service.publish(services=services, plan=None, actor=user.username)
    except DomainError as exc:
        request.session["roster_error"] = str(exc)
        return RedirectResponse("/roster", status_code=303)
    rules, _, _ = staffing.current_rule_set(session=session)
    this_week = roster_service.week_start(services.clock.now(), rules.team_timezone)
    offset = round((done.week_start - this_week) / timedelta(weeks=1))
    return RedirectResponse(f"/roster?week={offset}", status_code=303)
