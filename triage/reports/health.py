"""The relationship health report for leads: the last weeks per constituent group, charts and CSV."""

from __future__ import annotations

import bisect
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from triage.core.scoring import GROUPS
from triage.reports import store
from triage.reports.domain.charts import line_chart
from triage.reports.domain.health import GroupWeek, to_csv, weekly_health
from triage.scheduling.staffing import current_rules

DEFAULT_WEEKS = 8  # two months: long enough to see a trend, short enough to read
MAX_WEEKS = 26


def _monday(moment: datetime, zone: ZoneInfo) -> date:
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def report(*, session: Session, now: datetime,
           weeks: int = DEFAULT_WEEKS) -> tuple[list[GroupWeek], list[date]]:
    """Each group's last `weeks` weeks (team weeks, this one included) against the answer targets."""
    rules = current_rules(session=session)
    zone = ZoneInfo(rules.team_timezone)
    weeks = max(1, min(weeks, MAX_WEEKS))
    this = _monday(now, zone)
    starts = [this - timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    bounds = [datetime.combine(d, datetime.min.time(), zone) for d in starts]  # each week's first moment

    def week_of(moment: datetime) -> date:  # a search, not a time zone conversion per message
        return starts[max(0, bisect.bisect_right(bounds, moment) - 1)]

    conversations = store.conversations(session=session, since=bounds[0], until=now + timedelta(seconds=1))
    rows = weekly_health(conversations, weeks=starts, week_of=week_of, targets=rules.sla, now=now)
    return rows, starts


def csv_text(*, session: Session, now: datetime, weeks: int = DEFAULT_WEEKS) -> str:
    """The same report as CSV."""
    return to_csv(report(session=session, now=now, weeks=weeks)[0])


def page(*, session: Session, now: datetime, weeks: int = DEFAULT_WEEKS) -> dict[str, Any]:
    """What the page shows: the table per group, and three charts over the weeks."""
    rows, starts = report(session=session, now=now, weeks=weeks)
    labels = [f"{d:%d %b}" for d in starts]
    active = [g for g in GROUPS if any(r.volume for r in rows if r.group == g)]

    def series(attr: str, scale: float = 1.0) -> dict[str, list[float | None]]:
        return {g: [None if (v := getattr(r, attr)) is None else round(v * scale, 1)
                    for r in rows if r.group == g] for g in active}

    charts = [
        line_chart("Messages per week", labels, series("volume"), low=0),
        line_chart("Mean sentiment (−1 negative … +1 positive)", labels, series("sentiment"),
                   low=-1, high=1, fmt="{:+.1f}"),
        line_chart("Answered within target (%)", labels, series("within_target_share", 100), low=0, high=100,
                   fmt="{:.0f}"),
    ]
    by_group = {g: [r for r in rows if r.group == g] for g in GROUPS}
    return {"groups": GROUPS, "active": active, "by_group": by_group, "labels": labels, "charts": charts,
            "weeks": len(starts), "total": sum(r.volume for r in rows)}
