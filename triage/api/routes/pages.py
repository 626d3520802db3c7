"""Server-rendered pages: sign-in and the prioritized inbox, worked with htmx."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from triage.accounts import store as users_repo
from triage.api.browser_safety import safe_url
from triage.api.deps import ServicesDep, SessionDep, UserDep, _check_csrf, csrf_token
from triage.core.errors import DomainError
from triage.core.scoring import INTENTS, TIERS, URGENCIES
from triage.inbox import service as inbox_service
from triage.inbox import store as repo
from triage.pipeline import SCORER_STATUS_KEY
from triage.platform.audit import audit
from triage.replies import service as reply_service
from triage.scoring.storms import current_spikes

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
templates.env.filters["safe_url"] = safe_url  # every href built from message or author data
router = APIRouter(include_in_schema=False)
PER_PAGE = 50


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", {"csrf": csrf_token(request),
                                                              "error": None})


@router.post("/login")
async def login(request: Request, services: ServicesDep, session: SessionDep,
                username: str = Form(...), password: str = Form(...)) -> Response:
    await _check_csrf(request)
    user = users_repo.authenticate(session=session, username=username, password=password)
    now = services.clock.now()
    if user is None:
        audit(session=session, actor=username[:64], action="login.failed", entity="user", now=now)
        session.commit()
        return templates.TemplateResponse(request, "login.html", {
            "csrf": csrf_token(request), "error": "Wrong username or password."}, status_code=401)
    request.session.clear()  # a fresh session on sign-in: no fixation
    request.session["user_id"] = user.id
    audit(session=session, actor=user.username, action="login", entity="user", entity_id=user.id,
          now=now)
    session.commit()
    return RedirectResponse("/inbox", status_code=303)


@router.post("/logout")
async def logout(request: Request, _user: UserDep) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _banner(services) -> str | None:
    status = services.redis.get(SCORER_STATUS_KEY)
    if status and json.loads(status).get("model", "").startswith("rules"):
        return "The learned model is not loaded: messages are ranked by keyword rules for now."
    return None


def _page_number(raw: str | None, limit: int = 100_000) -> int:
    """A page number from a query string: junk or out of range falls back to the nearest page."""
    try:
        return min(max(int(str(raw or "1")[:7]), 1), limit)
    except ValueError:
        return 1


def _query(**params: object) -> str:
    """A query string without empty values (an empty `mine=` once broke the pager)."""
    return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "", False)})


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, services: ServicesDep, session: SessionDep, user: UserDep,
               status: str = "active", source: str | None = None, urgency: str | None = None,
               mine: str | None = None, page: str | None = None) -> Response:
    now = services.clock.now()
    only_mine = (mine or "").lower() in ("true", "1", "on", "yes")
    flt = repo.InboxFilter(status=status, source=source or None, urgency=urgency or None,
                           assignee_id=user.id if only_mine else None, page=_page_number(page),
                           per_page=PER_PAGE)
    rows, total = repo.list_items(session=session, flt=flt, now=now)
    pages = max(1, -(-total // PER_PAGE))
    if flt.page > pages:  # past the end (an old link, a hand-typed number): show the last page
        flt = replace(flt, page=pages)
        rows, total = repo.list_items(session=session, flt=flt, now=now)

    def page_url(number: int) -> str:
        return _query(status=flt.status, urgency=flt.urgency, source=flt.source,
                      mine="true" if only_mine else None, page=number)

    ctx = {
        "user": user, "csrf": csrf_token(request), "items": [inbox_service.serialize(r, now) for r in rows],
        "total": total, "flt": flt, "mine": only_mine, "urgencies": URGENCIES, "intents": INTENTS,
        "tiers": TIERS, "sources": sorted(services.settings.sources), "banner": _banner(services),
        "spikes": current_spikes(services.redis),
        "reply_ctx": reply_service.page_context(session=session, messages=rows, now=now),
        "pages": pages, "page_url": page_url,
    }
    return templates.TemplateResponse(request, "inbox.html", ctx)


@router.post("/inbox/{item_id}/{action}", response_class=HTMLResponse)
async def inbox_action(item_id: int, action: str, request: Request, services: ServicesDep,
                       session: SessionDep, user: UserDep) -> Response:
    """A form or htmx post; htmx gets the updated row back, a plain form a redirect."""
    form = await request.form()
    now = services.clock.now()
    error = None
    try:
        if action == "correct":
            inbox_service.correct(session=session, item_id=item_id, user=user,
                                  field=str(form.get("field")), value=str(form.get("value")), now=now)
        else:
            minutes = int(form["minutes"]) if str(form.get("minutes", "")).isdigit() else None
            note = str(form.get("note") or "").strip() or None  # a lead's reason to go past a limit
            inbox_service.act(session=session, item_id=item_id, user=user, action=action, now=now,
                              snooze_minutes=minutes, note=note)
        session.commit()
        inbox_service.after_move(services=services, action=action)
    except DomainError as exc:
        session.rollback()
        error = str(exc)
    if request.headers.get("hx-request"):
        row = repo.get_item(session=session, item_id=item_id)
        return templates.TemplateResponse(request, "_item.html", {
            "item": inbox_service.serialize(row, now), "csrf": csrf_token(request), "user": user,
            "urgencies": URGENCIES, "intents": INTENTS, "tiers": TIERS, "error": error},
            status_code=200)
    return RedirectResponse(request.headers.get("referer") or "/inbox", status_code=303)
