"""Running the pollers: the tick queues due sources; a job polls one, buffers, then saves its cursor."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import httpx
import redis
from pydantic import SecretStr, ValidationError
from redis.exceptions import LockError

from triage.bootstrap import Services, UnknownSource
from triage.core.message import Message
from triage.intake import store as repo
from triage.intake.connectors.polling import (
    AuthExpired,
    Poller,
    PollResult,
    RateLimited,
    TransientError,
)
from triage.intake.domain import (
    DEFAULT_INTERVAL,
    ErrorKind,
    PollState,
    after_failure,
    after_success,
    interval_from,
    is_due,
)
from triage.intake.ingest import buffer_messages, drop_own
from triage.intake.netguard import guarded_client
from triage.intake.skips import SkipLog
from triage.platform import metrics
from triage.platform.db import transaction
from triage.platform.queue import JOB_TIMEOUT, POLL, POLL_JOB, enqueue

log = logging.getLogger(__name__)

HTTP_TIMEOUT = 30.0  # seconds per request; a hung platform costs one poll, not the worker
USER_AGENT = "triage-poller/0.1"


class NotAPoller(LookupError):
    """The source is configured, but its connector receives webhooks instead of polling."""


class PollGate:
    """Owns the Redis keys that keep one poll per source in flight: a queued flag and a run lock."""

    queued_key = "triage:poll:queued:{source}"
    lock_key = "triage:poll:lock:{source}"
    hold_seconds = JOB_TIMEOUT + 60  # outlives a job; a lost one blocks its source no longer

    def __init__(self, conn: redis.Redis):
        self.conn = conn

    def claim(self, source: str) -> bool:
        """True for the one caller that may queue (or run) the next poll of `source`."""
        key = self.queued_key.format(source=source)
        return bool(self.conn.set(key, "1", nx=True, ex=self.hold_seconds))

    def release(self, source: str) -> None:
        self.conn.delete(self.queued_key.format(source=source))

    def in_flight(self, source: str) -> bool:
        return bool(self.conn.exists(self.queued_key.format(source=source),
                                     self.lock_key.format(source=source)))

    def lock(self, source: str):
        return self.conn.lock(self.lock_key.format(source=source), timeout=self.hold_seconds,
                              blocking=False)


@dataclass
class PollReport:
    """What one poll did: outcome, new and duplicate counts, the error; messages for the CLI."""

    source: str
    outcome: str  # ok, backlog, rate_limited, transient, auth_expired, error, busy, not_due
    status: str
    new: int = 0
    duplicates: int = 0
    skipped: int = 0  # entries that could not be read: quarantined in SkipLog, the poll went on
    ignored: int = 0  # deleted, empty, automated or our own: left out on purpose
    error: str | None = None
    next_poll_at: datetime | None = None
    messages: list[Message] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        """The job result: JSON-safe, without message bodies."""
        return {"source": self.source, "outcome": self.outcome, "status": self.status,
                "new": self.new, "duplicates": self.duplicates, "skipped": self.skipped,
                "ignored": self.ignored, "error": self.error,
                "next_poll_at": self.next_poll_at.isoformat() if self.next_poll_at else None}


def pollers(services: Services) -> dict[str, str]:
    """Configured sources whose connector polls, by slug, with their channel."""
    return {slug: cfg.channel for slug, cfg in services.settings.sources.items()
            if getattr(services.channels.get(cfg.channel), "kind", None) == "poller"}


def config_digest(services: Services, source: str) -> str:
    """A keyed hash of the source's settings: new credentials revive an expired source."""
    cfg = services.settings.sources[source]
    doc = json.dumps({"channel": cfg.channel, "options": cfg.options,
                      "secret": cfg.secret.get_secret_value() if cfg.secret else None},
                     sort_keys=True, default=str)
    key = services.settings.secret_key.get_secret_value().encode()
    return hmac.new(key, doc.encode(), hashlib.sha256).hexdigest()


def enqueue_due(*, services: Services) -> int:
    """Queue a poll job for every due source not already in flight; the tick calls this."""
    polled = pollers(services)
    if not polled:
        return 0
    now = services.clock.now()
    with transaction(services.db) as session:
        repo.ensure(session=session, channels=polled, now=now)
        rows = [r for r in repo.list_all(session=session) if r.slug in polled]
        due = [r.slug for r in rows if is_due(repo.state_of(r), now, credentials_changed=_changed(
            services, r.slug, r.config_digest))]
    return sum(_enqueue(services, slug, force=False) for slug in due)


def request_poll(*, services: Services, source: str) -> bool:
    """Poll now (a person asked): queued unless a poll of it is already queued or running."""
    check_poller(services, source)
    return _enqueue(services, source, force=True)


def poll_once(*, services: Services, source: str, http: httpx.Client | None = None) -> PollReport:
    """Poll now in this process (the CLI), unless a poll of it is already queued or running."""
    check_poller(services, source)
    if not PollGate(services.redis).claim(source):
        return PollReport(source, "busy", "polling")
    return run_poll(services=services, source=source, force=True, http=http)


def run_poll(*, services: Services, source: str, force: bool = False,
             http: httpx.Client | None = None) -> PollReport:
    """Poll one source under its lock: buffer what it took, then save the cursor and schedule."""
    gate = PollGate(services.redis)
    try:
        check_poller(services, source)
    except LookupError:  # unconfigured since it was queued: nothing to poll, nothing held
        gate.release(source)
        raise
    lock = gate.lock(source)
    if not lock.acquire(blocking=False):
        gate.release(source)  # the poll running now releases it too; the lock keeps runs apart
        return PollReport(source, "busy", "polling")
    try:
        report = _poll_locked(services, source, force=force, http=http)
    finally:
        with suppress(LockError):
            lock.release()
        gate.release(source)
    if report.outcome == "backlog":  # more is waiting: the next poll goes straight to the queue
        _enqueue(services, source, force=False)
    return report


def check_poller(services: Services, source: str) -> None:
    """Raise UnknownSource or NotAPoller unless `source` is a configured polled account."""
    cfg = services.settings.sources.get(source)
    if cfg is None or cfg.channel not in services.channels:
        raise UnknownSource(source)
    if services.channels[cfg.channel].kind != "poller":
        raise NotAPoller(f"source {source!r} receives webhooks; it is not polled")


def _poll_locked(services: Services, source: str, *, force: bool,
                 http: httpx.Client | None) -> PollReport:
    now, cfg = services.clock.now(), services.settings.sources[source]
    digest = config_digest(services, source)
    with transaction(services.db) as session:
        repo.ensure(session=session, channels={source: cfg.channel}, now=now)
        row = repo.get(session=session, slug=source)
        state, cursor, old_digest = repo.state_of(row), dict(row.cursor or {}), row.config_digest
    if not force and not is_due(state, now, credentials_changed=_changed(services, source, old_digest)):
        return PollReport(source, "not_due", state.status, next_poll_at=state.next_poll_at)
    failed = partial(_failed, services, source, state=state, digest=digest)
    try:
        interval = interval_from(cfg.options)
        channel = _build(services, source)
    except (ValueError, TypeError) as exc:  # a settings typo shows on the status page, retried slowly
        return failed(kind="error", error=str(exc), interval=DEFAULT_INTERVAL)
    hide = partial(redact, secrets=secrets_of(channel))
    try:
        result = _fetch(channel, cursor, now, http)
    except RateLimited as exc:
        return failed(kind="rate_limited", error=hide(str(exc)), interval=interval,
                      retry_after=exc.retry_after)
    except AuthExpired as exc:
        return failed(kind="auth_expired", error=hide(str(exc)), interval=interval)
    except TransientError as exc:
        return failed(kind="transient", error=hide(str(exc)), interval=interval,
                      retry_after=exc.retry_after)
    except Exception as exc:  # noqa: BLE001 - PollError, PayloadError or a connector bug: back off
        return failed(kind="error", error=hide(f"{type(exc).__name__}: {exc}"), interval=interval)
    # Durable in the buffer first: a crash before the cursor is saved re-polls, and the buffer's
    # (source, external id) dedup keeps the second copy out.
    kept, own = drop_own(conn=services.redis, source=source, messages=result.messages)
    accepted = buffer_messages(services=services, messages=kept)
    SkipLog(services.redis).record(source=source, skipped=result.skipped,
                                   ignored=result.ignored + own, now=now)
    for s in result.skipped:  # ids and reasons only: an entry's text may be personal data
        log.warning("poll of %s skipped entry %s: %s", source, s.entry_id, hide(s.reason))
    backlog = result.status == "backlog"
    new_state = after_success(state, now=now, interval=interval, taken=accepted.new, backlog=backlog,
                              retry_after=None if backlog else result.retry_after)
    _save(services, source, new_state, digest, cursor=result.cursor)
    outcome = "backlog" if backlog else "ok"
    metrics.POLLS.labels(source=source, outcome=outcome).inc()
    return PollReport(source, outcome, new_state.status, new=accepted.new,
                      duplicates=accepted.duplicates, skipped=len(result.skipped),
                      ignored=result.ignored + own, next_poll_at=new_state.next_poll_at,
                      messages=kept)


def _build(services: Services, source: str) -> Poller:
    """The connector for `source`; a config that does not fit names the fields, never the values."""
    try:
        channel = services.channel_for(source)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}"
                             for e in exc.errors())
        raise ValueError(f"source {source!r} is misconfigured: {problems}") from None
    if not isinstance(channel, Poller):  # a plugin that says "poller" but does not implement it
        raise TypeError(f"source {source!r}: {type(channel).__name__} is not a Poller")
    return channel


def _fetch(channel: Poller, cursor: dict, now: datetime, http: httpx.Client | None) -> PollResult:
    if http is not None:
        return channel.poll(cursor=cursor or None, http=http, now=now)
    with guarded_client(allow_private=channel.config.allow_private_network, timeout=HTTP_TIMEOUT,
                        follow_redirects=True, headers={"User-Agent": USER_AGENT}) as client:
        return channel.poll(cursor=cursor or None, http=client, now=now)


def _failed(services: Services, source: str, *, state: PollState, digest: str, kind: ErrorKind,
            error: str, interval: timedelta, retry_after: float | None = None) -> PollReport:
    log.warning("poll of %s failed (%s): %s", source, kind, error)
    new_state = after_failure(state, now=services.clock.now(), interval=interval, kind=kind,
                              error=error, retry_after=retry_after)
    _save(services, source, new_state, digest)
    metrics.POLLS.labels(source=source, outcome=kind).inc()
    metrics.POLL_ERRORS.labels(source=source, kind=kind).inc()
    return PollReport(source, kind, new_state.status, error=new_state.last_error,
                      next_poll_at=new_state.next_poll_at)


def _save(services: Services, source: str, state: PollState, digest: str,
          cursor: dict | None = None) -> None:
    with transaction(services.db) as session:
        row = repo.get(session=session, slug=source)
        repo.save(row=row, state=state, digest=digest, cursor=cursor)


def secrets_of(channel: Poller) -> list[str]:
    """Every secret value in the connector's config (SecretStr fields and the webhook secret)."""
    return [v.get_secret_value() for v in dict(channel.config).values()
            if isinstance(v, SecretStr) and v.get_secret_value()]


def redact(text: str, *, secrets: list[str]) -> str:
    """The text with each secret masked, for logs and the status page."""
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, "***")
    return text


def _changed(services: Services, source: str, old_digest: str | None) -> bool:
    return old_digest is not None and old_digest != config_digest(services, source)


def _enqueue(services: Services, source: str, *, force: bool) -> bool:
    gate = PollGate(services.redis)
    if not gate.claim(source):
        return False
    try:
        enqueue(services.redis, POLL, POLL_JOB, source, force, retries=0)
    except Exception:
        gate.release(source)
        raise
    return True
