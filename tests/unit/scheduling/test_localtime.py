"""Hours are elapsed hours on every clock: the night the clocks change has 7 or 9 hours, not 8."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from triage.scheduling.domain.localtime import days_in_a_row, night_hours, split_by_local_day

MADRID = ZoneInfo("Europe/Madrid")


@pytest.mark.parametrize("tz", [MADRID, UTC], ids=["given in Madrid time", "given in UTC"])
def test_a_shift_across_spring_forward_is_seven_hours_whatever_zone_it_is_written_in(tz):
    # 00:00-08:00 Madrid on 29 March 2026: the clocks skip 02:00-03:00.
    start = datetime(2026, 3, 29, 0, 0, tzinfo=MADRID).astimezone(tz)
    end = datetime(2026, 3, 29, 8, 0, tzinfo=MADRID).astimezone(tz)
    assert list(split_by_local_day(start, end, MADRID)) == [(start.astimezone(MADRID).date(), 7.0)]
    assert night_hours(start, end, MADRID) == 5.0  # 00:00-06:00 on the clock, one hour skipped


def test_the_autumn_day_has_twenty_five_hours():
    start = datetime(2026, 10, 25, 0, 0, tzinfo=MADRID)
    end = datetime(2026, 10, 26, 0, 0, tzinfo=MADRID)
    assert [hours for _, hours in split_by_local_day(start, end, MADRID)] == [25.0]


def test_a_day_worked_between_two_runs_joins_them():
    d = date(2026, 3, 26)  # Thursday
    worked = [d - timedelta(days=k) for k in (1, 2, 3)] + [d + timedelta(days=k) for k in (1, 2, 3)]
    assert days_in_a_row(worked, d) == 7  # Mon-Wed, today, Fri-Sun
    assert days_in_a_row(worked + [d - timedelta(days=5)], d) == 7  # a gap ends the run
    assert days_in_a_row([], d) == 1
