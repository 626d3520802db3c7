from datetime import UTC, datetime, time, timedelta

import pytest

from triage.scheduling.domain.errors import InvalidStaff, RuleConflict, UnknownStaff
from triage.scheduling.domain.rules import (
    DEFAULT_MIN_REST,
    ShiftTemplate,
    StaffingRules,
    rule_problems,
    rules_as_dict,
    rules_from_dict,
    validate_rules,
)
from triage.scheduling.domain.staff import (
    Interval,
    Skills,
    Staff,
    find_staff,
    index_staff,
    staff_from_dict,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEMPLATES = [ShiftTemplate("early", time(6), 8), ShiftTemplate("late", time(14), 8),
             ShiftTemplate("night", time(22), 8)]


def span(start_h: float, hours: float) -> Interval:
    return Interval(T0 + timedelta(hours=start_h), T0 + timedelta(hours=start_h + hours))


def test_a_time_zone_typo_is_rejected_with_a_suggestion():
    with pytest.raises(InvalidStaff, match="Europe/Paris"):
        Staff(id="ana", name="Ana", timezone="Europe/Pari")


def test_a_valid_time_zone_is_accepted():
    assert Staff(id="ana", name="Ana", timezone="America/Sao_Paulo").timezone == "America/Sao_Paulo"


def test_overlapping_time_off_is_rejected_naming_both_periods():
    with pytest.raises(InvalidStaff, match="time off periods of staff 'ana' overlap"):
        Staff(id="ana", name="Ana", time_off=(span(0, 48), span(24, 48)))


def test_a_shift_during_time_off_is_rejected():
    with pytest.raises(InvalidStaff, match="during time off"):
        Staff(id="ana", name="Ana", shifts=(span(2, 8),), time_off=(span(0, 24),))


def test_an_interval_ending_before_it_starts_is_rejected():
    with pytest.raises(InvalidStaff, match="before it starts"):
        Interval(T0, T0 - timedelta(hours=1))


def test_naive_datetimes_are_rejected_in_intervals():
    with pytest.raises(InvalidStaff, match="aware"):
        Interval(datetime(2026, 1, 1), datetime(2026, 1, 2))


def test_an_unknown_staff_id_gets_a_clear_error():
    index = index_staff([Staff(id="ana", name="Ana")])
    with pytest.raises(UnknownStaff, match="'bob'"):
        find_staff(index, "bob")


def test_duplicate_staff_ids_are_rejected():
    with pytest.raises(InvalidStaff, match="duplicate"):
        index_staff([Staff(id="ana", name="Ana"), Staff(id="ana", name="Ana B")])


def test_staff_built_from_a_plain_dict_keeps_skills_and_shifts():
    person = staff_from_dict({
        "id": "luis", "timezone": "Europe/Madrid", "contract_hours": 32,
        "skills": {"languages": ["es", "en"], "channels": ["email"], "topics": ["billing"]},
        "shifts": [{"start": "2026-03-02T08:00:00+00:00", "end": "2026-03-02T16:00:00+00:00"}],
    })
    assert person.tags == {"es", "en", "email", "billing"}
    assert person.shift_at(datetime(2026, 3, 2, 12, tzinfo=UTC)) is not None
    assert person.skills == Skills(frozenset({"email"}), frozenset({"es", "en"}), frozenset({"billing"}))


def test_contract_hours_out_of_range_are_rejected():
    with pytest.raises(InvalidStaff, match="contract_hours"):
        Staff(id="ana", name="Ana", contract_hours=400)


def test_default_rules_are_valid_with_the_usual_three_shifts():
    assert validate_rules(StaffingRules(), TEMPLATES) == StaffingRules()
    assert StaffingRules().min_rest == DEFAULT_MIN_REST == timedelta(hours=11)


def test_max_hours_below_one_shift_is_rejected_naming_the_rule_and_the_shift():
    with pytest.raises(RuleConflict) as caught:
        validate_rules(StaffingRules(max_hours_per_day=6), TEMPLATES)
    assert any("max_hours_per_day" in c and "'early'" in c for c in caught.value.conflicts)


def test_rest_longer_than_every_gap_between_shifts_is_rejected():
    long_shifts = [ShiftTemplate("long", time(8), 12)]
    problems = rule_problems(StaffingRules(min_rest=timedelta(hours=13), max_hours_per_day=12),
                             long_shifts)
    assert problems and "min_rest" in problems[0] and "'long' then 'long'" in problems[0]


def test_rest_that_fits_between_some_shifts_is_accepted():
    assert rule_problems(StaffingRules(min_rest=timedelta(hours=16)), TEMPLATES) == []


def test_no_new_work_window_covering_the_whole_shift_is_rejected():
    problems = rule_problems(StaffingRules(no_new_in_last=timedelta(hours=9)), TEMPLATES)
    assert any("no_new_in_last" in p for p in problems)


def test_capacity_below_one_critical_item_is_rejected():
    assert any("max_open_effort" in p for p in rule_problems(StaffingRules(max_open_effort=2)))


def test_nightly_page_budget_above_the_weekly_one_is_rejected():
    assert any("pages_per_night" in p
               for p in rule_problems(StaffingRules(pages_per_night=4, pages_per_week=2)))


def test_every_conflict_is_reported_at_once():
    rules = StaffingRules(max_hours_per_day=6, pages_per_night=9, pages_per_week=1)
    with pytest.raises(RuleConflict) as caught:
        validate_rules(rules, TEMPLATES)
    assert len(caught.value.conflicts) >= 4


def test_a_team_time_zone_typo_is_a_rule_problem():
    assert any("Europe/Berlin" in p for p in rule_problems(StaffingRules(team_timezone="Europe/Berln")))


def test_rules_round_trip_through_plain_data():
    rules = StaffingRules(min_rest=timedelta(hours=12), quiet_hours=(time(21), time(8)), version=3)
    assert rules_from_dict(rules_as_dict(rules)) == rules


def test_unknown_rule_names_are_rejected():
    with pytest.raises(RuleConflict, match="max_hours_per_fortnight"):
        rules_from_dict({"max_hours_per_fortnight": 80})


def test_evolving_rules_bumps_the_version_and_keeps_the_old_one():
    old = StaffingRules()
    new = old.evolve(max_open_effort=4)
    assert (old.version, old.max_open_effort) == (1, 6.0)
    assert (new.version, new.max_open_effort) == (2, 4)


def test_a_night_template_is_recognised_and_a_day_one_is_not():
    assert [t.is_night for t in TEMPLATES] == [False, False, True]


def test_time_at_work_counts_whole_shifts_and_off_shift_work_once_in_the_local_day_and_week():
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from triage.scheduling.domain.localtime import time_at_work

    tokyo = ZoneInfo("Asia/Tokyo")
    now = datetime(2026, 3, 4, 3, tzinfo=UTC)  # Wednesday 12:00 in Tokyo
    shift = (datetime(2026, 3, 4, 0, tzinfo=UTC), datetime(2026, 3, 4, 8, tzinfo=UTC))  # 09:00-17:00 local
    monday = (datetime(2026, 3, 2, 0, tzinfo=UTC), datetime(2026, 3, 2, 8, tzinfo=UTC))
    page = (datetime(2026, 3, 4, 10, tzinfo=UTC), datetime(2026, 3, 4, 10, 30, tzinfo=UTC))  # 19:00 local
    overlap = (shift[0] + timedelta(hours=1), shift[0] + timedelta(hours=2))  # inside the shift: not twice
    today, week = time_at_work([shift, monday], [page, overlap], tokyo, now)
    assert today == 8.5 and week == 16.5
