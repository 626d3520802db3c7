"""Many items in one move: resolve, snooze, claim, release or (leads) assign, each item on its own.

Every item goes through the same checks as a single action (the holder check, the claimer's
limits) inside its own savepoint, so one refused item is reported and the others still move.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.core.errors import DomainError, Forbidden, Invalid, NotFound
from triage.inbox import claims
from triage.inbox import domain as rules
from triage.inbox import store as repo
from triage.inbox.service import act, is_lead
from triage.platform import tables as t
from triage.platform.audit import audit

BULK_ACTIONS = ("resolve", "snooze", "claim", "release", "assign")
MAX_BULK = 500  # a page is 50; ten pages at once is already a lot to undo


def _assignee(session: Session, who: str | int | None) -> t.User:
    if who in (None, ""):
        raise Invalid("assign needs an assignee (a username or user id)")
    text = str(who)
    found = (session.get(t.User, int(text)) if text.isdecimal() and len(text) < 10 else
             session.scalars(select(t.User).where(t.User.username == text)).first())
    if found is None or not found.active:
        raise NotFound(f"no active user {text[:64]!r}")
    return found


def _assign_one(*, session: Session, item_id: int, lead: t.User, to: t.User, now: datetime,
                note: str | None) -> t.Message:
    move = claims.holder_guard(session=session, item_id=item_id, user=lead, now=now,
                               action="assign", note=note,
                               move=partial(rules.assign, assignee_id=to.id, now=now))
    row = repo.apply(session=session, item_id=item_id, actor=lead, action="assign", now=now,
                     move=move, note=note or f"assigned to {to.username} by {lead.username}")
    audit(session=session, actor=lead.username, action="assign", entity="message",
          entity_id=item_id, detail={"to": to.username, "bulk": True}, now=now)
    return row


def bulk(*, session: Session, ids: list[int], user: t.User, action: str, now: datetime,
         snooze_minutes: int | None = None, assignee: str | int | None = None,
         note: str | None = None) -> list[dict[str, Any]]:
    """Apply `action` to each item; one result per item: ok with its new status, or the reason."""
    if action not in BULK_ACTIONS:
        raise Invalid(f"unknown action {action[:32]!r}; use one of {', '.join(BULK_ACTIONS)}")
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise Invalid("select at least one item")
    if len(unique) > MAX_BULK:
        raise Invalid(f"at most {MAX_BULK} items at once; this was {len(unique)}")
    if action == "snooze" and not snooze_minutes:
        raise Invalid("snooze needs a positive number of minutes")
    to = None
    if action == "assign":
        if not is_lead(user):
            raise Forbidden("only leads and admins assign items to others")
        to = _assignee(session, assignee)
    results = []
    for item_id in unique:
        try:
            with session.begin_nested():
                if to is not None:
                    row = _assign_one(session=session, item_id=item_id, lead=user, to=to,
                                      now=now, note=note)
                else:
                    row = act(session=session, item_id=item_id, user=user, action=action,
                              now=now, snooze_minutes=snooze_minutes, note=note)
                results.append({"id": item_id, "ok": True, "status": row.status,
                                "assignee_id": row.assignee_id})
        except DomainError as exc:
            results.append({"id": item_id, "ok": False, "error": str(exc),
                            "kind": type(exc).__name__.lower()})
    return results
