"""Coverage ahead: business-hours time in the next hours that no regular shift covers (for alerting)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from triage.scheduling.domain.sla import business_open
from triage.scheduling.domain.staff import Interval
from triage.scheduling.domain.team_view import uncovered
from triage.scheduling.hours import regular_shifts
from triage.scheduling.staffing import current_rules


def gaps_ahead(*, session: Session, now: datetime, horizon: timedelta) -> list[Interval]:
    """Stretches of [now, now + horizon) inside business hours with nobody on a regular shift."""
    rules = current_rules(session=session)
    spans = [s for person in regular_shifts(session=session, start=now, end=now + horizon).values()
             for s in person]
    return uncovered(spans, start=now, end=now + horizon, is_open=lambda m: business_open(m, rules))


def uncovered_seconds(*, session: Session, now: datetime, horizon: timedelta) -> float:
    """Seconds of [now, now + horizon) inside business hours with nobody on a regular shift.

    Outside business hours an empty roster is the plan, not a gap, so only open time counts.
    """
    return sum((g.end - g.start).total_seconds() for g in gaps_ahead(session=session, now=now,
                                                                       horizon=horizon))


def on_shift_now(*, session: Session, now: datetime) -> int:
    """People whose regular shift covers `now` (time off already taken out)."""
    shifts = regular_shifts(session=session, start=now, end=now + timedelta(seconds=1))
    return sum(1 for spans in shifts.values() if any(s.start <= now < s.end for s in spans))
