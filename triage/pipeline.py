"""The pipeline stages the workers run: drain the buffer, score, route; and the tick (periodic.py)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from triage.bootstrap import Services
from triage.core.message import Message
from triage.intake import messages as repo
from triage.people.authors_auto import link_arrivals
from triage.people.service import link_new_authors
from triage.periodic import chunks, tick  # noqa: F401 - `pipeline.tick` stays the public name
from triage.platform import metrics
from triage.platform.db import is_outage, transaction  # noqa: F401 - `pipeline.is_outage` too
from triage.platform.queue import (
    DRAIN_JOB,
    INGEST,
    ROUTE,
    ROUTE_JOB,
    SCORE,
    SCORE_JOB,
    Entry,
    enqueue,
)
from triage.scoring import relationship, storms
from triage.scoring.domain.rules import RuleScorer

log = logging.getLogger(__name__)

SCORER_STATUS_KEY = "triage:scorer:status"  # what the workers score with, for the inbox banner
DRAIN_BUDGET_SECONDS = 30  # a drain job hands over to a fresh one after this, so retries stay small


def drain_ingest(*, services: Services, consumer: str | None = None) -> int:
    """Move what is buffered now into the database in batches, and enqueue its scoring.

    One pass, not a loop that waits for more: a drainer that kept going under steady traffic
    would starve the score queue behind it. Whatever arrives later schedules its own drain.
    Entries are acknowledged only after their commit (see `IngestBuffer`), so drainers need no
    lock: two at once read different entries, and a stalled one's are claimed by the next.
    """
    buffer, stored, size = services.buffer, 0, services.settings.ingest_batch
    consumer = consumer or f"drain-{uuid.uuid4().hex[:12]}"
    # Clear "a drain is queued" first: anything pushed before this is ours to read below,
    # anything pushed after it schedules the next drain. Until then, arrivals ride on this job.
    services.redis.delete(buffer.drain_flag_key)
    started = time.monotonic()
    try:
        while time.monotonic() - started < DRAIN_BUDGET_SECONDS:
            entries = buffer.read(consumer, size)
            if entries:
                stored += _store_entries(services=services, entries=entries)
            if len(entries) < size:
                break
        else:
            enqueue(services.redis, INGEST, DRAIN_JOB, retries=services.settings.job_retries)
    finally:
        try:
            buffer.release(consumer)
        except RedisError:  # Redis went away: the name stays, harmless, and is reused by nobody
            log.warning("could not release drain consumer %s", consumer)
    return stored


def _store_entries(*, services: Services, entries: list[Entry]) -> int:
    """Store a batch, then acknowledge it; a message that cannot be stored is quarantined."""
    now, messages, bad = services.clock.now(), [], []
    for entry in entries:
        try:
            messages.append(Message.model_validate_json(entry.doc).received(now))
        except Exception as exc:  # noqa: BLE001 - whatever the reason, this one message is at fault
            services.buffer.quarantine(entry.doc, _reason(exc))
            bad.append(entry.id)
    services.buffer.ack(bad)
    new = _store_or_split(services=services, messages=messages, now=now)
    services.buffer.ack([e.id for e in entries if e.id not in bad])
    for source, count in Counter(src for _, src in new).items():
        metrics.STORED.labels(source=source).inc(count)
    ids = sorted(i for i, _ in new)
    for chunk in chunks(ids, services.settings.score_batch):
        enqueue(services.redis, SCORE, SCORE_JOB, chunk, retries=services.settings.job_retries)
    return len(ids)


def _store_or_split(*, services: Services, messages: list[Message],
                    now: datetime) -> list[tuple[int, str]]:
    """Insert in one transaction; when the data fails it, halve until the culprit stands alone."""
    if not messages:
        return []
    try:
        with transaction(services.db) as session:
            return store_messages(session=session, messages=messages, now=now)
    except Exception as exc:  # noqa: BLE001 - IntegrityError, DataError, OverflowError, ...
        if is_outage(exc):
            raise  # the job retries; its entries stay pending, nothing is dropped
        if len(messages) == 1:
            metrics.QUARANTINED.labels(stage="store").inc()
            services.buffer.quarantine(messages[0].model_dump_json(), _reason(exc))
            return []
    half = len(messages) // 2
    return [*_store_or_split(services=services, messages=messages[:half], now=now),
            *_store_or_split(services=services, messages=messages[half:], now=now)]


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:500]}"


def store_messages(*, session: Session, messages: Sequence[Message],
                   now: datetime) -> list[tuple[int, str]]:
    """Store a batch and link its authors to the people they name, in the caller's transaction.

    Returns (id, source) of the new messages; re-deliveries are skipped. Linking runs under its
    own savepoint (see `authors_auto.link_arrivals`): it never fails the batch.
    """
    if not messages:
        return []
    inserted = repo.insert_messages(session=session, messages=messages, now=now)
    link_arrivals(session=session, messages=messages, author_ids=inserted.author_ids,
                  message_ids=[i for i, _ in inserted.new], now=now)
    return inserted.new


def score(*, services: Services, ids: Sequence[int]) -> int:
    """Score a batch; if it fails on its data, one by one, and set aside only the ones that fail.

    When every message fails alone too, the fault is not in the data (a broken scorer, a bug):
    the job fails and retries, then waits in RQ's failed registry, rather than hiding everything.
    """
    try:
        return _score(services=services, ids=ids)
    except Exception as exc:
        if is_outage(exc) or len(ids) < 2:
            raise
        log.warning("scoring %d messages failed (%s); retrying them one by one", len(ids), exc)
    written, failures = 0, []
    for message_id in ids:
        try:
            written += _score(services=services, ids=[message_id])
        except Exception as exc:
            if is_outage(exc):
                raise
            failures.append((message_id, exc))
    if len(failures) == len(ids):
        raise failures[0][1]
    for message_id, exc in failures:
        metrics.QUARANTINED.labels(stage="score").inc()
        services.buffer.quarantine_stored(message_id=message_id, stage="score", error=_reason(exc))
    return written


def _score(*, services: Services, ids: Sequence[int]) -> int:
    now = services.clock.now()
    with transaction(services.db) as session:
        link_new_authors(session=session, message_ids=ids)  # CRM contacts imported before they wrote
        rows = repo.unscored(session=session, ids=ids)
        if not rows:
            return 0
        contexts = repo.author_contexts(session=session, rows=rows)
        policy = relationship.active_policy(session=session, conn=services.redis)
        domain = [repo.to_domain(r) for r in rows]
        scorer, vectors = services.scorer, None
        try:
            scores = scorer.score_batch(domain, contexts)
            vectors = _storm_vectors(scorer, domain)
        except Exception as exc:  # the model failed on this batch: rules keep the inbox moving
            log.exception("scorer %s failed on a batch; rule scorer takes over", scorer.name)
            metrics.SCORER_FALLBACK.labels(reason=type(exc).__name__).inc()
            scores = RuleScorer().score_batch(domain, contexts)
        scores = [relationship.apply_policy(s, c, policy) for s, c in zip(scores, contexts, strict=True)]
        written = repo.save_scores(session=session, pairs=zip(rows, scores, strict=True), now=now)
        waits = [(now - r.received_at).total_seconds() for r in rows]
    try:  # after the commit, under a short lock: model calls never wait for another worker
        storms.StormGrouper().group(db=services.db, conn=services.redis, rows=rows,
                                    vectors=vectors, now=now)
    except Exception:  # grouping is a convenience: the messages stay single items, never lost
        log.exception("storm grouping failed for %d messages", len(rows))
    for s in scores:
        metrics.SCORED.labels(urgency=s.urgency, model=s.model).inc()
    for seconds in waits:
        metrics.INGEST_TO_SCORED.observe(max(0.0, seconds))
    services.redis.set(SCORER_STATUS_KEY, json.dumps({"model": scorer.name, "at": now.isoformat()}))
    enqueue(services.redis, ROUTE, ROUTE_JOB, [r.id for r in rows], retries=services.settings.job_retries)
    return written


def _storm_vectors(scorer, messages: Sequence[Message]):
    """The learned scorer's embeddings for storm grouping; None means exact-text grouping."""
    embed = getattr(scorer, "embeddings", None)
    if embed is None:
        return None
    try:
        return embed(messages)
    except Exception:  # fall back to exact text, never fail the batch
        log.exception("no embeddings for storm grouping; grouping by exact text")
        return None


def route(*, services: Services, ids: Sequence[int]) -> int:
    """Mark scored messages routed, then make sure a routing pass reads them (one may run here)."""
    # imported here: the scheduler is optional to the pipeline
    from triage.scheduling import route_jobs, routing

    services.redis.delete(routing.REQUESTED_KEY)  # requests from now on queue a fresh pass
    if ids:
        with transaction(services.db) as session:
            repo.mark_routed(session=session, ids=ids)
    reports = route_jobs.run_passes(services=services)
    for report in reports:
        log.info("routing pass: %s", report)
    return sum(r.assigned + r.pages for r in reports)
