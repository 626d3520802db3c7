"""Sending the outbox: the RQ job, retries with back-off, crash recovery and holding replies.

A row is committed `sending` before the platform is called and `sent` only after it answered,
so a worker that dies in between leaves a `sending` row the tick puts back in the queue: a
reply may then go out twice (Mastodon's idempotency key prevents that there), never zero times.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import httpx
import redis
from sqlalchemy.exc import IntegrityError

from triage.bootstrap import Services
from triage.core.errors import DomainError, Invalid
from triage.inbox import service as inbox
from triage.intake import messages as messages_repo
from triage.platform import metrics
from triage.platform import tables as t
from triage.platform.db import transaction
from triage.platform.queue import REPLY, SEND_JOB, enqueue, queue
from triage.platform.sent_ids import SentIds
from triage.replies import store as repo
from triage.replies.domain import retry_at, wants_holding
from triage.replies.repliers import build_replier, channel_of, dry_run
from triage.replies.senders.base import (
    DryRunOutbox,
    Replier,
    ReplyAuthError,
    ReplyError,
    ReplyTemporary,
)
from triage.replies.service import checked_text
from triage.scheduling.domain.sla import business_elapsed
from triage.scheduling.staffing import current_rules

log = logging.getLogger(__name__)

SEND_BATCH = 20  # replies per job: one slow platform holds up at most this many
HTTP_TIMEOUT = 30.0  # seconds per platform call; SMTP has the same in replies/senders/base.py
# Well past one send's timeouts (SMTP may wait 30 s at connect, TLS, login and data): a row still
# `sending` after this has lost its worker.
SENDING_STALE = timedelta(minutes=5)
HOLDING_WINDOW = timedelta(hours=1)  # only messages that just arrived get a holding reply
MAX_ERROR_CHARS = 1000

BuildReplier = Callable[..., Replier]


def dispatch(*, services: Services, ids: Sequence[int]) -> int:
    """Enqueue send jobs for committed rows; if Redis is away the tick enqueues them later."""
    try:
        for i in range(0, len(ids), SEND_BATCH):
            enqueue(services.redis, REPLY, SEND_JOB, list(ids[i:i + SEND_BATCH]),
                    retries=services.settings.job_retries)
    except redis.RedisError:
        log.exception("could not enqueue replies %s; the tick will", list(ids))
        return 0
    return len(ids)


def send(*, services: Services, ids: Sequence[int], build: BuildReplier = build_replier) -> int:
    """Send each queued reply among `ids`; rows already taken or not yet due are skipped."""
    sent = 0
    with httpx.Client(timeout=HTTP_TIMEOUT) as http:
        for reply_id in ids:
            sent += _send_one(services=services, reply_id=reply_id, http=http, build=build)
    return sent


def _send_one(*, services: Services, reply_id: int, http: httpx.Client, build: BuildReplier) -> int:
    with transaction(services.db) as session:
        if not repo.claim(session=session, reply_id=reply_id, now=services.clock.now()):
            return 0
        row = repo.for_sending(session=session, reply_id=reply_id)
        original = messages_repo.to_domain(row.message)
        in_reply_to = row.message.external_id
    # Committed `sending` above; the platform is called outside any transaction.
    channel = channel_of(services.settings, row.source)
    try:
        replier = build(services.settings, row.source, http=http, clock=services.clock.now)
        receipt = replier.send(thread=row.thread_id, in_reply_to=in_reply_to, text=row.text,
                               original=original)
    except ReplyError as exc:
        _failed(services=services, row=row, channel=channel, error=exc)
        return 0
    except Exception as exc:  # a bug or an unforeseen library error: retried like a 5xx, visibly
        log.exception("reply %s: unexpected error from the %s replier", reply_id, channel)
        _failed(services=services, row=row, channel=channel,
                error=ReplyTemporary(f"{type(exc).__name__}: {exc}"))
        return 0
    simulated = isinstance(replier, DryRunOutbox)
    now = services.clock.now()
    with transaction(services.db) as session:
        repo.finish(session=session, reply_id=reply_id, now=now, status="sent", sent_at=now,
                    external_id=f"dry-run-{reply_id}" if simulated else receipt.external_id,
                    raw=receipt.raw, dry_run=simulated, next_attempt_at=None)
    metrics.REPLIES.labels(channel=channel, outcome="dry_run" if simulated else "sent").inc()
    if not simulated:
        _remember_sent(services=services, source=row.source, external_id=receipt.external_id)
    if row.kind == "reply" and not row.keep_open:  # apart from `sent`: failing here resends nothing
        with transaction(services.db) as session:
            resolved = _resolve(session, row, now)
        if resolved:
            inbox.after_move(services=services, action="resolve")
    return 1


def _remember_sent(*, services: Services, source: str, external_id: str) -> None:
    """Tell intake this id is ours, so the platform's echo of our reply is dropped; the reply is
    already sent and stored, so Redis being away only costs a possible echo, never a resend."""
    try:
        SentIds(services.redis).remember(source=source, external_id=external_id,
                                         now=services.clock.now())
    except redis.RedisError:
        log.warning("reply id %s on %s not remembered as ours (Redis)", external_id, source)


def _resolve(session, row, now: datetime) -> bool:
    """A sent reply answers the item: resolve it as its author would, unless that no longer fits."""
    user = session.get(t.User, row.author_id) if row.author_id else None
    if user is None:
        return False
    try:
        inbox.act(session=session, item_id=row.message_id, user=user, action="resolve", now=now,
                  note=f"replied (reply {row.id})")
    except DomainError:  # already resolved, or someone else took it meanwhile: leave it be
        return False
    return True


def _failed(*, services: Services, row, channel: str, error: ReplyError) -> None:
    """Temporary: back to the queue after a back-off (dead after too many); else `failed`."""
    now, message = services.clock.now(), str(error)[:MAX_ERROR_CHARS]
    if error.retryable:
        when = retry_at(attempts=row.attempts, now=now, retry_after=error.retry_after)
        values = ({"status": "dead"} if when is None
                  else {"status": "queued", "next_attempt_at": when})
        outcome = "dead" if when is None else "retry"
    else:
        values = {"status": "failed"}
        outcome = "auth_error" if isinstance(error, ReplyAuthError) else "rejected"
    with transaction(services.db) as session:
        repo.finish(session=session, reply_id=row.id, now=now, last_error=message, **values)
    log.warning("reply %s via %s: %s (%s)", row.id, channel, outcome, message)
    metrics.REPLIES.labels(channel=channel, outcome=outcome).inc()
    metrics.REPLY_FAILURES.labels(channel=channel, outcome=outcome).inc()


def tick(*, services: Services, now: datetime | None = None) -> int:
    """Recover and release: stale `sending` rows, morning sends, due retries, holding replies."""
    now = now or services.clock.now()
    with transaction(services.db) as session:
        moved = repo.requeue_stale(session=session, older_than=now - SENDING_STALE, now=now)
        moved += repo.release_deferred(session=session, now=now)
    moved += queue_holding(services=services, now=now)
    if queue(services.redis, REPLY).count:  # a waiting job may cover them; claims make repeats safe
        return moved
    with services.db() as session:
        due = repo.due(session=session, now=now)
    dispatch(services=services, ids=due)
    return moved + len(due)


def queue_holding(*, services: Services, now: datetime) -> int:
    """Write a holding reply for each thread that just got a message outside business hours."""
    since = now - HOLDING_WINDOW
    with transaction(services.db) as session:
        rules = current_rules(session=session)
        template = rules.holding_reply.strip()
        if not template or business_elapsed(since, now, rules) >= HOLDING_WINDOW:
            return 0  # switched off, or everything recent arrived in business hours
        new, threads = [], set()
        for message in repo.holding_candidates(session=session, since=since):
            thread = (message.source, message.thread_id)
            if thread in threads or not wants_holding(
                    template=template, received_at=message.received_at, urgency=message.urgency,
                    intent=message.score.intent if message.score else None, rules=rules):
                continue
            threads.add(thread)
            row = _add_holding(session=session, services=services, message=message,
                               template=template, now=now)
            if row is not None:
                new.append(row.id)
    dispatch(services=services, ids=new)
    return len(new)


def _add_holding(*, session, services: Services, message: t.Message, template: str,
                 now: datetime):
    try:
        text = checked_text(services.settings, message, template)
    except Invalid as exc:
        log.warning("no holding reply for message %s: %s", message.id, exc)
        return None
    try:
        with session.begin_nested():  # a racing tick may have written it: the unique key decides
            return repo.add(session=session, message=message, text=text, kind="holding",
                            status="queued", now=now, dry_run=dry_run(services.settings),
                            dedupe_key=f"holding:{message.source}:{message.thread_id}"[:400])
    except IntegrityError:
        return None
