"""Reply rules without I/O: channel limits, the next morning, back-off, holding replies, labels."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from triage.core.errors import Invalid
from triage.replies.domain import (
    MAX_ATTEMPTS,
    check_text,
    next_business_start,
    retry_at,
    status_label,
    suggest_morning,
    wants_holding,
)
from triage.scheduling.domain.rules import BusinessHours, StaffingRules

PARIS = StaffingRules(team_timezone="Europe/Paris",
                      business_hours=BusinessHours(start=time(8, 0), end=time(18, 0)))
TUESDAY_NOON = datetime(2026, 3, 3, 11, 0, tzinfo=UTC)  # 12:00 in Paris
FRIDAY_NIGHT = datetime(2026, 3, 6, 22, 30, tzinfo=UTC)  # 23:30 in Paris


def test_an_empty_reply_is_refused():
    with pytest.raises(Invalid, match="needs some text"):
        check_text("  \n ", channel="slack")


def test_a_reply_over_the_channel_limit_names_the_limit_and_the_overshoot():
    with pytest.raises(Invalid, match=r"x replies are limited to 280 characters; this one has 300"
                                      r": shorten it by 20"):
        check_text("a" * 300, channel="x")
    assert check_text("  fine  ", channel="x") == "fine"


def test_the_mastodon_mention_counts_toward_the_limit():
    check_text("a" * 500, channel="mastodon")
    with pytest.raises(Invalid, match="including the mention @sam"):
        check_text("a" * 496, channel="mastodon", prefix="@sam ")


def test_unknown_channels_get_the_default_limit():
    check_text("a" * 10_000, channel="generic")
    with pytest.raises(Invalid):
        check_text("a" * 10_001, channel="generic")


def test_during_business_hours_the_morning_is_now():
    assert next_business_start(TUESDAY_NOON, PARIS) == TUESDAY_NOON
    assert not suggest_morning(TUESDAY_NOON, PARIS)


def test_a_reply_written_friday_night_leaves_monday_at_business_start_in_the_team_zone():
    assert suggest_morning(FRIDAY_NIGHT, PARIS)
    assert next_business_start(FRIDAY_NIGHT, PARIS) == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)


def test_before_opening_the_morning_is_the_same_day():
    early = datetime(2026, 3, 3, 5, 0, tzinfo=UTC)  # 06:00 Paris
    assert next_business_start(early, PARIS) == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)


def test_the_morning_follows_daylight_saving_time():
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # clocks go forward on Sunday 29 March
    assert next_business_start(saturday, PARIS) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)


def test_with_no_business_days_a_reply_is_not_held_back_forever():
    closed = StaffingRules(business_hours=BusinessHours(weekdays=frozenset()))
    assert next_business_start(FRIDAY_NIGHT, closed) == FRIDAY_NIGHT


def test_back_off_grows_and_a_longer_retry_after_wins():
    first = retry_at(attempts=1, now=TUESDAY_NOON)
    second = retry_at(attempts=2, now=TUESDAY_NOON)
    assert TUESDAY_NOON < first < second
    assert retry_at(attempts=1, now=TUESDAY_NOON, retry_after=900) == TUESDAY_NOON + timedelta(
        seconds=900)
    assert retry_at(attempts=1, now=TUESDAY_NOON, retry_after=1) == first


def test_after_the_last_attempt_there_is_no_retry():
    assert retry_at(attempts=MAX_ATTEMPTS - 1, now=TUESDAY_NOON) is not None
    assert retry_at(attempts=MAX_ATTEMPTS, now=TUESDAY_NOON) is None


@pytest.mark.parametrize("at, urgency, intent, template, expected", [
    (FRIDAY_NIGHT, "high", "complaint", "We are back Monday.", True),
    (TUESDAY_NOON, "high", "complaint", "We are back Monday.", False),
    (FRIDAY_NIGHT, "low", "question", "We are back Monday.", False),
    (FRIDAY_NIGHT, "normal", "spam", "We are back Monday.", False),
    (FRIDAY_NIGHT, None, None, "We are back Monday.", False),
    (FRIDAY_NIGHT, "critical", "complaint", "   ", False),
])
def test_holding_replies_go_only_to_real_messages_out_of_hours(at, urgency, intent, template,
                                                                expected):
    assert wants_holding(template=template, received_at=at, urgency=urgency, intent=intent,
                         rules=PARIS) is expected


def test_labels_read_as_the_inbox_shows_them():
    common = {"next_attempt_at": None, "last_error": None, "attempts": 1, "now": FRIDAY_NIGHT,
              "zone": "Europe/Paris"}
    assert status_label(status="sent", dry_run=True, send_after=None, **common) == "sent (dry run)"
    monday = datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    assert status_label(status="deferred", dry_run=False, send_after=monday,
                        **common) == "deferred until Mon 08:00"
    assert status_label(status="failed", dry_run=False, send_after=None,
                        **{**common, "last_error": "token revoked"}) == "failed: token revoked"
