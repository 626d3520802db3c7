"""Oversight pages: the team board and the audit log (leads), my week (agents), relationship health."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from triage.api.deps import LeadDep, ServicesDep, SessionDep, UserDep, csrf_token
from triage.api.routes.pages import templates
from triage.platform import audit
from triage.reports import health
from triage.scheduling import team_board
from triage.scheduling.staffing import current_rules

router = APIRouter(include_in_schema=False)
AUDIT_PER_PAGE = 50
MAX_PAGE = 100_000


def _page(request: Request, name: str, user, status: int = 200, **ctx: Any) -> Response:
    return templates.TemplateResponse(request, name, {"user": user, "csrf": csrf_token(request), **ctx},
                                      status_code=status)


@router.get("/board", response_class=HTMLResponse)
def board_page(request: Request, services: ServicesDep, session: SessionDep, user: LeadDep) -> Response:
    """Who is on shift now in their own time, load against capacity, hours, pages, gaps ahead."""
    return _page(request, "board.html", user, **team_board.team_board(session=session,
                                                                      now=services.clock.now()))


@router.get("/my-week", response_class=HTMLResponse)
def my_week_page(request: Request, services: ServicesDep, session: SessionDep, user: UserDep) -> Response:
    """The signed-in person's week: shifts, hours against the limits, breaks, pages and on call."""
    if user.staff_id is None:
        return _page(request, "my_week.html", user, linked=False)
    return _page(request, "my_week.html", user, linked=True,
                 **team_board.my_week(session=session, staff_id=user.staff_id, now=services.clock.now()))


def _day(raw: str | None, zone: ZoneInfo, field: str, errors: list[str]) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.combine(date.fromisoformat(raw[:10]), datetime.min.time(), zone)
    except ValueError:
        errors.append(f"{field} must be a date as YYYY-MM-DD, got {raw[:20]!r}")
        return None


def _page_number(raw: str | None) -> int:
    try:
        return min(max(int(str(raw or "1")[:7]), 1), MAX_PAGE)
    except ValueError:
        return 1


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep, user: LeadDep, actor: str | None = None,
               action: str | None = None, since: str | None = None, until: str | None = None,
               page: str | None = None) -> Response:
    """The audit journal, newest first, filtered by who, what and when (days in team time)."""
    zone = ZoneInfo(current_rules(session=session).team_timezone)
    errors: list[str] = []
    start, end = _day(since, zone, "from", errors), _day(until, zone, "to", errors)
    flt = audit.AuditFilter(actor=(actor or "").strip()[:64] or None,
                            action=(action or "").strip()[:64] or None,
                            since=start, until=end + timedelta(days=1) if end else None,
                            page=_page_number(page), per_page=AUDIT_PER_PAGE)
    rows, total = audit.search(session=session, flt=flt)
    pages = max(1, -(-total // AUDIT_PER_PAGE))
    keep = {"actor": flt.actor, "action": flt.action, "since": since if start else None,
            "until": until if end else None}

    def page_url(number: int) -> str:
        return "/audit?" + urlencode({k: v for k, v in {**keep, "page": number}.items() if v})

    actors, actions = audit.choices(session=session)
    entries = [{"at": r.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), "actor": r.actor, "action": r.action,
                "entity": r.entity, "entity_id": r.entity_id,
                "detail": json.dumps(r.detail, sort_keys=True, default=str)[:400]} for r in rows]
    return _page(request, "audit.html", user, status=422 if errors else 200, entries=entries, total=total,
                 flt=flt, keep=keep, actors=actors, actions=actions, errors=errors, page=flt.page,
                 pages=pages, page_url=page_url, zone=str(zone))


def _weeks(raw: str | None) -> int:
    try:
        return min(max(int(str(raw or health.DEFAULT_WEEKS)[:3]), 1), health.MAX_WEEKS)
    except ValueError:
        return health.DEFAULT_WEEKS


@router.get("/reports/health", response_class=HTMLResponse)
def health_page(request: Request, services: ServicesDep, session: SessionDep, user: LeadDep,
                weeks: str | None = None) -> Response:
    """Relationship health per constituent group and week, with charts; the CSV has the same rows."""
    n = _weeks(weeks)
    context = health.page(session=session, now=services.clock.now(), weeks=n)
    return _page(request, "health.html", user, **context)


@router.get("/reports/health.csv")
def health_csv(services: ServicesDep, session: SessionDep, _user: LeadDep,
               weeks: str | None = None) -> Response:
    n = _weeks(weeks)
    body = health.csv_text(session=session, now=services.clock.now(), weeks=n)
    return Response(body, media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="relationship-health-{n}w.csv"'})
