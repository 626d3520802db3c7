"""Accepting messages: verify, parse and buffer them in Redis before anyone is told 'accepted'."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import redis

from triage.bootstrap import Services
from triage.core.message import Message
from triage.intake.connectors.base import (
    Channel,
    HandshakeReply,
    PayloadError,
    SignatureError,
    Skipped,
)
from triage.intake.skips import SkipLog
from triage.platform import metrics
from triage.platform.queue import DRAIN_JOB, INGEST, Accepted, IngestBuffer, enqueue
from triage.platform.sent_ids import SentIds


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    """What became of one delivery: accepted, left out on purpose, or entries skipped."""

    accepted: Accepted
    ignored: int = 0
    quarantined: bool = False
    skipped: tuple[Skipped, ...] = ()


# Headers a parser may read (event type, content type); signatures are not kept.
KEPT_HEADERS = ("content-type", "x-discourse-event", "x-discourse-event-type", "x-github-event")


def handshake(*, services: Services, source: str, method: str, query: Mapping[str, str],
              headers: Mapping[str, str], body: bytes) -> HandshakeReply | None:
    """A platform's verification request (GET challenge, CRC...), answered by its connector.

    A connector tripping over an odd request is no handshake: a GET gets PayloadError (4xx), a
    POST goes on to `receive_webhook`, which keeps whatever it cannot parse.
    """
    channel = services.channel_for(source)
    try:
        return channel.handshake(method=method, query=query, headers=headers, body=body)
    except (SignatureError, PayloadError):
        raise
    except Exception as exc:  # noqa: BLE001 - a connector bug must not become a 500
        if method == "GET":
            raise PayloadError(f"not a verification request ({type(exc).__name__})") from exc
        return None


def receive_webhook(*, services: Services, source: str, headers: Mapping[str, str],
                    body: bytes) -> WebhookOutcome:
    """Verify the signature first, then parse, then buffer; any failure stores nothing."""
    channel = services.channel_for(source)
    try:
        channel.verify(headers=headers, body=body, now=services.clock.now())
    except SignatureError:
        metrics.REJECTED.labels(source=source, reason="signature").inc()
        raise
    except Exception as exc:  # noqa: BLE001 - a verifier tripping on odd headers is still a 401
        metrics.REJECTED.labels(source=source, reason="signature").inc()
        raise SignatureError(f"signature could not be checked ({type(exc).__name__})") from exc
    try:
        result = channel.parse(headers=headers, body=body)
    except Exception as exc:  # noqa: BLE001 - any parser bug (RecursionError too): keep the body, 202
        return _unreadable(services=services, channel=channel, source=source, headers=headers,
                           body=body, exc=exc)
    # The short-budget client from here on: during a Redis outage the platform gets its 503 in seconds.
    kept, own = drop_own(conn=services.accept_redis, source=source, messages=result.messages)
    try:
        # Serialise here, inside the guard: a payload too deep or odd to encode fails this one delivery.
        items = [(m.source, m.external_id, m.model_dump_json()) for m in kept]
    except Exception as exc:  # noqa: BLE001
        return _unreadable(services=services, channel=channel, source=source, headers=headers,
                           body=body, exc=exc)
    accepted = _buffer(services=services, items=items, source=source, conn=services.accept_redis,
                       buffer=services.accept_buffer)
    ignored = result.ignored + own
    SkipLog(services.accept_redis).record(source=source, skipped=result.skipped, ignored=ignored,
                                          now=services.clock.now())
    if ignored:
        metrics.IGNORED.labels(source=source).inc(ignored)
    return WebhookOutcome(accepted=accepted, ignored=ignored, skipped=tuple(result.skipped))


def _unreadable(*, services: Services, channel: Channel, source: str, headers: Mapping[str, str],
                body: bytes, exc: Exception) -> WebhookOutcome:
    """A delivery whose envelope cannot be read: 422 for our own format, else kept and 202."""
    metrics.REJECTED.labels(source=source, reason="payload").inc()
    if channel.slug == "generic":  # our own format: the sender can fix it, so tell them (422)
        if isinstance(exc, PayloadError):
            raise exc
        raise PayloadError(f"unreadable payload ({type(exc).__name__})") from exc
    # A platform retries anything but a 2xx for days: keep the verified body and acknowledge.
    kept = {k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    services.accept_buffer.quarantine_delivery(source=source, body=body, headers=kept,
                                               error=f"{type(exc).__name__}: {str(exc)[:500]}")
    metrics.QUARANTINED.labels(stage="webhook").inc()
    return WebhookOutcome(accepted=Accepted(0, 0), quarantined=True)


def drop_own(*, conn: redis.Redis, source: str,
             messages: Sequence[Message]) -> tuple[list[Message], int]:
    """Leave out what our own outbox posted (the platform echoing our reply); returns (kept, n)."""
    ours = SentIds(conn).ours(source=source, ids=(m.external_id for m in messages))
    kept = [m for m in messages if m.external_id not in ours]
    return kept, len(messages) - len(kept)


def replay_deliveries(*, services: Services) -> tuple[int, int]:
    """Parse quarantined platform deliveries again (after a fix); returns (replayed, still bad)."""
    replayed = failed = 0
    for _ in range(len(services.buffer.quarantined_deliveries())):
        item = services.buffer.pop_quarantined_delivery()
        if item is None:
            break
        body = item["body"].encode()
        try:
            result = services.channel_for(item["source"]).parse(headers=item["headers"], body=body)
        except Exception as exc:  # noqa: BLE001 - still unreadable: back into quarantine, not lost
            services.buffer.quarantine_delivery(source=item["source"], body=body,
                                                headers=item["headers"], error=str(exc))
            failed += 1
            continue
        kept, own = drop_own(conn=services.redis, source=item["source"], messages=result.messages)
        buffer_messages(services=services, messages=kept)
        SkipLog(services.redis).record(source=item["source"], skipped=result.skipped,
                                       ignored=result.ignored + own, now=services.clock.now())
        replayed += 1
    return replayed, failed


def buffer_messages(*, services: Services, messages: Sequence[Message]) -> Accepted:
    """Put messages in the durable buffer (deduplicated) and make sure a drain job will run."""
    items = [(m.source, m.external_id, m.model_dump_json()) for m in messages]
    return _buffer(services=services, items=items, source=messages[0].source if messages else "",
                   conn=services.redis, buffer=services.buffer)


def _buffer(*, services: Services, items: list[tuple[str, str, str]], source: str,
            conn: redis.Redis, buffer: IngestBuffer) -> Accepted:
    accepted = buffer.accept(items)
    if items:
        metrics.INGESTED.labels(source=source).inc(accepted.new)
        if accepted.duplicates:
            metrics.DUPLICATES.labels(source=source).inc(accepted.duplicates)
    if accepted.new and buffer.should_schedule_drain():
        enqueue(conn, INGEST, DRAIN_JOB, retries=services.settings.job_retries)
    return accepted


def decode(doc: dict) -> Message:
    """A buffered message back from its JSON form."""
    return Message.model_validate(doc)


def encode(message: Message) -> str:
    return json.dumps(message.model_dump(mode="json"))
