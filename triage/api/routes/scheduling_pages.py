"""Server-rendered staffing pages: staff and rules (leads), roster with a coverage heatmap, hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from triage.api.deps import LeadDep, ServicesDep, SessionDep, UserDep, csrf_token
from triage.api.routes.pages import templates
from triage.core.errors import DomainError
from triage.scheduling import breaks as breaks_service
from triage.scheduling import hours as hours_service
from triage.scheduling import roster as roster_service
from triage.scheduling import routing, staffing, team, team_board
from triage.scheduling.domain import rule_form
from triage.scheduling.domain.errors import RuleConflict, SchedulingError
from triage.scheduling.domain.rules import rules_as_dict

router = APIRouter(include_in_schema=False)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _page(request: Request, name: str, user, status: int = 200, **ctx: Any) -> Response:
    return templates.TemplateResponse(request, name, {"user": user, "csrf": csrf_token(request), **ctx},
                                      status_code=status)


def _staff_rows(session, now: datetime) -> list[dict[str, Any]]:
    logins = team.logins(session=session)
    shifts = team.shifts_between(session=session, start=now - timedelta(hours=12),
                                 end=now + timedelta(days=7))
    rows = []
    for s in team.list_staff(session=session, active_only=False):
        mine = [x for x in shifts if x.staff_id == s.id and x.kind == "regular" and x.end > now]
        rows.append({"staff": s, "login": logins.get(s.id), "next": mine[0] if mine else None,
                     "on_shift": bool(mine and mine[0].start <= now),
                     "skills": ", ".join(v for k in ("languages", "channels", "topics")
                                         for v in (s.skills or {}).get(k, []))})
    return rows


def _staff_page(request, services, session, user, *, status: int = 200, values: dict | None = None,
                field_errors: dict[str, list[str]] | None = None, conflicts: list[str] | None = None,
                error: str | None = None) -> Response:
    rules, shapes, row = staffing.current_rule_set(session=session)
    return _page(request, "staff.html", user, status=status, rows=_staff_rows(session, services.clock.now()),
                 values=values or rule_form.display_values(rules_as_dict(rules)), fields=rule_form.FIELDS,
                 sections=rule_form.SECTIONS, weekdays=rule_form.WEEKDAYS, clocks=rule_form.CLOCKS,
                 field_errors=field_errors or {}, version=row.version if row else 0,
                 set_by=row.created_by if row else None, conflicts=conflicts or [], error=error,
                 templates_=shapes, history=team.rule_set_history(session=session, limit=5))


@router.get("/staff", response_class=HTMLResponse)
def staff_page(request: Request, services: ServicesDep, session: SessionDep, user: LeadDep) -> Response:
    return _staff_page(request, services, session, user)


@router.post("/staff/rules", response_class=HTMLResponse)
async def staff_rules(request: Request, services: ServicesDep, session: SessionDep,
                      user: LeadDep) -> Response:
    """The rules form: a new version, or the form again (422) with each problem beside its field."""
    form = await request.form()
    values = {k: [str(v) for v in form.getlist(k)] for k in form}
    current = rules_as_dict(staffing.current_rules(session=session))
    shown = rule_form.typed_values(values, current)
    raw, errors = rule_form.parse_form(values, current)
    if errors:
        return _staff_page(request, services, session, user, status=422, values=shown,
                           field_errors={k: [v] for k, v in errors.items()},
                           conflicts=["some values could not be read: see the fields marked below"])
    try:
        staffing.set_rules(session=session, raw=raw, actor=user.username, now=services.clock.now(),
                           note=str(form.get("note") or "") or None)
    except RuleConflict as exc:
        session.rollback()
        placed, general = rule_form.conflicts_by_field(exc.conflicts)
        return _staff_page(request, services, session, user, status=422, values=shown,
                           field_errors=placed, conflicts=general or ["the rules were not saved: see the"
                                                                      " fields marked below"])
    session.commit()
    routing.request_pass(services.redis, retries=services.settings.job_retries)
    return RedirectResponse("/staff#rules", status_code=303)


@router.post("/staff/new", response_class=HTMLResponse)
async def staff_new(request: Request, services: ServicesDep, session: SessionDep, user: LeadDep) -> Response:
    form = await request.form()
    langs = [x.strip() for x in str(form.get("languages", "")).split(",") if x.strip()]
    try:
        staffing.create_staff(session=session, actor=user.username, now=services.clock.now(), data={
            "name": str(form.get("name", "")), "timezone": str(form.get("timezone") or "UTC"),
            "contract_hours": float(form.get("contract_hours") or 40), "on_call": bool(form.get("on_call")),
            "skills": {"languages": langs}, "username": str(form.get("username") or "") or None})
    except (SchedulingError, DomainError) as exc:
        session.rollback()
        return _staff_page(request, services, session, user, status=422, error=str(exc))
    session.commit()
    return RedirectResponse("/staff", status_code=303)


def heatmap(demand: list[int], planned: list[int]) -> list[dict[str, Any]]:
    """Seven rows of 24 cells: demand vs planned per hour, uncovered hours flagged."""
    top = max([*demand, 1])
    return [{"day": DAYS[d], "cells": [
        {"hour": h, "demand": demand[d * 24 + h], "planned": planned[d * 24 + h],
         "short": max(0, demand[d * 24 + h] - planned[d * 24 + h]),
         "level": round(demand[d * 24 + h] / top, 2)} for h in range(24)]} for d in range(7)]


@router.get("/roster", response_class=HTMLResponse)
def roster_page(request: Request, services: ServicesDep, session: SessionDep, user: LeadDep,
                week: int = 0) -> Response:
    """A week's shifts per person and day (0: this week, 1: next), and demand vs scheduled per hour."""
    now = services.clock.now()
    rules, _, _ = staffing.current_rule_set(session=session)
    offset = max(-4, min(week, 4))
    start = roster_service.week_start(now, rules.team_timezone) + timedelta(weeks=offset)
    demand, source = roster_service.history_demand(session=session, rules=rules, now=now)
    scheduled = roster_service.scheduled_per_hour(session=session, start=start)
    grid = team_board.roster_grid(session=session, start=start, team_zone=rules.team_timezone)
    plan = roster_service.last_plan(services.redis)
    plan_map = None
    if plan:
        planned = plan["planned"].get("*", [0] * 168)
        plan_map = heatmap(plan["demand"], planned)
    published = team.latest_publication(session=session, week_start=start)
    return _page(request, "roster.html", user, week=start, offset=offset, team_zone=rules.team_timezone,
                 max_nights=rules.max_nights_per_4_weeks, days=[
        f"{DAYS[i]} {(start + timedelta(days=i)):%d %b}" for i in range(7)], grid=grid,
        coverage=heatmap(demand, scheduled), source=source, plan=plan, plan_map=plan_map,
        uncovered=sum(max(0, d - p) for d, p in zip(demand, scheduled, strict=False)),
        published=published, publish_error=request.session.pop("roster_error", None))


@router.post("/roster/plan")
async def roster_plan(services: ServicesDep, session: SessionDep, _user: LeadDep) -> Response:
    rules, shapes, _ = staffing.current_rule_set(session=session)
    result = roster_service.plan_week(session=session, rules=rules, templates=shapes,
                                      now=services.clock.now())
    roster_service.remember(services.redis, result)
    return RedirectResponse("/roster", status_code=303)


@router.get("/hours", response_class=HTMLResponse)
def hours_page(request: Request, services: ServicesDep, session: SessionDep, user: UserDep) -> Response:
    """Each person's week against their limits; an agent sees their own, a lead sees everyone."""
    rules, _, _ = staffing.current_rule_set(session=session)
    lead = user.role in ("lead", "admin")
    now = services.clock.now()
    rows = [] if not lead and user.staff_id is None else hours_service.hours_report(
        session=session, rules=rules, now=now, staff_ids=None if lead else [user.staff_id])
    people = breaks_service.with_breaks([{
        **r.as_dict(rules),
        "week_pct": min(100, round(100 * r.week / rules.max_hours_per_week)),
        "day_pct": min(100, round(100 * r.today / rules.max_hours_per_day)),
        "contract_pct": min(100, round(100 * r.contract_hours / rules.max_hours_per_week))}
        for r in rows], session=session, rules=rules, now=now)
    zone = ZoneInfo(rules.team_timezone)
    for p in people:  # times as the team reads them
        p["on_break_hhmm"] = _hhmm(p["on_break_until"], zone)
        for b in p["breaks"]:
            b["from"], b["to"] = _hhmm(b["start"], zone), _hhmm(b["end"], zone)
    mine = next((p for p in people if p["staff_id"] == user.staff_id), None)
    gaps = team.list_gaps(session=session, unseen_only=True) if lead else []
    return _page(request, "hours.html", user, people=people, rules=rules, lead=lead, gaps=gaps[:20],
                 linked=user.staff_id is not None, mine=mine, warn_pct=round(100 * rules.warn_fraction))


def _hhmm(iso: str | None, zone: ZoneInfo) -> str | None:
    return f"{datetime.fromisoformat(iso).astimezone(zone):%H:%M}" if iso else None
