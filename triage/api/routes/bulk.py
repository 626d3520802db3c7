"""Many items at once from the inbox, a storm answered in one go, and the reply box's counter."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from triage.api.deps import MAX_ID, ItemId, ServicesDep, SessionDep, UserDep, csrf_token
from triage.api.routes.pages import templates
from triage.core.errors import DomainError
from triage.inbox import bulk, live
from triage.inbox import service as inbox_service
from triage.replies import incident_reply, outbox, service

router = APIRouter(tags=["bulk"])
MAX_TEXT = 200_000  # far above any channel's limit; the service names the real one


class BulkBody(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=bulk.MAX_BULK)
    action: Literal["resolve", "snooze", "claim", "release", "assign"]
    minutes: int | None = Field(default=None, gt=0, le=14 * 24 * 60)
    assignee: str | None = Field(default=None, max_length=64, description="username or id")
    note: str | None = Field(default=None, max_length=2000)


class TextBody(BaseModel):
    text: str = Field(max_length=MAX_TEXT)


@router.post("/api/inbox/bulk")
def bulk_action(body: BulkBody, services: ServicesDep, session: SessionDep, user: UserDep) -> dict:
    """One move on many items; each item's result says ok or why not (held by someone, resolved)."""
    ids = [i for i in body.ids if 1 <= i <= MAX_ID]
    now = services.clock.now()
    results = bulk.bulk(session=session, ids=ids, user=user, action=body.action, now=now,
                        snooze_minutes=body.minutes, assignee=body.assignee, note=body.note)
    session.commit()
    moved = [r["id"] for r in results if r["ok"]]
    if moved:
        inbox_service.after_move(services=services, action=body.action)
        for item_id in moved:
            live.item_moved(services.redis, item_id=item_id, action=body.action, by=user.username)
    return {"action": body.action, "done": len(moved), "failed": len(results) - len(moved),
            "results": results}


@router.post("/api/incidents/{incident_id}/reply-all", status_code=202)
def reply_all(incident_id: ItemId, body: TextBody, services: ServicesDep, session: SessionDep,
              user: UserDep) -> dict:
    """One reply into every open thread of a storm, through the outbox, paced per account."""
    result = incident_reply.reply_all(session=session, settings=services.settings,
                                      incident_id=incident_id, user=user, text=body.text,
                                      now=services.clock.now())
    session.commit()
    outbox.dispatch(services=services, ids=result["due_now"])
    return {**result, "progress": incident_reply.progress(session=session,
                                                          incident_id=incident_id)}


@router.get("/api/incidents/{incident_id}/reply-all")
def reply_all_progress(incident_id: ItemId, session: SessionDep, _user: UserDep) -> dict:
    """Queued, sent and failed counts of a storm's replies, and its items still open."""
    return incident_reply.progress(session=session, incident_id=incident_id)


@router.post("/api/messages/{message_id}/reply/length")
def reply_length(message_id: ItemId, body: TextBody, services: ServicesDep, session: SessionDep,
                 _user: UserDep) -> dict:
    """A draft's length as its channel counts it (X weighs URLs and CJK), and the limit."""
    return service.length_of(session=session, settings=services.settings, message_id=message_id,
                             text=body.text)


# --- the storm panel in the conversation (templates/_incident.html) ---

def _panel(request: Request, session, incident_id: int, error: str | None = None,
           draft: str = "", skipped: list | None = None) -> Response:
    return templates.TemplateResponse(request, "_incident.html", {
        "csrf": csrf_token(request), "incident_id": incident_id, "error": error, "draft": draft,
        "skipped": skipped or [],
        "progress": incident_reply.progress(session=session, incident_id=incident_id)})


@router.get("/inbox/incidents/{incident_id}/progress", response_class=HTMLResponse,
            include_in_schema=False)
def incident_panel(incident_id: ItemId, request: Request, session: SessionDep,
                   _user: UserDep) -> Response:
    return _panel(request, session, incident_id)


@router.post("/inbox/incidents/{incident_id}/reply-all", response_class=HTMLResponse,
             include_in_schema=False)
async def incident_reply_form(incident_id: ItemId, request: Request, services: ServicesDep,
                              session: SessionDep, user: UserDep) -> Response:
    text = str((await request.form()).get("text") or "")[:MAX_TEXT]
    try:
        result = incident_reply.reply_all(session=session, settings=services.settings,
                                          incident_id=incident_id, user=user, text=text,
                                          now=services.clock.now())
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _panel(request, session, incident_id, str(exc), text)
    outbox.dispatch(services=services, ids=result["due_now"])
    return _panel(request, session, incident_id, skipped=result["skipped"])
