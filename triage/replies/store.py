"""Outbox rows: add, claim for sending under a guarded UPDATE, record outcomes, find due work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from triage.core.errors import Conflict, NotFound
from triage.platform import tables as t
from triage.platform.tables_replies import Reply
from triage.replies.domain import RETRYABLE_BY_HAND


def add(*, session: Session, message: t.Message, text: str, kind: str, status: str, now: datetime,
        author_id: int | None = None, keep_open: bool = False, dry_run: bool = False,
        send_after: datetime | None = None, dedupe_key: str | None = None) -> Reply:
    """A new outbox row for `message`'s thread, flushed so it has an id."""
    row = Reply(message_id=message.id, source=message.source, thread_id=message.thread_id,
                author_id=author_id, text=text, kind=kind, status=status, keep_open=keep_open,
                dry_run=dry_run, attempts=0, send_after=send_after, dedupe_key=dedupe_key,
                raw={}, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return row


def get(*, session: Session, reply_id: int) -> Reply:
    row = session.get(Reply, reply_id)
    if row is None:
        raise NotFound(f"no reply {reply_id}")
    return row


def claim(*, session: Session, reply_id: int, now: datetime) -> bool:
    """Take a due queued row for sending; only one worker wins, a duplicate job finds nothing."""
    result = session.execute(
        update(Reply)
        .where(Reply.id == reply_id, Reply.status == "queued",
               or_(Reply.next_attempt_at.is_(None), Reply.next_attempt_at <= now))
        .values(status="sending", attempts=Reply.attempts + 1, updated_at=now))
    return result.rowcount == 1


def for_sending(*, session: Session, reply_id: int) -> Reply:
    """The claimed row with its message and author, everything a replier needs."""
    row = session.scalars(select(Reply).where(Reply.id == reply_id).options(
        joinedload(Reply.message).joinedload(t.Message.author))).one()
    return row


def finish(*, session: Session, reply_id: int, now: datetime, **values: Any) -> None:
    """Record the outcome of a send, only if this worker still holds the row."""
    session.execute(update(Reply).where(Reply.id == reply_id, Reply.status == "sending")
                    .values(updated_at=now, **values))


def retry_by_hand(*, session: Session, reply_id: int, now: datetime) -> Reply:
    """A failed or dead row back to queued with a fresh set of attempts."""
    row = session.get(Reply, reply_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no reply {reply_id}")
    if row.status not in RETRYABLE_BY_HAND:
        raise Conflict(f"reply {reply_id} is {row.status}; only failed or dead replies are retried")
    row.status, row.attempts, row.next_attempt_at, row.updated_at = "queued", 0, None, now
    return row


def requeue_stale(*, session: Session, older_than: datetime, now: datetime) -> int:
    """Rows left `sending` by a worker that died mid-send go back to the queue."""
    return session.execute(
        update(Reply).where(Reply.status == "sending", Reply.updated_at < older_than)
        .values(status="queued", next_attempt_at=None, updated_at=now,
                last_error="the worker stopped while sending; sent again")).rowcount


def release_deferred(*, session: Session, now: datetime) -> int:
    """Deferred rows whose morning has come join the queue."""
    return session.execute(
        update(Reply).where(Reply.status == "deferred", Reply.send_after <= now)
        .values(status="queued", updated_at=now)).rowcount


def due(*, session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Queued rows whose next attempt is due, oldest first."""
    return list(session.scalars(
        select(Reply.id).where(Reply.status == "queued",
                               or_(Reply.next_attempt_at.is_(None), Reply.next_attempt_at <= now))
        .order_by(Reply.id).limit(limit)))


def for_threads(*, session: Session, threads: Iterable[tuple[str, str]]) -> list[Reply]:
    """Every reply into the given (source, thread) pairs, oldest first."""
    wanted = set(threads)
    if not wanted:
        return []
    rows = session.scalars(
        select(Reply).where(Reply.source.in_({s for s, _ in wanted}),
                            Reply.thread_id.in_({th for _, th in wanted}))
        .options(joinedload(Reply.author)).order_by(Reply.created_at, Reply.id))
    return [r for r in rows if (r.source, r.thread_id) in wanted]


def by_status(*, session: Session, statuses: Sequence[str] | None = None,
              limit: int = 100) -> list[Reply]:
    """Newest first, optionally only some statuses (the CLI's `triage outbox`)."""
    q = select(Reply).options(joinedload(Reply.author)).order_by(Reply.id.desc()).limit(limit)
    if statuses:
        q = q.where(Reply.status.in_(list(statuses)))
    return list(session.scalars(q))


def depth_by_status(*, session: Session) -> dict[str, int]:
    return dict(session.execute(select(Reply.status, func.count()).group_by(Reply.status)).all())


def holding_candidates(*, session: Session, since: datetime, limit: int = 500) -> list[t.Message]:
    """Recent scored, unresolved, non-low messages whose thread has no reply of any kind yet."""
    replied = exists().where(and_(Reply.source == t.Message.source,
                                  Reply.thread_id == t.Message.thread_id))
    return list(session.scalars(
        select(t.Message).where(t.Message.received_at >= since, t.Message.stage != "received",
                                t.Message.status != "resolved",
                                t.Message.urgency.in_(("critical", "high", "normal")), ~replied)
        .options(joinedload(t.Message.score)).order_by(t.Message.id).limit(limit)).unique())


def incident_members(*, session: Session, incident_id: int) -> list[t.Message]:
    """A storm's unresolved messages (its item included), with their authors, oldest first."""
    return list(session.scalars(
        select(t.Message).where(t.Message.incident_id == incident_id,
                                t.Message.status != "resolved", t.Message.stage != "received")
        .options(joinedload(t.Message.author)).order_by(t.Message.received_at, t.Message.id))
        .unique())


def progress_by_status(*, session: Session, key_prefix: str) -> dict[str, int]:
    """Outbox rows whose dedupe key starts with `key_prefix`, counted per status."""
    like = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return dict(session.execute(select(Reply.status, func.count())
                                .where(Reply.dedupe_key.like(like, escape="\\"))
                                .group_by(Reply.status)).all())
