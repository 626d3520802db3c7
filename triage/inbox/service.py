"""Working the inbox: the moves a manager makes, with role checks and history."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, object_session

from triage.core.errors import Invalid
from triage.core.message import date_note
from triage.core.priority import span, waiting_reason
from triage.core.scoring import INTENTS, TIERS, URGENCIES, AuthorContext
from triage.inbox import claims
from triage.inbox import domain as rules
from triage.inbox import store as repo
from triage.people.service import person_badge
from triage.platform import tables as t
from triage.platform.audit import audit
from triage.scoring import incidents
from triage.scoring.domain.relationship import reach_reason
from triage.scoring.storms import incident_reason

ACTIONS = ("claim", "release", "resolve", "snooze")
CORRECTABLE = {"urgency": URGENCIES, "intent": INTENTS, "tier": TIERS}


def is_lead(user: t.User) -> bool:
    return user.role in ("lead", "admin")


def act(*, session: Session, item_id: int, user: t.User, action: str, now: datetime,
        snooze_minutes: int | None = None, note: str | None = None) -> t.Message:
    """Apply one inbox action; leads may override another person's claim."""
    lead = is_lead(user)
    if action == "claim":  # the scheduler's guard: held items and the claimer's limits
        move = claims.guard(session=session, item_id=item_id, user=user, now=now, note=note,
                            move=partial(rules.claim, user_id=user.id, now=now, override=lead))
    elif action == "release":
        move = partial(rules.release, user_id=user.id, override=lead)
    elif action == "resolve":
        move = partial(rules.resolve, user_id=user.id, now=now, override=lead)
    elif action == "snooze":
        if not snooze_minutes or snooze_minutes <= 0:
            raise Invalid("snooze needs a positive number of minutes")
        if snooze_minutes > rules.MAX_SNOOZE.total_seconds() // 60:  # before the sum can overflow
            raise Invalid(f"snooze at most {rules.MAX_SNOOZE.days} days")
        move = partial(rules.snooze, until=now + timedelta(minutes=snooze_minutes), now=now,
                       user_id=user.id, override=lead)
    else:
        raise Invalid(f"unknown action {action[:32]!r}; use one of {', '.join(ACTIONS)}")
    if action != "claim":  # the holder check, as claim has it: a lead's override is audited
        move = claims.holder_guard(session=session, item_id=item_id, user=user, now=now,
                                   action=action, note=note, move=move)
    row = repo.apply(session=session, item_id=item_id, actor=user, action=action, now=now,
                     move=move, note=note)
    if action == "resolve" and row.incident_id == row.id:  # the storm's item: resolve its copies
        resolve_incident(session=session, incident_id=row.id, actor=user.username, now=now)
    return row


def resolve_incident(*, session: Session, incident_id: int, actor: str, now: datetime) -> int:
    """Bulk-resolve a storm's copies with its item, audited once; returns how many were resolved."""
    members = incidents.resolve(session=session, incident_id=incident_id, actor=actor, now=now)
    if members:
        audit(session=session, actor=actor, action="incident.resolve", entity="incident",
                   entity_id=incident_id, detail={"members": members}, now=now)
    return members


def correct(*, session: Session, item_id: int, user: t.User, field: str, value: str,
            now: datetime) -> t.Correction:
    """Record a manager's label correction; the next `triage train` learns from it."""
    if field not in CORRECTABLE:
        raise Invalid(f"field must be one of {', '.join(CORRECTABLE)}")
    if value not in CORRECTABLE[field]:
        raise Invalid(f"{field} must be one of {', '.join(CORRECTABLE[field])}")
    row = repo.get_item(session=session, item_id=item_id)
    claims.check_may_change(session=session, item=row, user=user, action="correct", now=now)
    old = getattr(row.score, field, None) if row.score else None
    correction = t.Correction(message_id=row.id, field=field, old_value=old, new_value=value,
                              user_id=user.id, at=now)
    session.add(correction)
    if field == "urgency":  # the inbox badge, its filters and views show the corrected label
        row.urgency = value
    audit(session=session, actor=user.username, action="correct", entity="message",
               entity_id=row.id, detail={"field": field, "old": old, "new": value}, now=now)
    return correction


InboxFilter = repo.InboxFilter  # the list's filter: the edges build it from query parameters


def list_items(*, session: Session, flt: repo.InboxFilter, now: datetime) -> tuple[list[t.Message], int]:
    """One page of items under `flt` by priority (or newest), and the total count it pages through."""
    return repo.list_items(session=session, flt=flt, now=now)


def get_item(*, session: Session, item_id: int) -> t.Message:
    """One item; NotFound when there is none."""
    return repo.get_item(session=session, item_id=item_id)


def item_with_history(*, session: Session, item_id: int, now: datetime) -> dict[str, Any]:
    """An item as the API returns it, with who moved it and when, oldest first."""
    item = serialize(repo.get_item(session=session, item_id=item_id), now)
    item["history"] = [{"action": h.action, "actor": h.actor, "user_id": h.user_id,
                        "note": h.note, "at": h.at.isoformat()}
                       for h in repo.history(session=session, item_id=item_id)]
    return item


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
        **_date_note(row.raw),
        "status": rules.effective_status(state, now), "assignee_id": row.assignee_id,
        "assignee": row.assignee.username if row.assignee_id and row.assignee else None,
        "waiting": span(now - row.received_at),
        "snoozed_until": row.snoozed_until.isoformat() if row.snoozed_until else None,
        "snoozed_label": (f"snoozed until {row.snoozed_until:%a %d %b %H:%M} UTC"
                          if row.snoozed_until and row.snoozed_until > now else None),
        "due_at": row.due_at.isoformat() if row.due_at else None,
        "overdue": bool(row.due_at and row.due_at < now and row.status != "resolved"),
        "priority": row.priority, "urgency": row.urgency,
        "intent": s.intent if s else None, "sentiment": s.sentiment if s else None,
        "relationship": s.relationship_value if s else None, "tier": s.tier if s else None,
        "confidence": s.confidence if s else None, "model": s.model if s else None,
        "reasons": _reasons(row, now, incident := _incident(row)),
        "incident": incident, "reach": _reach(row),
        "person": person_badge(row),  # "same person as @sam on demo-x"
        **_routing(row),
    }


def _date_note(raw: Any) -> dict[str, str | None]:
    """Why created_at is the receive time, when the platform's date was missing or implausible."""
    note = date_note(raw)
    return {"date_note": note[0] if note else None, "date_detail": note[1] if note else None}


def _routing(row: t.Message) -> dict[str, Any]:
    """The router's note: why the item waits, or why it went to its holder."""
    note = getattr(row, "routing", None)  # set by the scheduler's tables module
    if note is None:
        return {"wait_reason": None, "assign_reason": None}
    waiting = row.assignee_id is None and row.status != "resolved"
    return {"wait_reason": note.wait_reason if waiting else None,
            "assign_reason": note.assign_reason if row.assignee_id else None}


def after_move(*, services: Any, action: str) -> None:
    """A resolve or release frees someone's capacity: ask the router for a pass."""
    if action in ("resolve", "release"):
        from triage.scheduling.routing import request_pass

        request_pass(services.redis, retries=services.settings.job_retries)


def _incident(row: t.Message) -> dict[str, Any] | None:
    """The storm this item stands for, once it leads STORM_MIN or more copies."""
    if row.incident_id is None or row.incident_id != row.id:
        return None
    session = object_session(row)
    inc = incidents.cached(session=session, incident_id=row.incident_id) if session else None
    if inc is None or inc.count < incidents.STORM_MIN:
        return None
    return {"id": inc.id, "count": inc.count, "status": inc.status, "people": inc.people or 0,
            "lift": inc.lift or 0.0,
            "first_seen": inc.first_seen.isoformat(), "last_seen": inc.last_seen.isoformat(),
            "reason": incident_reason(inc.count, inc.first_seen, inc.last_seen,
                                      inc.people or 0, inc.lift or 0.0)}


def _reach(row: t.Message) -> str | None:
    """'large reach: 2.5M followers', an awareness badge apart from relationship value."""
    a = row.author
    reason = reach_reason(AuthorContext(followers=a.followers or 0, verified=a.verified))
    return reason.text if reason else None


def _reasons(row: t.Message, now: datetime,
             incident: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Stored reasons plus the waiting line, which changes by the minute and is never stored."""
    reasons = list(row.score.reasons) if row.score else []
    if incident:
        reasons.insert(0, {"text": incident["reason"], "weight": 1.0, "kind": "storm"})
    if row.urgency and row.status != "resolved":
        waiting = waiting_reason(row.urgency, now - row.received_at)
        if waiting is not None:
            reasons.insert(0, waiting.as_dict())
    return reasons
