"""Replies from the inbox out through the message's own channel: JSON for clients, htmx partials."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from triage.api.deps import ServicesDep, SessionDep, UserDep, csrf_token
from triage.api.routes.pages import templates
from triage.core.errors import DomainError
from triage.inbox import service as inbox_service
from triage.replies import outbox, service
from triage.replies.service import Reply
from triage.scheduling.staffing import current_rules

router = APIRouter(tags=["replies"])
MAX_BODY_CHARS = 200_000  # far above any channel's limit; the service names the real one


class ReplyCreate(BaseModel):
    text: str = Field(max_length=MAX_BODY_CHARS)
    defer: bool = Field(False, description="send when business hours next start")
    keep_open: bool = Field(False, description="leave the item open once the reply is sent")


def _public(session: Session, row: Reply, now: datetime) -> dict:
    zone = current_rules(session=session).team_timezone
    return service.serialize(row, now=now, zone=zone)


@router.post("/api/messages/{message_id}/reply", status_code=202)
def reply(message_id: int, body: ReplyCreate, services: ServicesDep, session: SessionDep,
          user: UserDep) -> dict:
    """Queue a reply (or defer it to the morning); 202 with the outbox row."""
    now = services.clock.now()
    row = service.queue_reply(session=session, settings=services.settings, message_id=message_id,
                              user=user, text=body.text, now=now, defer=body.defer,
                              keep_open=body.keep_open)
    session.commit()
    if row.status == "queued":
        outbox.dispatch(services=services, ids=[row.id])
    return _public(session, row, now)


@router.get("/api/messages/{message_id}/replies")
def thread_replies(message_id: int, services: ServicesDep, session: SessionDep,
                   _user: UserDep) -> dict:
    """Every reply into this message's thread, oldest first, with its status."""
    now = services.clock.now()
    rows = service.thread_of(session=session, message_id=message_id)
    return {"replies": [_public(session, r, now) for r in rows]}


@router.post("/api/replies/{reply_id}/retry", status_code=202)
def retry(reply_id: int, services: ServicesDep, session: SessionDep, user: UserDep) -> dict:
    """Send a failed or dead reply again."""
    now = services.clock.now()
    row = service.retry(session=session, reply_id=reply_id, user=user, now=now)
    session.commit()
    outbox.dispatch(services=services, ids=[row.id])
    return _public(session, row, now)


# --- htmx partials for the inbox item (templates/_reply.html) ---

def _partial(request: Request, services, session: Session, message_id: int,
             error: str | None = None, draft: str = "") -> Response:
    now = services.clock.now()
    item = inbox_service.get_item(session=session, item_id=message_id)
    ctx = {"item": {"id": item.id, "status": item.status, "source": item.source},
           "csrf": csrf_token(request),
           "reply_ctx": service.page_context(session=session, messages=[item], now=now),
           "reply_error": error, "reply_draft": draft}
    return templates.TemplateResponse(request, "_reply.html", ctx)


def _answer(request: Request, services, session: Session, message_id: int,
            error: str | None = None, draft: str = "") -> Response:
    if request.headers.get("hx-request"):
        return _partial(request, services, session, message_id, error, draft)
    return RedirectResponse(request.headers.get("referer") or "/inbox", status_code=303)


@router.get("/inbox/{message_id}/replies", response_class=HTMLResponse, include_in_schema=False)
def replies_partial(message_id: int, request: Request, services: ServicesDep,
                    session: SessionDep, _user: UserDep) -> Response:
    return _partial(request, services, session, message_id)


@router.post("/inbox/{message_id}/reply", response_class=HTMLResponse, include_in_schema=False)
async def reply_form(message_id: int, request: Request, services: ServicesDep,
                     session: SessionDep, user: UserDep) -> Response:
    """The reply form: errors come back in the partial with the draft kept."""
    form = await request.form()
    text = str(form.get("text") or "")[:MAX_BODY_CHARS]
    try:
        row = service.queue_reply(session=session, settings=services.settings,
                                  message_id=message_id, user=user, text=text,
                                  now=services.clock.now(), defer=form.get("defer") == "true",
                                  keep_open=form.get("keep_open") == "true")
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _answer(request, services, session, message_id, str(exc), text)
    if row.status == "queued":
        outbox.dispatch(services=services, ids=[row.id])
    return _answer(request, services, session, message_id)


@router.post("/replies/{reply_id}/retry", response_class=HTMLResponse, include_in_schema=False)
def retry_form(reply_id: int, request: Request, services: ServicesDep, session: SessionDep,
               user: UserDep) -> Response:
    message_id = service.message_of(session=session, reply_id=reply_id)
    try:
        service.retry(session=session, reply_id=reply_id, user=user, now=services.clock.now())
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _answer(request, services, session, message_id, str(exc))
    outbox.dispatch(services=services, ids=[reply_id])
    return _answer(request, services, session, message_id)
