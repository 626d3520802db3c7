"""Accepting messages: verify, parse and buffer them in Redis before anyone is told 'accepted'."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from triage import metrics
from triage.bootstrap import Services
from triage.channels.base import HandshakeReply, PayloadError, SignatureError
from triage.domain.message import Message
from triage.queue import INGEST, Accepted, enqueue

DRAIN_JOB = "workers.jobs.drain_ingest"


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    accepted: Accepted
    ignored: int = 0


def handshake(*, services: Services, source: str, method: str, query: Mapping[str, str],
              headers: Mapping[str, str], body: bytes) -> HandshakeReply | None:
    """A platform's verification request (GET challenge, CRC...), answered by its connector."""
    return services.channel_for(source).handshake(method=method, query=query, headers=headers,
                                                  body=body)


def receive_webhook(*, services: Services, source: str, headers: Mapping[str, str],
                    body: bytes) -> WebhookOutcome:
    """Verify the signature first, then parse, then buffer; any failure stores nothing."""
    channel = services.channel_for(source)
    try:
        channel.verify(headers=headers, body=body, now=services.clock.now())
    except SignatureError:
        metrics.REJECTED.labels(source=source, reason="signature").inc()
        raise
    try:
        result = channel.parse(headers=headers, body=body)
    except PayloadError:
        metrics.REJECTED.labels(source=source, reason="payload").inc()
        raise
    accepted = buffer_messages(services=services, messages=result.messages)
    if result.ignored:
        metrics.IGNORED.labels(source=source).inc(result.ignored)
    return WebhookOutcome(accepted=accepted, ignored=result.ignored)


def buffer_messages(*, services: Services, messages: Sequence[Message]) -> Accepted:
    """Put messages in the durable buffer (deduplicated) and make sure a drain job will run."""
    items = [(m.source, m.external_id, m.model_dump_json()) for m in messages]
    accepted = services.buffer.accept(items)
    for m in messages[:1]:
        metrics.INGESTED.labels(source=m.source).inc(accepted.new)
        if accepted.duplicates:
            metrics.DUPLICATES.labels(source=m.source).inc(accepted.duplicates)
    if accepted.new and services.buffer.should_schedule_drain():
        enqueue(services.redis, INGEST, DRAIN_JOB, retries=services.settings.job_retries)
    return accepted


def decode(doc: dict) -> Message:
    """A buffered message back from its JSON form."""
    return Message.model_validate(doc)


def encode(message: Message) -> str:
    return json.dumps(message.model_dump(mode="json"))
