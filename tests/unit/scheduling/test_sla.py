from datetime import UTC, datetime, timedelta

from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.sla import (
    business_elapsed,
    business_open,
    defer_until,
    is_quiet,
    sla_deadline,
    within_sla,
)

RULES = StaffingRules(team_timezone="Europe/Berlin")


def test_a_critical_item_runs_on_the_round_the_clock_clock():
    sat_night = datetime(2026, 3, 7, 23, 0, tzinfo=UTC)
    assert sla_deadline(received_at=sat_night, urgency="critical", rules=RULES) \
        == sat_night + timedelta(minutes=30)


def test_a_normal_item_received_friday_evening_is_due_within_monday_business_hours():
    friday_evening = datetime(2026, 3, 6, 19, 0, tzinfo=UTC)  # 20:00 in Berlin, after closing
    due = sla_deadline(received_at=friday_evening, urgency="normal", rules=RULES.evolve(
        sla={**RULES.sla, "normal": timedelta(hours=4)}))
    assert due == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # Monday 13:00 Berlin


def test_business_time_skips_nights_and_weekends():
    fri_17 = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)  # 17:00 Berlin
    mon_10 = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # 10:00 Berlin
    assert business_elapsed(fri_17, mon_10, RULES) == timedelta(hours=2)


def test_an_answer_after_the_deadline_is_outside_the_sla():
    t = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    assert within_sla(received_at=t, answered_at=t + timedelta(minutes=29), urgency="critical", rules=RULES)
    assert not within_sla(received_at=t, answered_at=t + timedelta(minutes=31), urgency="critical",
                          rules=RULES)


def test_quiet_hours_cross_midnight_in_the_team_time_zone():
    assert is_quiet(datetime(2026, 3, 4, 23, 30, tzinfo=UTC), RULES)  # 00:30 Berlin
    assert not is_quiet(datetime(2026, 3, 4, 12, 0, tzinfo=UTC), RULES)


def test_a_reply_written_late_at_night_is_deferred_to_the_end_of_quiet_hours():
    late = datetime(2026, 3, 4, 22, 30, tzinfo=UTC)  # 23:30 Berlin
    assert defer_until(late, RULES) == datetime(2026, 3, 5, 6, 0, tzinfo=UTC)  # 07:00 Berlin
    assert defer_until(datetime(2026, 3, 4, 12, 0, tzinfo=UTC), RULES) is None


def test_customers_get_a_holding_reply_only_outside_business_hours():
    assert business_open(datetime(2026, 3, 4, 10, 0, tzinfo=UTC), RULES)
    assert not business_open(datetime(2026, 3, 7, 10, 0, tzinfo=UTC), RULES)  # Saturday
