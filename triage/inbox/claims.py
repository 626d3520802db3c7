"""Manual claims respect the router: work assigned to someone stays theirs, and limits hold for claims.

Without this an agent could take an item the router had just given a colleague, or pick up work past
their own hours: the router's hard limits would only bind the work it hands out. A lead may take
over anyone's item, and may claim past a limit when they give a reason; both are audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from triage.core.errors import Conflict
from triage.inbox import domain as inbox_rules
from triage.inbox.domain import ItemState
from triage.platform import metrics
from triage.platform import tables as t
from triage.platform.audit import audit
from triage.scheduling.domain.claims import KINDS, claim_refusal

Move = Callable[[ItemState], ItemState]


def _is_lead(user: t.User) -> bool:
    return user.role in ("lead", "admin")


def holder_name(session: Session, user_id: int) -> str:
    """'Alex (alex)' for a login linked to staff, else the username."""
    user = session.get(t.User, user_id)
    if user is None:
        return f"user {user_id}"
    staff = session.get(t.Staff, user.staff_id) if user.staff_id else None
    return f"{staff.name} ({user.username})" if staff else user.username


def _held(session: Session, state: ItemState, now: datetime) -> str:
    name = holder_name(session, state.assignee_id)
    if inbox_rules.effective_status(state, now) == "claimed":
        return f"item is claimed by someone else ({name}); a lead can reassign it"
    return f"item is assigned to {name}, who has not started it; only they or a lead can take it"


def _check_limits(*, session: Session, item_id: int, user: t.User, now: datetime,
                  note: str | None) -> None:
    """Refuse a claim past the claimer's own limits; a lead with a reason may go past, audited."""
    from triage.scheduling import routing  # the router's services import the bootstrap

    rules = routing.current_rules(session=session)
    person = routing.person_state(session=session, staff_id=user.staff_id, rules=rules, now=now)
    if person is None:  # not scheduled (inactive, or no staff list): nothing to hold them to
        return
    item = session.get(t.Message, item_id)
    refusal = claim_refusal(person, item.urgency or "normal", now, rules)
    if refusal is None:
        return
    limit, text = refusal
    if _is_lead(user) and note:
        metrics.LIMIT_OVERRIDES.labels(reason=KINDS[limit]).inc()
        audit(session=session, actor=user.username, action="claim.limit_override", entity="message",
              entity_id=item_id, detail={"limit": KINDS[limit], "refusal": text, "reason": note}, now=now)
        return
    metrics.CLAIMS_REFUSED.labels(reason=KINDS[limit]).inc()
    hint = ("; give a reason (note) to claim past the limit" if _is_lead(user)
            else "; a lead can take it past the limit with a reason")
    raise Conflict(f"cannot claim: {text}{hint}")


def guard(*, session: Session, item_id: int, user: t.User, now: datetime, note: str | None,
          move: Move) -> Move:
    """Wrap a claim move so it runs only within the router's rules (checked under the row lock)."""

    def checked(state: ItemState) -> ItemState:
        if inbox_rules.effective_status(state, now) == "resolved":
            return move(state)  # the move itself refuses, with its own words
        holder = state.assignee_id
        if holder not in (None, user.id):
            if not _is_lead(user):
                metrics.CLAIMS_REFUSED.labels(reason="held").inc()
                raise Conflict(_held(session, state, now))
            audit(session=session, actor=user.username, action="claim.reassign", entity="message",
                  entity_id=item_id, detail={"from": holder_name(session, holder), "note": note}, now=now)
        if holder != user.id and user.staff_id is not None:
            _check_limits(session=session, item_id=item_id, user=user, now=now, note=note)
        return move(state)

    return checked


def holder_guard(*, session: Session, item_id: int, user: t.User, now: datetime, action: str,
                 note: str | None, move: Move) -> Move:
    """Wrap release, resolve or snooze: only the holder, or a lead (audited), may act on a held item."""

    def checked(state: ItemState) -> ItemState:
        if inbox_rules.held_by_other(state, user.id) and \
                inbox_rules.effective_status(state, now) != "resolved":
            if not _is_lead(user):
                raise Conflict(f"{_held(session, state, now)} (cannot {action} it)")
            audit(session=session, actor=user.username, action=f"{action}.override",
                  entity="message", entity_id=item_id,
                  detail={"holder": holder_name(session, state.assignee_id), "note": note}, now=now)
        return move(state)

    return checked


def check_may_change(*, session: Session, item: t.Message, user: t.User, action: str,
                     now: datetime) -> None:
    """The holder check for changes outside the state machine (label corrections); leads audited."""
    state = ItemState(item.status, item.assignee_id, item.snoozed_until)
    if not inbox_rules.held_by_other(state, user.id):
        return
    if not _is_lead(user):
        raise Conflict(f"{_held(session, state, now)} (cannot {action} it)")
    audit(session=session, actor=user.username, action=f"{action}.override", entity="message",
          entity_id=item.id, detail={"holder": holder_name(session, state.assignee_id)}, now=now)
