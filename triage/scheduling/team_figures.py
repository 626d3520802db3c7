"""The team for the live gauges: each person's hours, pages and open load against the limits, people
near a limit, waits by reason and unseen gaps. Read from the database (and the last routing pass's
wait summary in Redis) at scrape time by the one process serving team-wide gauges, so every series
has one source and only active staff appear (by id: bounded, no spaces).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import redis
from sqlalchemy.orm import Session

from triage.scheduling import store as repo
from triage.scheduling.domain.accounting import PersonTime, limit_warnings
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.hours import PersonHours, hours_report
from triage.scheduling.routing import last_waits
from triage.scheduling.routing_metrics import WAITING_KINDS
from triage.scheduling.staffing import current_rules

NEAR_LIMITS = ("daily hours", "weekly hours", "weekly pages")  # the limits limit_warnings checks


def team_figures(*, session: Session, conn: redis.Redis, now: datetime) -> dict[str, dict[str, float]]:
    """Every team gauge's values by label, read now."""
    rules = current_rules(session=session)
    people = hours_report(session=session, rules=rules, now=now)
    effort = open_effort(session=session, rules=rules)
    return {
        "hours_week": {str(p.staff_id): round(p.week, 3) for p in people},
        "hours_today": {str(p.staff_id): round(p.today, 3) for p in people},
        "pages_week": {str(p.staff_id): float(p.pages_week) for p in people},
        "open_effort": {str(p.staff_id): effort.get(p.staff_id, 0.0) for p in people},
        "limits": {"daily_hours": rules.max_hours_per_day, "weekly_hours": rules.max_hours_per_week,
                   "weekly_pages": float(rules.pages_per_week), "open_effort": rules.max_open_effort},
        "near_limit": near_limit_counts(people, rules),
        "route_waiting": {**dict.fromkeys(WAITING_KINDS, 0.0), **last_waits(conn)},
        "gaps_open": {"": float(repo.open_gap_count(session=session))},
    }


def open_effort(*, session: Session, rules: StaffingRules) -> dict[int, float]:
    """Per staff id, the effort of the unresolved items their login holds (what capacity limits)."""
    staff_of = {user.id: staff_id for staff_id, user in repo.users_by_staff(session=session).items()}
    out: dict[int, float] = defaultdict(float)
    for item in repo.held_items(session=session, user_ids=list(staff_of)):
        out[staff_of[item.assignee_id]] += rules.effort.get(item.urgency or "normal", 1.0)
    return out


def near_limit_counts(people: list[PersonHours], rules: StaffingRules) -> dict[str, float]:
    """People at or above warn_fraction of each limit: the warnings the hours page shows, counted."""
    today = {str(p.staff_id): PersonTime(str(p.staff_id), p.today, 0.0, 0, 0) for p in people}
    week = {str(p.staff_id): PersonTime(str(p.staff_id), p.week, 0.0, p.pages_week, 0) for p in people}
    counts = dict.fromkeys(NEAR_LIMITS, 0.0)
    for warning in limit_warnings(today=today, week=week, rules=rules):
        counts[warning.limit] += 1
    return {limit.replace(" ", "_"): n for limit, n in counts.items()}  # no spaces in label values
