"""The poll schedule as pure policy: when a source is due, how it backs off, what it shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from triage.intake.domain import (
    BACKOFF_CAP,
    DEFAULT_INTERVAL,
    PollState,
    after_failure,
    after_success,
    backoff,
    describe,
    interval_from,
    is_due,
)

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_a_new_source_is_due_at_once():
    assert is_due(PollState(), NOW)


def test_a_source_is_due_when_its_next_poll_time_has_come():
    state = after_success(PollState(), now=NOW, interval=MINUTE, taken=3)
    assert state.next_poll_at == NOW + MINUTE and state.status == "ok" and state.taken == 3
    assert not is_due(state, NOW + timedelta(seconds=59))
    assert is_due(state, NOW + MINUTE)


def test_a_backlog_is_due_again_right_away():
    state = after_success(PollState(), now=NOW, interval=MINUTE, taken=200, backlog=True)
    assert state.status == "backlog" and is_due(state, NOW)


def test_a_platform_asking_for_a_slower_pace_is_obeyed_but_never_speeds_us_up():
    slower = after_success(PollState(), now=NOW, interval=MINUTE, taken=0, retry_after=300)
    faster = after_success(PollState(), now=NOW, interval=MINUTE, taken=0, retry_after=5)
    assert slower.next_poll_at == NOW + timedelta(seconds=300)
    assert faster.next_poll_at == NOW + MINUTE


def test_a_rate_limit_waits_at_least_the_retry_after_the_platform_asked_for():
    state = after_failure(PollState(), now=NOW, interval=MINUTE, kind="rate_limited",
                          error="rate limited; retry after 900s", retry_after=900)
    assert state.status == "rate_limited" and state.failures == 1
    assert state.next_poll_at == NOW + timedelta(seconds=900)
    assert not is_due(state, NOW + timedelta(seconds=899))


def test_repeated_transient_errors_back_off_exponentially_up_to_the_cap():
    waits, state = [], PollState()
    for _ in range(10):
        state = after_failure(state, now=NOW, interval=MINUTE, kind="transient", error="502")
        waits.append(state.next_poll_at - NOW)
    assert waits[:4] == [MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE]
    assert waits[-1] == BACKOFF_CAP and state.failures == 10 and state.status == "retrying"


def test_a_success_clears_the_failures_and_the_error():
    failing = after_failure(PollState(), now=NOW, interval=MINUTE, kind="error", error="not a feed")
    healed = after_success(failing, now=NOW + MINUTE, interval=MINUTE, taken=1)
    assert healed.failures == 0 and healed.last_error is None and healed.last_ok_at == NOW + MINUTE


def test_an_expired_login_is_never_retried_blindly_only_after_new_credentials():
    state = after_failure(PollState(), now=NOW, interval=MINUTE, kind="auth_expired",
                          error="401 token expired")
    assert state.status == "auth_expired" and state.next_poll_at is None
    assert not is_due(state, NOW + timedelta(days=30))
    assert is_due(state, NOW, credentials_changed=True)


def test_backoff_doubles_from_the_interval_and_respects_retry_after():
    assert backoff(1, interval=MINUTE) == MINUTE
    assert backoff(3, interval=MINUTE) == 4 * MINUTE
    assert backoff(50, interval=MINUTE) == BACKOFF_CAP
    assert backoff(1, interval=MINUTE, retry_after=7200) == timedelta(hours=2)


def test_long_errors_are_cut_for_the_status_page():
    state = after_failure(PollState(), now=NOW, interval=MINUTE, kind="error", error="x" * 5000)
    assert len(state.last_error) == 500


@pytest.mark.parametrize(("options", "expected"), [
    ({}, DEFAULT_INTERVAL), ({"interval": 15}, timedelta(seconds=15)),
    ({"interval": "120"}, timedelta(minutes=2)), ({"interval": 0}, timedelta(seconds=1))])
def test_the_interval_option_is_read_in_seconds(options, expected):
    assert interval_from(options) == expected


def test_a_bad_interval_option_names_itself():
    with pytest.raises(ValueError, match="interval must be a number of seconds"):
        interval_from({"interval": "hourly"})


def test_the_status_line_says_what_happens_next():
    waiting = after_failure(PollState(), now=NOW, interval=MINUTE, kind="transient", error="502")
    assert describe(waiting, NOW) == "1 failed poll(s) in a row; next try in 60s"
    expired = after_failure(PollState(), now=NOW, interval=MINUTE, kind="auth_expired", error="401")
    assert "fix the credentials" in describe(expired, NOW)
    assert describe(PollState(), NOW) == "polls on the next tick"
