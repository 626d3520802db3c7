"""The inbox workspace: a dense list of a saved view beside one conversation, worked with htmx.

Every item has its own URL (/inbox/{id}); the list keeps the view, search and page in its links,
so Back and a shared link land where they were.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from triage.accounts import service as accounts
from triage.api.deps import ItemId, ServicesDep, SessionDep, UserDep, csrf_token, session_store
from triage.api.routes.pages import templates
from triage.core.errors import DomainError, Invalid
from triage.core.scoring import INTENTS, TIERS, URGENCIES
from triage.inbox import live, views
from triage.inbox import service as inbox_service
from triage.pipeline import SCORER_STATUS_KEY
from triage.replies import service as reply_service
from triage.scheduling import breaks
from triage.scheduling.domain.team_view import clock
from triage.scheduling.staffing import current_rules
from triage.scoring.storms import current_spikes

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
STATUSES = ("active", "open", "claimed", "snoozed", "resolved", "all")


def _banner(services) -> str | None:
    status = services.redis.get(SCORER_STATUS_KEY)
    if status and json.loads(status).get("model", "").startswith("rules"):
        return "The learned model is not loaded: messages are ranked by keyword rules for now."
    return None


def _break_until(session, user, now) -> str | None:
    """"On a break until 14:30" for the signed-in person, in the team's time."""
    until = breaks.current_break_end(session=session, staff_id=user.staff_id, now=now)
    return clock(until, current_rules(session=session).team_timezone, "%H:%M") if until else None


def _page_number(raw: str | None, limit: int = 100_000) -> int:
    """A page number from a query string: junk or out of range falls back to the nearest page."""
    try:
        return min(max(int(str(raw or "1")[:7]), 1), limit)
    except ValueError:
        return 1


def _query(**params: object) -> str:
    """A query string without empty values (an empty `mine=` once broke the pager)."""
    kept = {k: v for k, v in params.items() if v not in (None, "", False)}
    return "?" + urlencode(kept) if kept else ""


def _list_context(request: Request, services, session, user, params) -> dict:
    """The list pane: the view's filter, its page of items, the views' counts and the pager."""
    now = services.clock.now()
    view = params.get("view") or ("mine" if (params.get("mine") or "").lower()
                                  in ("true", "1", "on", "yes") else "all")
    status = params.get("status") or "active"
    if status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}")
    base = views.InboxFilter(status=status, source=params.get("source") or None,
                       urgency=params.get("urgency") or None, q=(params.get("q") or "").strip() or None,
                       page=_page_number(params.get("page")), per_page=PER_PAGE)
    flt = views.view_filter(view, user_id=user.id, base=base)
    counts = views.view_counts(session=session, user_id=user.id, now=now)
    rows, items, total, flt = views.list_page(
        session=session, flt=flt, now=now, total=views.known_total(view, base=base, counts=counts))
    keep = {"view": None if view == "all" else view, "status": None if status == "active" else status,
            "urgency": base.urgency, "source": base.source, "q": base.q}

    def page_url(number: int) -> str:
        return _query(**keep, page=number)

    return {
        "user": user, "csrf": csrf_token(request), "items": items, "rows": rows, "total": total,
        "flt": flt, "base": base, "view": view, "views": views.VIEWS, "status": status,
        "counts": counts,
        "urgencies": URGENCIES, "intents": INTENTS, "tiers": TIERS,
        "sources": sorted(services.settings.sources), "banner": _banner(services),
        "on_break_until": _break_until(session, user, now),
        "spikes": current_spikes(services.redis), "pages": max(1, -(-total // PER_PAGE)),
        "page_url": page_url, "keep": _query(**keep, page=flt.page if flt.page > 1 else None),
        "view_url": lambda name: _query(view=None if name == "all" else name, q=base.q),
    }


@router.get("/inbox/live")
async def live_events(request: Request, services: ServicesDep, session: SessionDep,
                      user: UserDep) -> StreamingResponse:
    """Server-sent events for this reader's role: what it missed (Last-Event-ID), then live ones."""
    # The request's session would hold its pooled connection until the stream ends (300 s): 16
    # open tabs emptied the pool and every page waited. The stream needs Redis only.
    session.close()
    events = live.stream(services.redis, role=user.role, signed_in=_still_signed_in(request, services, user),
                         last_event_id=request.headers.get("last-event-id")  # the browser's retry
                         or request.query_params.get("last_event_id"))  # the page's own retry
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _still_signed_in(request: Request, services, user) -> Callable[[], bool]:
    """What the open stream re-checks every live.RECHECK seconds: sign-out, deactivation and a
    revoked token all end it (a token was once checked only at connect, so a stream outlived its
    revocation by up to live.LIFETIME)."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):  # how current_user chose too
        token = auth[7:].strip()

        def token_alive() -> bool:
            with services.db() as session:  # a short one: the stream holds no connection between
                found = accounts.user_for_token(db=services.db, conn=services.redis, session=session,
                                                token=token, now=services.clock.now())
                return found is not None and found.id == user.id and found.active
        return token_alive
    sid, store = request.session.get("sid"), session_store(services)
    return lambda: store.user_id(sid) == user.id


@router.get("/inbox/counts")
def counts(services: ServicesDep, session: SessionDep, user: UserDep) -> JSONResponse:
    """The saved views' counts and who is on which item, for the live page."""
    return JSONResponse({"counts": views.view_counts(session=session, user_id=user.id,
                                                     now=services.clock.now())})


@router.get("/inbox/{item_id}/row", response_class=HTMLResponse)
def item_row(item_id: ItemId, request: Request, services: ServicesDep, session: SessionDep,
             user: UserDep) -> Response:
    """One list row, for a live update in place."""
    item = views.item_view(session=session, item_id=item_id, now=services.clock.now())
    return templates.TemplateResponse(request, "_item.html", {
        "item": item, "csrf": csrf_token(request), "user": user, "keep": "",
        "present": live.presence(services.redis, item_id=item_id)})


@router.post("/inbox/{item_id}/presence")
async def item_presence(item_id: ItemId, request: Request, services: ServicesDep,
                        session: SessionDep, user: UserDep) -> JSONResponse:
    """A heartbeat from an open conversation: viewing, replying, or left."""
    state = str((await request.form()).get("state") or "")
    if state not in live.PRESENCE_STATES:
        raise Invalid(f"state must be one of {', '.join(live.PRESENCE_STATES)}")
    views.item_view(session=session, item_id=item_id, now=services.clock.now())  # 404 if none
    return JSONResponse({"present": live.set_presence(services.redis, item_id=item_id,
                                                      user=user.username, state=state)})


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, services: ServicesDep, session: SessionDep,
               user: UserDep) -> Response:
    """The workspace on a view; the detail pane shows its top item."""
    try:
        ctx = _list_context(request, services, session, user, request.query_params)
    except DomainError as exc:
        return templates.TemplateResponse(request, "inbox_error.html", {
            "user": user, "csrf": csrf_token(request), "error": str(exc)}, status_code=422)
    selected = ctx["items"][0]["id"] if ctx["items"] else None
    return _workspace(request, services, session, ctx, selected)


@router.get("/inbox/{item_id}", response_class=HTMLResponse)
def item_page(item_id: ItemId, request: Request, services: ServicesDep, session: SessionDep,
              user: UserDep) -> Response:
    """One conversation beside the list it was opened from; htmx asks for the pane alone."""
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "detail":
        return _detail(request, services, session, user, item_id)
    try:
        ctx = _list_context(request, services, session, user, request.query_params)
    except DomainError as exc:
        return templates.TemplateResponse(request, "inbox_error.html", {
            "user": user, "csrf": csrf_token(request), "error": str(exc)}, status_code=422)
    return _workspace(request, services, session, ctx, item_id)


def _workspace(request, services, session, ctx, selected: int | None) -> Response:
    now = services.clock.now()
    ctx["selected"] = selected
    ctx["detail"] = (views.conversation(session=session, item_id=selected, now=now)
                     if selected is not None else None)
    shown = ctx["rows"] + (ctx["detail"]["rows"] if ctx["detail"] else [])
    ctx["reply_ctx"] = reply_service.page_context(session=session, messages=shown, now=now)
    return templates.TemplateResponse(request, "inbox.html", ctx)


def _detail(request, services, session, user, item_id: int, error: str | None = None,
            row_too: bool = False) -> Response:
    now = services.clock.now()
    detail = views.conversation(session=session, item_id=item_id, now=now)
    return templates.TemplateResponse(request, "_detail.html", {
        "user": user, "csrf": csrf_token(request), "detail": detail, "error": error,
        "item": detail["item"], "keep": request.query_params.get("keep", ""), "oob_row": row_too,
        "reply_ctx": reply_service.page_context(session=session, messages=detail["rows"], now=now),
        "urgencies": URGENCIES, "intents": INTENTS, "tiers": TIERS})


@router.post("/inbox/{item_id}/{action}", response_class=HTMLResponse)
async def inbox_action(item_id: ItemId, action: str, request: Request, services: ServicesDep,
                       session: SessionDep, user: UserDep) -> Response:
    """A form or htmx post; htmx gets the row (or the detail pane and the row) back, a form a redirect."""
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
        live.item_moved(services.redis, item_id=item_id, action=action, by=user.username)
    except DomainError as exc:
        session.rollback()
        error = str(exc)
    if not request.headers.get("hx-request"):
        return RedirectResponse(request.headers.get("referer") or "/inbox", status_code=303)
    if form.get("pane") == "detail":
        return _detail(request, services, session, user, item_id, error=error, row_too=True)
    item = views.item_view(session=session, item_id=item_id, now=now)
    return templates.TemplateResponse(request, "_item.html", {
        "item": item, "csrf": csrf_token(request), "user": user, "urgencies": URGENCIES,
        "intents": INTENTS, "tiers": TIERS, "error": error, "keep": ""}, status_code=200)
