"""Outbox figures for the team-wide gauges."""

from __future__ import annotations

from sqlalchemy.orm import Session

from triage.replies.store import depth_by_status


def outbox_depth(*, session: Session) -> dict[str, float]:
    """Replies per outbox status (queued, sent, failed...)."""
    return {status: float(n) for status, n in depth_by_status(session=session).items()}
