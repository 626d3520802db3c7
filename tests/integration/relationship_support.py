"""Helpers for the relationship and storm tests: store and score messages at a chosen time."""

from __future__ import annotations

from datetime import UTC, datetime

from triage import pipeline
from triage.core import message as dm
from triage.core.clock import FixedClock
from triage.platform.db import transaction

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def doc(external_id: str, text: str, *, author: str | None = None, source: str = "test",
        created_at: datetime = T0, **author_extra) -> dm.Message:
    """A domain message; `author` defaults to one author per message."""
    return dm.Message(source=source, external_id=external_id, text=text, created_at=created_at,
                      author=dm.Author(id=author or f"a-{external_id}", **author_extra))


def ingest(services, messages: list[dm.Message], *, at: datetime) -> list[int]:
    """Store messages as received at `at` and score them, as the drain and score jobs would."""
    services.clock = FixedClock(at)
    with transaction(services.db) as session:
        ids = sorted(i for i, _ in pipeline.store_messages(session=session, messages=messages,
                                                           now=at))
    pipeline.score(services=services, ids=ids)
    return ids
