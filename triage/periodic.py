"""The tick: periodic duties and the rescue of work a crash left behind, each isolated from the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import redis

from triage.bootstrap import Services
from triage.intake import messages as repo
from triage.intake import polling
from triage.intake.messages import chunks
from triage.platform import metrics
from triage.platform.db import transaction
from triage.platform.leader import last_beat
from triage.platform.queue import (
    DRAIN_JOB,
    INGEST,
    ROUTE,
    ROUTE_JOB,
    SCORE,
    SCORE_JOB,
    IngestBuffer,
    enqueue,
    queue,
)
from triage.replies import outbox
from triage.scoring import storms

log = logging.getLogger(__name__)


def tick(*, services: Services) -> dict[str, int]:
    """Recover what a crash left behind and run the periodic duties, each isolated from the others.

    A duty that raises is logged and counted, and the rest still run: a locked database must not
    stop polls, and a broken poller must not stop the rescue of unscored messages.
    """
    now, out = services.clock.now(), {}
    duties: dict[str, Callable[[], int]] = {
        "drain": lambda: _rescue_buffer(services),
        "rescue": lambda: _rescue_stuck(services, now, out),
        "routing_pass": lambda: int(_routing().request_on_tick(
            services.redis, retries=services.settings.job_retries)),
        "reprioritised": lambda: _refresh(services, now),
        "spikes": lambda: storms.publish_spikes(db=services.db, conn=services.redis, now=now),
        "polls": lambda: polling.enqueue_due(services=services),
        "replies": lambda: outbox.tick(services=services, now=now),
    }
    errors = 0
    for name, duty in duties.items():
        try:
            out[name] = duty()
        except Exception:  # noqa: BLE001 - log it, the next tick tries again
            errors += 1
            metrics.TICK_ERRORS.labels(duty=name).inc()
            log.exception("tick duty %s failed", name)
    out["errors"] = errors
    return out


def _routing():
    # Imported here: the scheduler is optional to the pipeline.
    from triage.scheduling import routing

    return routing


def _rescue_buffer(services: Services) -> int:
    """A drain for anything buffered, including entries a dead drainer left pending."""
    if not services.buffer.depth():
        return 0
    enqueue(services.redis, INGEST, DRAIN_JOB, retries=services.settings.job_retries)
    return 1


def _rescue_stuck(services: Services, now: datetime, out: dict[str, int]) -> int:
    """Re-enqueue messages left unscored or unrouted after a worker died."""
    older = now - timedelta(seconds=services.settings.stale_after_seconds)
    stale_received: list[int] = []
    stale_scored: list[int] = []
    # Only when a stage's queue is empty: otherwise a waiting job may still cover them.
    with services.db() as session:
        if queue(services.redis, SCORE).count == 0:
            set_aside = services.buffer.quarantined_stored()  # scoring them failed: don't loop
            stale_received = [i for i in repo.stuck(session=session, stage="received",
                                                    older_than=older) if i not in set_aside]
        if queue(services.redis, ROUTE).count == 0:
            stale_scored = repo.stuck(session=session, stage="scored", older_than=older)
    for chunk in chunks(stale_received, services.settings.score_batch):
        enqueue(services.redis, SCORE, SCORE_JOB, chunk, retries=services.settings.job_retries)
    for chunk in chunks(stale_scored, 500):
        enqueue(services.redis, ROUTE, ROUTE_JOB, chunk, retries=services.settings.job_retries)
    out["score"], out["route"] = len(stale_received), len(stale_scored)
    return len(stale_received) + len(stale_scored)


REFRESHED_KEY = "triage:priority:refreshed_at"  # the last refresh's `now`
FULL_KEY = "triage:priority:full_at"  # the last refresh that looked at every open item
FULL_EVERY = timedelta(minutes=15)
OVERLAP = timedelta(minutes=2)  # a score committed late still has its steps looked at


def _refresh(services: Services, now: datetime) -> int:
    """Waiting time lifts items toward their target: each tick re-ranks the items that crossed a
    step since the last one; every FULL_EVERY (and after a restart or a clock jump) all of them,
    a safety net for a row a window missed."""
    conn = services.redis
    last, full = (_when(conn.get(key)) for key in (REFRESHED_KEY, FULL_KEY))
    whole = last is None or full is None or not full <= last <= now or now - full >= FULL_EVERY
    with transaction(services.db) as session:
        changed = repo.refresh_priorities(session=session, now=now, since=None if whole else last - OVERLAP)
    conn.set(REFRESHED_KEY, now.isoformat())
    if whole:
        conn.set(FULL_KEY, now.isoformat())
    return changed


def _when(raw: bytes | None) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.decode()) if raw else None
    except ValueError:
        return None


def ingest_health(services: Services, conn: redis.Redis | None = None) -> dict[str, float]:
    """Oldest buffered message's age, whether that counts as stalled, seconds since the tick's beat.

    No heartbeat yet reads as -1: a deployment that has not started its tick is new, not broken.
    """
    conn = conn or services.redis
    age = IngestBuffer(conn).oldest_age()
    beat = last_beat(conn)
    since = (services.clock.now() - beat).total_seconds() if beat else -1.0
    return {"oldest_buffered_seconds": round(age, 1),
            "stalled": float(age > services.settings.ingest_stall_seconds),
            "tick_heartbeat_age_seconds": round(since, 1)}
