"""Relationship health per group and week, computed from hand-built conversations."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from triage.reports.domain.charts import line_chart
from triage.reports.domain.health import Conversation, to_csv, weekly_health

MON = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
WEEKS = [date(2026, 11, 2), date(2026, 11, 9)]
TARGETS = {"critical": timedelta(minutes=30), "high": timedelta(hours=2), "normal": timedelta(hours=24),
           "low": timedelta(hours=72)}
NOW = MON + timedelta(days=10)


def week_of(moment: datetime) -> date:
    return (moment - timedelta(days=moment.weekday())).date()


def c(group: str, day: float, *, answered_h: float | None = None, urgency: str = "normal",
      sentiment: str = "neutral", intent: str = "question", tier: str = "medium") -> Conversation:
    at = MON + timedelta(days=day)
    answered = None if answered_h is None else at + timedelta(hours=answered_h)
    return Conversation(received_at=at, group=group, urgency=urgency, sentiment=sentiment, intent=intent,
                        tier=tier, first_answer_at=answered)


def report(rows):
    out = weekly_health(rows, weeks=WEEKS, week_of=week_of, targets=TARGETS, now=NOW)
    return {(r.group, r.week): r for r in out}


def test_each_group_and_week_counts_volume_answers_and_the_share_within_target():
    rows = [c("customer", 0, answered_h=1), c("customer", 1, answered_h=30),  # one in time, one late
            c("customer", 2),  # never answered and past its 24 h target: missed
            c("customer", 1, answered_h=0.25, urgency="critical", tier="key"),
            c("customer", 2, answered_h=1, urgency="critical", tier="key"),  # 1 h > 30 min: late
            c("partner", 7, answered_h=2)]
    out = report(rows)
    week1 = out[("customer", WEEKS[0])]
    assert week1.volume == 5 and week1.answered == 4
    assert week1.median_first_answer_hours == 1.0  # of 0.25, 1, 1, 30
    assert week1.within_target_share == 0.4  # 2 of 5
    assert week1.key_volume == 2 and week1.key_within_target_share == 0.5
    assert out[("customer", WEEKS[1])].volume == 0 and out[("customer", WEEKS[1])].within_target_share is None
    assert out[("partner", WEEKS[1])].within_target_share == 1.0
    assert len(out) == 2 * 8  # every group, every week: charts have no holes


def test_an_unanswered_message_still_inside_its_target_is_not_yet_a_miss_and_spam_owes_nothing():
    now_ish = [c("press", 9.9), c("press", 9, intent="spam", sentiment="negative")]
    week2 = report(now_ish)[("press", WEEKS[1])]
    assert week2.volume == 2 and week2.within_target_share is None and week2.answered == 0


def test_sentiment_is_a_mean_with_its_change_from_the_previous_week_and_churn_is_counted():
    rows = [c("customer", 0, sentiment="positive"), c("customer", 1, sentiment="neutral"),
            c("customer", 8, sentiment="negative", intent="churn_risk"),
            c("customer", 9, sentiment="neutral")]
    out = report(rows)
    first, second = out[("customer", WEEKS[0])], out[("customer", WEEKS[1])]
    assert first.sentiment == 0.5 and first.sentiment_change is None and first.negative_share == 0.0
    assert second.sentiment == -0.5 and second.sentiment_change == -1.0 and second.negative_share == 0.5
    assert second.churn_signals == 1 and first.churn_signals == 0


def test_an_unknown_group_counts_as_public():
    assert report([c("alien", 0)])[("public", WEEKS[0])].volume == 1


def test_the_csv_has_one_line_per_group_and_week_with_empty_cells_for_nothing_measured():
    text = to_csv(weekly_health([c("customer", 0, answered_h=2)], weeks=WEEKS, week_of=week_of,
                                targets=TARGETS, now=NOW))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 16
    first = rows[0]
    assert first["group"] == "customer" and first["week"] == "2026-11-02" and first["volume"] == "1"
    assert first["within_target_share"] == "1.0" and first["median_first_answer_hours"] == "2.0"
    assert rows[1]["sentiment"] == "" and rows[1]["volume"] == "0"


def test_a_chart_breaks_its_line_where_a_week_has_no_value_and_scales_onto_the_plot():
    chart = line_chart("t", ["a", "b", "c"], {"customer": [0.0, None, 100.0], "press": [None, None, None]},
                       low=0, high=100)
    [line] = chart.lines  # a series with no values is left out
    assert [v for _, _, v in line.dots] == ["0", "100"]
    (x0, y0, _), (x2, y2, _) = line.dots
    assert x0 < x2 and y0 > y2  # higher values are drawn higher


def test_a_long_axis_labels_every_few_weeks_ending_with_the_latest():
    labels = [f"w{i}" for i in range(26)]
    chart = line_chart("t", labels, {"customer": [1.0] * 26})
    shown = [label for _, label in chart.x_labels]
    assert len(shown) <= 8 and shown[-1] == "w25"
