"""Coverage ahead: business-hours time in the next hours that no regular shift covers (for alerting)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from triage.scheduling.domain.sla import business_open
from triage.scheduling.hours import regular_shifts
from triage.scheduling.staffing import current_rules

STEP = timedelta(minutes=5)  # resolution: shifts start on the hour or half hour in practice


def uncovered_seconds(*, session: Session, now: datetime, horizon: timedelta) -> float:
    """Seconds of [now, now + horizon) inside business hours with nobody on a regular shift.

    Outside business hours an empty roster is the plan, not a gap, so only open time counts.
    """
    rules = current_rules(session=session)
    spans = [s for person in regular_shifts(session=session, start=now, end=now + horizon).values()
             for s in person]
    gap, moment = 0.0, now
    while moment < now + horizon:
        if business_open(moment, rules) and not any(s.start <= moment < s.end for s in spans):
            gap += STEP.total_seconds()
        moment += STEP
    return gap


def on_shift_now(*, session: Session, now: datetime) -> int:
    """People whose regular shift covers `now` (time off already taken out)."""
    shifts = regular_shifts(session=session, start=now, end=now + timedelta(seconds=1))
    return sum(1 for spans in shifts.values() if any(s.start <= now < s.end for s in spans))
