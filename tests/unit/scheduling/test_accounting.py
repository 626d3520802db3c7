from datetime import UTC, datetime, timedelta

from triage.scheduling.domain.accounting import (
    PersonTime,
    WorkEvent,
    day_window,
    limit_warnings,
    time_worked,
    week_window,
)
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.staff import Interval

T = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
DAY = day_window(T, "UTC")


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def test_handling_time_runs_from_claim_to_resolve():
    events = [WorkEvent("claim", "ana", at(0), "m1"), WorkEvent("resolve", "ana", at(30), "m1")]
    assert time_worked(events, window=DAY, shifts={})["ana"].handling_hours == 0.5


def test_concurrent_items_are_not_counted_twice():
    events = [WorkEvent("claim", "ana", at(0), "m1"), WorkEvent("claim", "ana", at(10), "m2"),
              WorkEvent("resolve", "ana", at(20), "m1"), WorkEvent("resolve", "ana", at(30), "m2")]
    assert time_worked(events, window=DAY, shifts={})["ana"].handling_hours == 0.5


def test_a_claim_left_open_is_cut_off_as_idle():
    events = [WorkEvent("claim", "ana", at(0), "m1"), WorkEvent("resolve", "ana", at(300), "m1")]
    assert time_worked(events, window=DAY, shifts={}, idle_cutoff=timedelta(minutes=45))["ana"] \
        .handling_hours == 0.75


def test_work_outside_the_shift_counts_as_after_hours():
    shift = Interval(at(0), at(60))
    events = [WorkEvent("claim", "ana", at(50), "m1"), WorkEvent("resolve", "ana", at(80), "m1"),
              WorkEvent("page", "ana", at(90))]
    tally = time_worked(events, window=DAY, shifts={"ana": [shift]})["ana"]
    assert (tally.after_hours_minutes, tally.pages, tally.items) == (20.0, 1, 1)


def test_weeks_start_on_monday_in_the_team_time_zone():
    week = week_window(T, "Europe/Berlin")
    assert week.start.weekday() == 0 and week.hours == 7 * 24


def test_a_lead_is_warned_before_someone_reaches_the_weekly_limit():
    rules = StaffingRules()
    week = {"ana": PersonTime("ana", 37.0, 0, 0, 0), "bob": PersonTime("bob", 20.0, 0, 0, 0)}
    warnings = limit_warnings(today={}, week=week, rules=rules, names={"ana": "Ana"})
    assert [w.message for w in warnings] == ["Ana is close to the weekly hours limit: 37.0 of 40 h this week"]


def test_a_reached_page_budget_is_reported_as_reached():
    week = {"ana": PersonTime("ana", 1.0, 30, 5, 0)}
    warnings = limit_warnings(today={}, week=week, rules=StaffingRules())
    assert warnings[0].limit == "weekly pages" and "has reached" in warnings[0].message
