"""The sources table: each polled account's cursor and schedule, read and written in one place."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.intake.domain import PollState
from triage.platform import tables as t


def ensure(*, session: Session, channels: Mapping[str, str], now: datetime) -> None:
    """Create a row for every configured source that has none yet (status 'new', due at once)."""
    known = dict(_rows(session, list(channels)))
    for slug, channel in channels.items():
        row = known.get(slug)
        if row is None:
            session.add(t.Source(slug=slug, channel=channel, status="new", cursor={},
                                 created_at=now, failures=0, taken=0))
        elif row.channel != channel:  # re-pointed at another connector: its old cursor means nothing
            row.channel, row.cursor, row.status, row.next_poll_at = channel, {}, "new", None
    session.flush()


def get(*, session: Session, slug: str) -> t.Source | None:
    return session.scalars(select(t.Source).where(t.Source.slug == slug)).one_or_none()


def list_all(*, session: Session) -> list[t.Source]:
    return list(session.scalars(select(t.Source).order_by(t.Source.slug)))


def state_of(row: t.Source) -> PollState:
    """The row's schedule as the pure policy sees it."""
    return PollState(status=row.status, next_poll_at=row.next_poll_at, failures=row.failures or 0,
                     last_ok_at=row.last_ok_at, last_polled_at=row.last_polled_at,
                     last_error=row.last_error, taken=row.taken or 0)


def save(*, row: t.Source, state: PollState, digest: str,
         cursor: dict[str, Any] | None = None) -> None:
    """Write the new schedule, and the cursor only when given (a failed poll keeps the old one)."""
    row.status, row.next_poll_at, row.failures = state.status, state.next_poll_at, state.failures
    row.last_ok_at, row.last_polled_at = state.last_ok_at, state.last_polled_at
    row.last_error, row.taken, row.config_digest = state.last_error, state.taken, digest
    if cursor is not None:
        row.cursor = dict(cursor)  # a new object, so SQLAlchemy sees the JSON change


def _rows(session: Session, slugs: list[str]) -> list[tuple[str, t.Source]]:
    if not slugs:
        return []
    return [(r.slug, r) for r in session.scalars(select(t.Source).where(t.Source.slug.in_(slugs)))]
