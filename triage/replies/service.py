"""Managers' replies: who may reply, what a channel accepts, when it leaves, how the inbox shows it.

Sending itself (the RQ job, retries, the tick, holding replies) lives in replies/outbox.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from triage.config import Settings
from triage.core.errors import Forbidden, Invalid
from triage.inbox import service as inbox_service
from triage.platform import tables as t
from triage.platform.audit import audit
from triage.platform.tables_replies import Reply
from triage.replies import store as repo
from triage.replies.domain import (
    RETRYABLE_BY_HAND,
    check_defer,
    check_text,
    limit_for,
    next_business_start,
    status_label,
    suggest_morning,
    when_label,
)
from triage.replies.lengths import length_report, measure
from triage.replies.repliers import cannot_reply, channel_of, dry_run
from triage.scheduling.staffing import current_rules

log = logging.getLogger(__name__)


def message_for(*, session: Session, message_id: int) -> t.Message:
    """A scored message by id (404 otherwise), for the reply features beside this service."""
    return inbox_service.get_item(session=session, item_id=message_id)


def check_may_reply(user: t.User, message: t.Message) -> None:
    """Agents reply to items they hold or nobody holds; leads and admins to any."""
    if inbox_service.is_lead(user) or message.assignee_id in (None, user.id):
        return
    holder = message.assignee.username if message.assignee else f"user {message.assignee_id}"
    raise Forbidden(f"this item is held by {holder}; ask them or a lead to release it")


def mention_prefix(channel: str, message: t.Message, text: str) -> str:
    """What the Mastodon replier puts in front (it mentions the author); counts toward 500."""
    handle = message.author.handle if message.author else None
    if channel != "mastodon" or not handle or f"@{handle}" in text:
        return ""
    return f"@{handle} "


def limit_context(settings: Settings, message: t.Message) -> dict[str, Any]:
    """Channel, variant (Instagram or Messenger on a Meta source) and a source's own limit."""
    channel = channel_of(settings, message.source)
    cfg = settings.sources.get(message.source)
    configured = (cfg.options.get("max_post_length") if cfg else None) or None
    variant = None
    if channel == "meta":
        thread = message.thread_id or ""
        variant = ("instagram-dm" if thread.startswith("instagram-dm:") else
                   "messenger" if thread.startswith("page-dm:") else
                   "instagram" if "media" in (message.raw or {}) else None)
    return {"channel": channel, "variant": variant,
            "configured": int(configured) if str(configured or "").isdecimal() else None}


def checked_text(settings: Settings, message: t.Message, text: str) -> str:
    """The text as it will be sent, or Invalid naming the channel's limit or missing setup."""
    reason = cannot_reply(settings, message.source)
    if reason:
        raise Invalid(reason)
    ctx = limit_context(settings, message)
    channel = ctx["channel"]
    return check_text(text, channel=channel, prefix=mention_prefix(channel, message, text),
                      limit=limit_for(channel, variant=ctx["variant"], configured=ctx["configured"]),
                      length=partial(measure, channel=channel))


def length_of(*, session: Session, settings: Settings, message_id: int, text: str) -> dict[str, Any]:
    """The reply box's live counter: the draft's length in its channel's count, and the limit."""
    message = inbox_service.get_item(session=session, item_id=message_id)
    ctx = limit_context(settings, message)
    prefix = mention_prefix(ctx["channel"], message, text)
    return {**length_report(prefix + text.strip(), **ctx), "channel": ctx["channel"]}


def queue_reply(*, session: Session, settings: Settings, message_id: int, user: t.User, text: str,
                now: datetime, defer: bool = False, keep_open: bool = False) -> Reply:
    """Write the reply to the outbox: queued now, or deferred to business hours' next start."""
    message = inbox_service.get_item(session=session, item_id=message_id)
    check_may_reply(user, message)
    check_defer(defer=defer, urgency=message.urgency)
    body = checked_text(settings, message, text)
    send_after = next_business_start(now, current_rules(session=session)) if defer else None
    if send_after is not None and send_after <= now:
        send_after = None  # "in the morning" during business hours means now
    row = repo.add(session=session, message=message, text=body, kind="reply", now=now,
                   status="deferred" if send_after else "queued", author_id=user.id,
                   keep_open=keep_open, dry_run=dry_run(settings), send_after=send_after)
    audit(session=session, actor=user.username, action="reply.queue", entity="message",
                     entity_id=message.id, now=now,
                     detail={"reply": row.id, "send_after": send_after and send_after.isoformat(),
                             "keep_open": keep_open})
    return row


def retry(*, session: Session, reply_id: int, user: t.User, now: datetime) -> Reply:
    """A manager sends a failed or dead reply again (after fixing the credentials, say)."""
    check_may_reply(user, repo.get(session=session, reply_id=reply_id).message)
    return retry_as(session=session, reply_id=reply_id, actor=user.username, now=now)


def retry_as(*, session: Session, reply_id: int, actor: str, now: datetime) -> Reply:
    """Queue a failed or dead reply again, audited under `actor` (a manager, or "cli")."""
    row = repo.retry_by_hand(session=session, reply_id=reply_id, now=now)
    audit(session=session, actor=actor, action="reply.retry", entity="reply",
          entity_id=row.id, now=now, detail={"last_error": row.last_error})
    return row


def outbox(*, session: Session, statuses: Sequence[str] | None, limit: int,
           now: datetime) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """The outbox as operators read it: the count per status and the newest rows."""
    zone = current_rules(session=session).team_timezone
    rows = repo.by_status(session=session, statuses=statuses, limit=limit)
    return repo.depth_by_status(session=session), [serialize(r, now=now, zone=zone) for r in rows]


def message_of(*, session: Session, reply_id: int) -> int:
    """The id of the inbox item a reply answers; NotFound when the reply does not exist."""
    return repo.get(session=session, reply_id=reply_id).message_id


def thread_of(*, session: Session, message_id: int) -> list[Reply]:
    """Every reply into the thread of `message_id`, oldest first."""
    message = inbox_service.get_item(session=session, item_id=message_id)
    return repo.for_threads(session=session, threads=[(message.source, message.thread_id)])


def serialize(row: Reply, *, now: datetime, zone: str = "UTC") -> dict[str, Any]:
    """An outbox row as the API returns it, with the label the inbox shows."""
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": row.id, "message_id": row.message_id, "source": row.source,
        "thread_id": row.thread_id, "kind": row.kind, "status": row.status, "text": row.text,
        "author": row.author.username if row.author else None, "keep_open": row.keep_open,
        "dry_run": row.dry_run, "attempts": row.attempts, "last_error": row.last_error,
        "next_attempt_at": iso(row.next_attempt_at), "send_after": iso(row.send_after),
        "external_id": row.external_id, "created_at": iso(row.created_at),
        "sent_at": iso(row.sent_at), "retryable": row.status in RETRYABLE_BY_HAND,
        "label": status_label(status=row.status, dry_run=row.dry_run, send_after=row.send_after,
                              next_attempt_at=row.next_attempt_at, last_error=row.last_error,
                              attempts=row.attempts, now=now, zone=zone),
    }


def page_context(*, session: Session, messages: Sequence[t.Message],
                 now: datetime) -> dict[str, Any]:
    """What the inbox's reply partials need for a page of items, in one query."""
    rules = current_rules(session=session)
    rows = repo.for_threads(session=session, threads=[(m.source, m.thread_id) for m in messages])
    by_thread: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        by_thread.setdefault((r.source, r.thread_id), []).append(
            serialize(r, now=now, zone=rules.team_timezone))
    morning = next_business_start(now, rules)
    return {
        "by_item": {m.id: by_thread.get((m.source, m.thread_id), []) for m in messages},
        "suggest_morning": suggest_morning(now, rules),
        "morning": when_label(morning, now=now, zone=rules.team_timezone),
    }
