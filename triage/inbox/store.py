"""Inbox queries and the history-keeping writes behind claim, release, resolve and snooze."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from triage.core.errors import NotFound
from triage.inbox import domain as rules
from triage.people import service as people
from triage.platform import tables as t
from triage.platform.tables_replies import Reply
from triage.scoring import incidents


@dataclass(frozen=True, slots=True)
class InboxFilter:
    status: str = "active"  # active = open + claimed + woken snoozes; or one status; or all
    source: str | None = None
    urgency: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    awaiting_reply: bool = False  # nothing answered on its thread yet ("waiting on me")
    q: str | None = None  # words in the text, the author's handle or name
    page: int = 1
    per_page: int = 50
    sort: str = "priority"  # or "newest": most recently received first


def _status_clause(status: str, now: datetime, *, walk_order: bool = False):
    # Most rows are active, so an index on status finds nearly all of them and the page then sorts
    # them all. `walk_order` hides status from the planner (`status || ''`, the SQLite-documented
    # way) so it walks ix_messages_inbox_order instead and stops after one page; SQLite without
    # ANALYZE statistics would otherwise take the status index.
    col = t.Message.status.concat("") if walk_order else t.Message.status
    woke = and_(col == "snoozed", t.Message.snoozed_until <= now)
    if status == "active":
        return or_(col.in_(("open", "claimed")), woke)
    if status == "open":
        return or_(col == "open", woke)
    if status == "snoozed":
        return and_(t.Message.status == "snoozed", t.Message.snoozed_until > now)
    if status == "all":
        return True
    return t.Message.status == status


ORDER = {
    "priority": (t.Message.priority.desc(), t.Message.due_at.asc(), t.Message.id.asc()),
    "newest": (t.Message.received_at.desc(), t.Message.id.desc()),
}


def _where(flt: InboxFilter, now: datetime, *, walk_order: bool = False) -> list:
    where = [t.Message.stage != "received", _status_clause(flt.status, now, walk_order=walk_order),
             incidents.shown_in_inbox()]  # one item per storm: its first message
    if flt.source:
        where.append(t.Message.source == flt.source)
    if flt.urgency:
        where.append(t.Message.urgency == flt.urgency)
    if flt.assignee_id is not None:
        where.append(t.Message.assignee_id == flt.assignee_id)
    if flt.unassigned:
        where.append(t.Message.assignee_id.is_(None))
    if flt.awaiting_reply:
        where.append(~exists().where(Reply.source == t.Message.source,
                                     Reply.thread_id == t.Message.thread_id))
    if flt.q:
        like = "%" + flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matching = select(t.Author.id).where(or_(t.Author.handle.ilike(like, escape="\\"),
                                                 t.Author.name.ilike(like, escape="\\")))
        where.append(or_(t.Message.text.ilike(like, escape="\\"), t.Message.author_id.in_(matching)))
    return where


def view_counts(*, session: Session, user_id: int, now: datetime) -> dict[str, int]:
    """The saved views' counts over the active items: one scan of ix_messages_inbox_filter alone
    (no wide rows), and "waiting on me" over my items only (it looks up each one's replies)."""
    mine = t.Message.assignee_id == user_id
    row = session.execute(select(
        func.count(),
        func.coalesce(func.sum(case((mine, 1), else_=0)), 0),
        func.coalesce(func.sum(case((t.Message.assignee_id.is_(None), 1), else_=0)), 0),
        func.coalesce(func.sum(case((t.Message.urgency == "critical", 1), else_=0)), 0),
    ).select_from(t.Message).where(*_where(InboxFilter(), now))).one()
    waiting = session.execute(select(func.count()).select_from(t.Message).where(
        *_where(InboxFilter(assignee_id=user_id, awaiting_reply=True), now))).scalar_one()
    return dict(zip(("all", "mine", "unassigned", "critical", "waiting"), (*map(int, row), waiting),
                    strict=True))


def list_items(*, session: Session, flt: InboxFilter, now: datetime,
               total: int | None = None) -> tuple[list[t.Message], int]:
    """Scored items by priority (then the nearest deadline), filtered and paged, with the total
    (counted unless the caller knows it, e.g. from the saved views' counts)."""
    where = _where(flt, now)
    if total is None:
        total = session.execute(select(func.count()).select_from(t.Message).where(*where)).scalar_one()
    broad = flt.sort == "priority" and flt.status in ("active", "open")  # most rows match
    # selectinload, not joinedload: the joins made the database sort every joined row before
    # the LIMIT; this way it sorts bare messages and loads 50 scores and authors by id.
    rows = session.scalars(
        select(t.Message).where(*(_where(flt, now, walk_order=True) if broad else where))
        .options(selectinload(t.Message.score), selectinload(t.Message.author),
                 selectinload(t.Message.assignee))
        .order_by(*ORDER[flt.sort])
        .offset((flt.page - 1) * flt.per_page).limit(flt.per_page)
    ).all()
    incidents.preload(session=session, ids=[r.incident_id for r in rows if r.incident_id])
    people.preload_people(session=session, rows=rows)  # the inbox's "same person as" line
    return list(rows), total


def get_item(*, session: Session, item_id: int) -> t.Message:
    row = session.get(t.Message, item_id, options=[joinedload(t.Message.score),
                                                   joinedload(t.Message.author),
                                                   joinedload(t.Message.assignee)])
    if row is None or row.stage == "received":
        raise NotFound(f"no scored message {item_id}")
    return row


def conversation(*, session: Session, item: t.Message, limit: int = 100) -> list[t.Message]:
    """The item's thread and everything its person wrote on any channel, oldest first."""
    contact_id = item.author.contact_id
    authors_q = (select(t.Author.id).where(t.Author.contact_id == contact_id) if contact_id
                 else select(t.Author.id).where(t.Author.id == item.author_id))
    rows = session.scalars(
        select(t.Message).where(t.Message.stage != "received", or_(
            and_(t.Message.source == item.source, t.Message.thread_id == item.thread_id),
            t.Message.author_id.in_(authors_q)))
        .options(joinedload(t.Message.score), joinedload(t.Message.author))
        .order_by(t.Message.received_at.desc(), t.Message.id.desc()).limit(limit)).unique().all()
    return sorted(rows, key=lambda m: (m.received_at, m.id))


def corrections_of(*, session: Session, item_ids: list[int]) -> list[tuple[t.Correction, str]]:
    """The label corrections made on these items, with who made them, oldest first."""
    if not item_ids:
        return []
    return list(session.execute(
        select(t.Correction, t.User.username).join(t.User, t.User.id == t.Correction.user_id)
        .where(t.Correction.message_id.in_(item_ids)).order_by(t.Correction.at, t.Correction.id)).all())


def apply(*, session: Session, item_id: int, actor: t.User, action: str, now: datetime,
          move: Callable[[rules.ItemState], rules.ItemState], note: str | None = None) -> t.Message:
    """Run one state move on an item under a row lock, and record it in the assignment history."""
    row = session.get(t.Message, item_id, with_for_update=True)
    if row is None or row.stage == "received":
        raise NotFound(f"no scored message {item_id}")
    new = move(rules.ItemState(row.status, row.assignee_id, row.snoozed_until))
    row.status, row.assignee_id, row.snoozed_until = new.status, new.assignee_id, new.snoozed_until
    session.add(t.Assignment(message_id=row.id, user_id=new.assignee_id, action=action,
                             actor=actor.username, note=note, at=now))
    return row


def history(*, session: Session, item_id: int) -> list[t.Assignment]:
    return list(session.scalars(select(t.Assignment).where(t.Assignment.message_id == item_id)
                                .order_by(t.Assignment.at, t.Assignment.id)))


def backlog_by_urgency(*, session: Session, now: datetime) -> dict[str, int]:
    return dict(session.execute(
        select(t.Message.urgency, func.count()).where(_status_clause("active", now),
                                                      t.Message.stage != "received")
        .group_by(t.Message.urgency)).all())
