"""Working the inbox: the moves a manager makes, with role checks and history."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from triage.domain import inbox as rules
from triage.domain.errors import Invalid
from triage.domain.scoring import INTENTS, TIERS, URGENCIES
from triage.storage import inbox as repo
from triage.storage import tables as t

ACTIONS = ("claim", "release", "resolve", "snooze")
CORRECTABLE = {"urgency": URGENCIES, "intent": INTENTS, "tier": TIERS}


def is_lead(user: t.User) -> bool:
    return user.role in ("lead", "admin")


def act(*, session: Session, item_id: int, user: t.User, action: str, now: datetime,
        snooze_minutes: int | None = None, note: str | None = None) -> t.Message:
    """Apply one inbox action; leads may override another person's claim."""
    lead = is_lead(user)
    if action == "claim":
        move = partial(rules.claim, user_id=user.id, now=now, override=lead)
    elif action == "release":
        move = partial(rules.release, user_id=user.id, override=lead)
    elif action == "resolve":
        move = partial(rules.resolve, user_id=user.id, now=now, override=lead)
    elif action == "snooze":
        if not snooze_minutes or snooze_minutes <= 0:
            raise Invalid("snooze needs a positive number of minutes")
        move = partial(rules.snooze, until=now + timedelta(minutes=snooze_minutes), now=now)
    else:
        raise Invalid(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
    return repo.apply(session=session, item_id=item_id, actor=user, action=action, now=now,
                      move=move, note=note)


def correct(*, session: Session, item_id: int, user: t.User, field: str, value: str,
            now: datetime) -> t.Correction:
    """Record a manager's label correction; the next `triage train` learns from it."""
    if field not in CORRECTABLE:
        raise Invalid(f"field must be one of {', '.join(CORRECTABLE)}")
    if value not in CORRECTABLE[field]:
        raise Invalid(f"{field} must be one of {', '.join(CORRECTABLE[field])}")
    row = repo.get_item(session=session, item_id=item_id)
    old = getattr(row.score, field, None) if row.score else None
    correction = t.Correction(message_id=row.id, field=field, old_value=old, new_value=value,
                              user_id=user.id, at=now)
    session.add(correction)
    repo.audit(session=session, actor=user.username, action="correct", entity="message",
               entity_id=row.id, detail={"field": field, "old": old, "new": value}, now=now)
    return correction


def _ago(delta: timedelta) -> str:
    """'5 min', '3 h', '2 d': how long an item has waited, as a person reads it."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} d"


def serialize(row: t.Message, now: datetime) -> dict[str, Any]:
    """An inbox item as the API returns it: message, score and reasons in one object."""
    s = row.score
    state = rules.ItemState(row.status, row.assignee_id, row.snoozed_until)
    return {
        "id": row.id, "source": row.source, "external_id": row.external_id,
        "thread_id": row.thread_id, "text": row.text, "url": row.url, "language": row.language,
        "author": {"id": row.author.external_id, "handle": row.author.handle,
                   "name": row.author.name, "followers": row.author.followers},
        "created_at": row.created_at.isoformat(), "received_at": row.received_at.isoformat(),
        "status": rules.effective_status(state, now), "assignee_id": row.assignee_id,
        "assignee": row.assignee.username if row.assignee_id and row.assignee else None,
        "waiting": _ago(now - row.received_at),
        "snoozed_until": row.snoozed_until.isoformat() if row.snoozed_until else None,
        "due_at": row.due_at.isoformat() if row.due_at else None,
        "overdue": bool(row.due_at and row.due_at < now and row.status != "resolved"),
        "priority": row.priority, "urgency": row.urgency,
        "intent": s.intent if s else None, "sentiment": s.sentiment if s else None,
        "relationship": s.relationship_value if s else None, "tier": s.tier if s else None,
        "confidence": s.confidence if s else None, "model": s.model if s else None,
        "reasons": s.reasons if s else [],
    }
