"""The inbox over JSON: list by priority with filters and paging, and the moves on each item."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from triage.accounts import service as accounts
from triage.api.deps import MAX_ID, ItemId, ServicesDep, SessionDep, UserDep
from triage.core.errors import Invalid, NotFound
from triage.core.scoring import URGENCIES
from triage.inbox import service as inbox_service

router = APIRouter(prefix="/api", tags=["inbox"])
MAX_PAGE = 100_000  # 50 million items at the largest page size: past that a number is an attack
MAX_PER_PAGE = 500


class ActionBody(BaseModel):
    minutes: int | None = Field(default=None, gt=0, le=14 * 24 * 60)
    note: str | None = Field(default=None, max_length=2000)


class CorrectionBody(BaseModel):
    field: Literal["urgency", "intent", "tier"]
    value: str


def _assignee_filter(session, assignee: str | None, user) -> tuple[int | None, bool]:
    if assignee in (None, ""):
        return None, False
    if assignee == "none":
        return None, True
    if assignee == "me":
        return user.id, False
    if assignee.isdecimal():
        if len(assignee) > 10 or not 1 <= int(assignee) <= MAX_ID:
            raise Invalid(f"assignee id must be between 1 and {MAX_ID}")
        return int(assignee), False
    found = accounts.find_user(session=session, username=assignee)
    if found is None:
        raise NotFound(f"no user {assignee!r}")
    return found.id, False


@router.get("/inbox")
def list_inbox(
    services: ServicesDep, session: SessionDep, user: UserDep,
    status: Literal["active", "open", "claimed", "snoozed", "resolved", "all"] = "active",
    source: str | None = Query(None, max_length=64),
    urgency: Literal[URGENCIES] | None = None,  # type: ignore[valid-type]
    assignee: str | None = Query(None, max_length=64,
                                 description="user id, username, 'me' or 'none'"),
    page: int = Query(1, ge=1, le=MAX_PAGE), per_page: int = Query(50, ge=1, le=MAX_PER_PAGE),
    sort: Literal["priority", "newest"] = "priority",
) -> dict:
    """Items sorted by priority, highest first; ties go to the nearest answer deadline."""
    assignee_id, unassigned = _assignee_filter(session, assignee, user)
    now = services.clock.now()
    rows, total = inbox_service.list_items(session=session, now=now, flt=inbox_service.InboxFilter(
        status=status, source=source, urgency=urgency, assignee_id=assignee_id,
        unassigned=unassigned, page=page, per_page=per_page, sort=sort))
    return {"items": [inbox_service.serialize(r, now) for r in rows], "total": total,
            "page": page, "per_page": per_page}


@router.get("/inbox/{item_id}")
def get_item(item_id: ItemId, services: ServicesDep, session: SessionDep, _user: UserDep) -> dict:
    return inbox_service.item_with_history(session=session, item_id=item_id,
                                           now=services.clock.now())


@router.post("/inbox/{item_id}/corrections", status_code=201)
def correct(item_id: ItemId, body: CorrectionBody, services: ServicesDep, session: SessionDep,
            user: UserDep) -> dict:
    """A manager's label correction, stored with who and when for the next training run."""
    c = inbox_service.correct(session=session, item_id=item_id, user=user, field=body.field,
                              value=body.value, now=services.clock.now())
    session.commit()
    return {"id": c.id, "field": c.field, "old": c.old_value, "new": c.new_value}


@router.post("/inbox/{item_id}/{action}")
def act(item_id: ItemId, action: Literal["claim", "release", "resolve", "snooze"],
        services: ServicesDep, session: SessionDep, user: UserDep,
        body: ActionBody | None = None) -> dict:
    body = body or ActionBody()
    now = services.clock.now()
    row = inbox_service.act(session=session, item_id=item_id, user=user, action=action, now=now,
                            snooze_minutes=body.minutes, note=body.note)
    session.commit()
    inbox_service.after_move(services=services, action=action)
    return inbox_service.serialize(inbox_service.get_item(session=session, item_id=row.id), now)
