"""Inbox figures for the team-wide gauges: backlog, the oldest wait and answer deadlines per urgency."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.core.scoring import URGENCIES
from triage.inbox.store import _status_clause, backlog_by_urgency
from triage.platform import tables as t


def waiting_figures(*, session: Session, now: datetime, at_risk: timedelta) -> dict[str, dict[str, float]]:
    """Per urgency: backlog, oldest active item's age (s), items due within `at_risk`, items late.

    Every urgency is reported, zeros included, so an alert on "late > 0" sees a real 0 rather than
    an absent series when all is well.
    """
    active = (_status_clause("active", now), t.Message.stage != "received")
    backlog = {u or "unscored": float(n) for u, n in backlog_by_urgency(session=session, now=now).items()}
    oldest = dict.fromkeys(URGENCIES, 0.0)
    for urgency, first in session.execute(
            select(t.Message.urgency, func.min(t.Message.received_at)).where(*active)
            .group_by(t.Message.urgency)).all():
        if urgency in oldest and first is not None:
            oldest[urgency] = max(0.0, (now - _aware(first)).total_seconds())
    due = _count_due(session, active, t.Message.due_at > now, t.Message.due_at <= now + at_risk)
    late = _count_due(session, active, t.Message.due_at <= now)
    return {"backlog": {**dict.fromkeys(URGENCIES, 0.0), **backlog}, "oldest_wait": oldest,
            "sla_at_risk": due, "sla_breached": late}


def _count_due(session: Session, active, *where) -> dict[str, float]:
    counts = dict.fromkeys(URGENCIES, 0.0)
    for urgency, n in session.execute(
            select(t.Message.urgency, func.count()).where(*active, t.Message.due_at.is_not(None), *where)
            .group_by(t.Message.urgency)).all():
        if urgency in counts:
            counts[urgency] = float(n)
    return counts


def _aware(value: datetime) -> datetime:
    """func.min over a UTC column comes back naive on SQLite: the column stores UTC."""
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
