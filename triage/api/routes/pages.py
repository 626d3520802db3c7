"""Server-rendered pages: sign-in and the prioritized inbox, worked with htmx."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from triage.api.deps import ServicesDep, SessionDep, UserDep, _check_csrf, csrf_token
from triage.domain.errors import DomainError
from triage.domain.scoring import INTENTS, TIERS, URGENCIES
from triage.services import inbox as inbox_service
from triage.services import replies as reply_service
from triage.services.pipeline import SCORER_STATUS_KEY
from triage.services.storms import current_spikes
from triage.storage import inbox as repo
from triage.storage import users as users_repo
from triage.storage.inbox import audit

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
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


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, services: ServicesDep, session: SessionDep, user: UserDep,
               status: str = "active", source: str | None = None, urgency: str | None = None,
               mine: bool = False, page: int = 1) -> Response:
    now = services.clock.now()
    flt = repo.InboxFilter(status=status, source=source or None, urgency=urgency or None,
                           assignee_id=user.id if mine else None, page=max(page, 1),
                           per_page=PER_PAGE)
    rows, total = repo.list_items(session=session, flt=flt, now=now)
    ctx = {
        "user": user, "csrf": csrf_token(request), "items": [inbox_service.serialize(r, now) for r in rows],
        "total": total, "flt": flt, "mine": mine, "urgencies": URGENCIES, "intents": INTENTS,
        "tiers": TIERS, "sources": sorted(services.settings.sources), "banner": _banner(services),
        "spikes": current_spikes(services.redis),
        "reply_ctx": reply_service.page_context(session=session, messages=rows, now=now),
        "pages": max(1, -(-total // PER_PAGE)),
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
