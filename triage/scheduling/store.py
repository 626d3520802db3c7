"""Staff, shifts, time off, rule sets, pages, coverage gaps and routing notes: the scheduler's rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, select, update
from sqlalchemy.orm import Session

from triage.core.errors import NotFound
from triage.intake.messages import chunks
from triage.platform import tables as t
from triage.platform import tables_scheduling as ts
from triage.scoring.incidents import shown_in_inbox

ACTIVE_ITEM = ("open", "claimed")


def list_staff(*, session: Session, active_only: bool = True) -> list[t.Staff]:
    """Staff ordered by name; inactive people only when asked."""
    q = select(t.Staff).order_by(t.Staff.name, t.Staff.id)
    if active_only:
        q = q.where(t.Staff.active.is_(True))
    return list(session.scalars(q))


def get_staff(*, session: Session, staff_id: int) -> t.Staff:
    """One staff member, or NotFound naming the id."""
    row = session.get(t.Staff, staff_id)
    if row is None:
        raise NotFound(f"unknown staff id {staff_id}")
    return row


def users_by_staff(*, session: Session) -> dict[int, t.User]:
    """The active login of each staff member who has one."""
    rows = session.scalars(select(t.User).where(t.User.staff_id.is_not(None), t.User.active.is_(True)))
    return {u.staff_id: u for u in rows}


def shifts_between(*, session: Session, start: datetime, end: datetime,
                   staff_ids: Iterable[int] | None = None) -> list[ts.Shift]:
    """Shifts touching [start, end), oldest first."""
    q = select(ts.Shift).where(ts.Shift.end > start, ts.Shift.start < end)
    if staff_ids is not None:
        q = q.where(ts.Shift.staff_id.in_(list(staff_ids)))
    return list(session.scalars(q.order_by(ts.Shift.start, ts.Shift.id)))


def time_off_between(*, session: Session, start: datetime, end: datetime,
                     staff_ids: Iterable[int] | None = None) -> list[ts.TimeOff]:
    """Time off touching [start, end)."""
    q = select(ts.TimeOff).where(ts.TimeOff.end > start, ts.TimeOff.start < end)
    if staff_ids is not None:
        q = q.where(ts.TimeOff.staff_id.in_(list(staff_ids)))
    return list(session.scalars(q.order_by(ts.TimeOff.start)))


def active_rule_set(*, session: Session) -> ts.RuleSet | None:
    """The rule set in force (the newest active version), if a lead ever set one."""
    return session.scalars(select(ts.RuleSet).where(ts.RuleSet.active.is_(True))
                           .order_by(ts.RuleSet.version.desc()).limit(1)).first()


def save_rule_set(*, session: Session, rules: dict[str, Any], templates: list[Any], actor: str,
                  now: datetime, note: str | None = None) -> ts.RuleSet:
    """Store a new version and make it the only active one; old versions stay for the record."""
    latest = session.scalar(select(func.max(ts.RuleSet.version))) or 0
    session.execute(update(ts.RuleSet).where(ts.RuleSet.active.is_(True)).values(active=False))
    row = ts.RuleSet(version=latest + 1, rules=rules, templates=templates, active=True,
                     created_by=actor, created_at=now, note=note)
    session.add(row)
    session.flush()
    return row


def rule_set_history(*, session: Session, limit: int = 20) -> list[ts.RuleSet]:
    return list(session.scalars(select(ts.RuleSet).order_by(ts.RuleSet.version.desc()).limit(limit)))


def waiting_items(*, session: Session, now: datetime, limit: int = 20000) -> list[Row]:
    """Scored, open, unassigned, awake items the inbox shows (a storm is one item, not its copies),
    in the inbox's order, the first `limit` of them.

    The filters are hidden from the planner (`col || ''`, `col + 0`, SQLite's documented way) so it
    walks ix_messages_inbox_order and stops at the limit: with the assignee index it read every
    unassigned row and sorted them, a cost that grew with the pile (the soak's p95 crept from 0.6
    to 1.8 s as 130k waiting items accumulated).
    """
    m = t.Message
    status = m.status.concat("")
    awake = (status == "open") | and_(status == "snoozed", m.snoozed_until <= now)
    return list(session.execute(  # plain rows of the columns routing reads: ORM objects cost ~40 µs each
        select(m.id, m.urgency, m.priority, m.received_at, m.language, m.author_id)
        .where(m.stage.concat("").in_(("scored", "routed")), awake, (m.assignee_id + 0).is_(None),
               shown_in_inbox())
        .order_by(m.priority.desc(), m.due_at.asc(), m.id.asc()).limit(limit)))


def held_items(*, session: Session, user_ids: Sequence[int]) -> list[t.Message]:
    """Unresolved items the given users hold."""
    if not user_ids:
        return []
    return list(session.scalars(select(t.Message).where(
        t.Message.assignee_id.in_(list(user_ids)), t.Message.status.in_(ACTIVE_ITEM))))


def history_since(*, session: Session, since: datetime, user_ids: Sequence[int] | None = None,
                  message_ids: Sequence[int] | None = None) -> list[tuple[t.Assignment, str | None]]:
    """Assignment history rows from `since` on, each with its message's urgency, oldest first."""
    q = (select(t.Assignment, t.Message.urgency).join(t.Message, t.Message.id == t.Assignment.message_id)
         .where(t.Assignment.at >= since))
    if user_ids is not None:
        q = q.where(t.Assignment.user_id.in_(list(user_ids)))
    if message_ids is not None:
        q = q.where(t.Assignment.message_id.in_(list(message_ids)))
    return [(a, u) for a, u in session.execute(q.order_by(t.Assignment.at, t.Assignment.id)).all()]


def last_resolvers(*, session: Session, author_ids: Iterable[int]) -> dict[int, int]:
    """Per author, the user who resolved their latest resolved item: who holds the relationship."""
    ids = list(set(author_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(t.Message.author_id, t.Assignment.user_id, t.Assignment.at)
        .join(t.Assignment, t.Assignment.message_id == t.Message.id)
        .where(t.Message.author_id.in_(ids), t.Assignment.action == "resolve",
               t.Assignment.user_id.is_not(None))
        .order_by(t.Assignment.at, t.Assignment.id)).all()
    return {author: user for author, user, _ in rows}  # later rows overwrite earlier ones


def pages_since(*, session: Session, since: datetime) -> Counter[int]:
    """Pages per staff id since `since`."""
    return Counter(dict(session.execute(select(ts.PageEvent.staff_id, func.count())
                                        .where(ts.PageEvent.at >= since)
                                        .group_by(ts.PageEvent.staff_id)).all()))


@dataclass(slots=True)
class Note:
    """What a routing pass reads of the router's note on one message (plain values, not ORM rows:
    a pass reads one per waiting item, up to 20,000, and ORM loading cost 40 µs each)."""

    wait_reason: str | None = None
    wait_until: datetime | None = None
    released_from: int | None = None


def routing_notes(*, session: Session, message_ids: Sequence[int]) -> dict[int, Note]:
    if not message_ids:
        return {}
    r = ts.MessageRouting
    notes = {}
    for chunk in chunks(message_ids, 5000):  # IN lists the databases accept
        rows = session.execute(select(r.message_id, r.wait_reason, r.wait_until, r.released_from)
                               .where(r.message_id.in_(chunk)))
        notes.update({mid: Note(reason, until, released) for mid, reason, until, released in rows})
    return notes


NOTE_FIELDS = ("wait_reason", "wait_until", "released_from")


def write_note(*, session: Session, notes: dict[int, Note], message_id: int,
               now: datetime, **values: Any) -> None:
    """Create or update the router's note on a message (core statements: no ORM row is loaded)."""
    table = ts.MessageRouting.__table__
    values["updated_at"] = now
    done = session.execute(update(table).where(table.c.message_id == message_id).values(**values))
    if done.rowcount == 0:
        session.execute(insert(table).values(message_id=message_id, **values))
    note = notes.get(message_id) or Note()
    for key in NOTE_FIELDS:
        if key in values:
            setattr(note, key, values[key])
    notes[message_id] = note


def record_gap(*, session: Session, message_id: int, reason: str, now: datetime) -> bool:
    """Store a coverage gap once per item; True when it is new."""
    if session.scalar(select(ts.CoverageGapRow.id).where(ts.CoverageGapRow.message_id == message_id)):
        return False
    session.add(ts.CoverageGapRow(message_id=message_id, reason=reason, at=now,
                                  hour=now.replace(minute=0, second=0, microsecond=0)))
    return True


def list_gaps(*, session: Session, since: datetime | None = None,
              unseen_only: bool = False) -> list[ts.CoverageGapRow]:
    q = select(ts.CoverageGapRow).order_by(ts.CoverageGapRow.at.desc())
    if since is not None:
        q = q.where(ts.CoverageGapRow.at >= since)
    if unseen_only:
        q = q.where(ts.CoverageGapRow.seen_at.is_(None))
    return list(session.scalars(q.limit(500)))


def delete_shift(*, session: Session, shift_id: int) -> None:
    if session.execute(delete(ts.Shift).where(ts.Shift.id == shift_id)).rowcount == 0:
        raise NotFound(f"unknown shift id {shift_id}")


def breaks_between(*, session: Session, start: datetime, end: datetime,
                   staff_ids: Iterable[int] | None = None) -> list[ts.BreakRow]:
    """Breaks people took on purpose touching [start, end), oldest first."""
    q = select(ts.BreakRow).where(ts.BreakRow.end > start, ts.BreakRow.start < end)
    if staff_ids is not None:
        q = q.where(ts.BreakRow.staff_id.in_(list(staff_ids)))
    return list(session.scalars(q.order_by(ts.BreakRow.start, ts.BreakRow.id)))


def open_gap_count(*, session: Session) -> int:
    """Coverage gaps no lead has marked seen yet."""
    return session.scalar(select(func.count()).select_from(ts.CoverageGapRow)
                          .where(ts.CoverageGapRow.seen_at.is_(None))) or 0


def latest_publication(*, session: Session,
                       week_start: datetime | None = None) -> ts.RosterPublication | None:
    """The newest roster publication (of one week, when given)."""
    q = select(ts.RosterPublication)
    if week_start is not None:
        q = q.where(ts.RosterPublication.week_start == week_start)
    return session.scalars(q.order_by(ts.RosterPublication.id.desc()).limit(1)).first()
