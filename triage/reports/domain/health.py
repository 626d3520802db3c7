"""Relationship health per constituent group and week, from plain conversation records.

Each inbound message is one record: when it came, from which group, how it felt, whether the
relationship is key, and when it was first answered (a sent reply or a resolve, whichever came
first). Spam is counted in volume but never in answer times: nobody owes it an answer.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta

from triage.core.scoring import GROUPS

SENTIMENT_VALUE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
CHURN_INTENTS = frozenset({"churn_risk"})
NOT_OWED_AN_ANSWER = frozenset({"spam"})


@dataclass(frozen=True, slots=True)
class Conversation:
    """One inbound message as the report sees it."""

    received_at: datetime
    group: str
    urgency: str | None = None
    sentiment: str | None = None
    intent: str | None = None
    tier: str | None = None
    first_answer_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GroupWeek:
    """One group's week. Shares are None when there was nothing to measure (never a made-up 0)."""

    group: str
    week: date
    volume: int
    sentiment: float | None  # mean of negative -1, neutral 0, positive +1
    sentiment_change: float | None  # against the group's previous week with messages
    negative_share: float | None
    answered: int
    median_first_answer_hours: float | None
    within_target_share: float | None
    key_volume: int
    key_within_target_share: float | None
    churn_signals: int


def _share(hits: int, of: int) -> float | None:
    return round(hits / of, 3) if of else None


def _target_outcome(c: Conversation, targets: Mapping[str, timedelta], now: datetime) -> bool | None:
    """True answered within target, False missed (answered late, or unanswered past it), None: too early."""
    if c.intent in NOT_OWED_AN_ANSWER:
        return None
    target = targets.get(c.urgency or "normal", targets.get("normal", timedelta(hours=24)))
    deadline = c.received_at + target
    if c.first_answer_at is not None:
        return c.first_answer_at <= deadline
    return False if now >= deadline else None


def _week(group: str, week: date, rows: Sequence[Conversation], targets: Mapping[str, timedelta],
          now: datetime, previous: float | None) -> GroupWeek:
    felt = [SENTIMENT_VALUE[c.sentiment] for c in rows if c.sentiment in SENTIMENT_VALUE]
    mood = round(statistics.fmean(felt), 3) if felt else None
    waits = [(c.first_answer_at - c.received_at) / timedelta(hours=1) for c in rows
             if c.first_answer_at is not None and c.intent not in NOT_OWED_AN_ANSWER]
    outcomes = [(c, o) for c in rows if (o := _target_outcome(c, targets, now)) is not None]
    key = [o for c, o in outcomes if c.tier == "key"]
    return GroupWeek(
        group=group, week=week, volume=len(rows), sentiment=mood,
        sentiment_change=None if mood is None or previous is None else round(mood - previous, 3),
        negative_share=_share(sum(v < 0 for v in felt), len(felt)), answered=len(waits),
        median_first_answer_hours=round(statistics.median(waits), 2) if waits else None,
        within_target_share=_share(sum(o for _, o in outcomes), len(outcomes)),
        key_volume=sum(c.tier == "key" for c in rows), key_within_target_share=_share(sum(key), len(key)),
        churn_signals=sum(c.intent in CHURN_INTENTS for c in rows))


def weekly_health(conversations: Iterable[Conversation], *, weeks: Sequence[date],
                  week_of: Callable[[datetime], date], targets: Mapping[str, timedelta], now: datetime,
                  groups: Sequence[str] = GROUPS) -> list[GroupWeek]:
    """Every group x every week asked for (empty weeks included, so charts have no holes), in order.

    `week_of` maps a moment to its week's first day (the team's Monday); `targets` are the answer
    targets per urgency; `now` decides whether an unanswered message has already missed its target.
    """
    buckets: dict[tuple[str, date], list[Conversation]] = defaultdict(list)
    for c in conversations:
        group = c.group if c.group in groups else "public"
        buckets[(group, week_of(c.received_at))].append(c)
    out = []
    for group in groups:
        previous = None
        for week in weeks:
            row = _week(group, week, buckets.get((group, week), []), targets, now, previous)
            previous = row.sentiment if row.sentiment is not None else previous
            out.append(row)
    return out


def to_csv(rows: Iterable[GroupWeek]) -> str:
    """The report as CSV: one line per group and week, empty cells where there was nothing to measure."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[f.name for f in fields(GroupWeek)], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v.isoformat() if isinstance(v, date) else v
                         for k, v in asdict(row).items()})
    return buffer.getvalue()
