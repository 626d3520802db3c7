"""Coverage gaps ahead, wall clocks in each zone, on-call fairness and the rules form's mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from triage.scheduling.domain.rule_form import (
    FIELDS,
    conflicts_by_field,
    display_values,
    parse_form,
    typed_values,
)
from triage.scheduling.domain.rules import StaffingRules, rules_as_dict, rules_from_dict
from triage.scheduling.domain.staff import Interval
from triage.scheduling.domain.team_view import clock, on_call_nights, span_text, uncovered

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def h(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def test_uncovered_time_is_open_time_no_shift_covers_merged_into_stretches():
    shifts = [Interval(h(0), h(2)), Interval(h(3), h(4))]
    gaps = uncovered(shifts, start=h(0), end=h(8), is_open=lambda m: m < h(6))  # closes at 18:00
    assert [(g.start, g.end) for g in gaps] == [(h(2), h(3)), (h(4), h(6))]


def test_times_read_on_each_persons_wall_clock():
    assert clock(NOW, "Asia/Tokyo") == "Wed 21:00"
    assert span_text(h(7), h(15), "Asia/Tokyo") == "Thu 04:00–12:00"
    assert span_text(h(7), h(15), "UTC") == "Wed 19:00–Thu 03:00"
    assert span_text(h(-2), h(6), "UTC", day=False) == "10:00–18:00"


def test_on_call_nights_are_distinct_local_evenings_per_person():
    shifts = [("1", h(7), h(11)), ("1", h(9), h(10)),  # two windows one evening: one night
              ("1", h(31), h(35)), ("2", h(13), h(17))]  # 01:00 UTC is still the 18th in Los Angeles
    nights = on_call_nights(shifts, {"1": "UTC", "2": "America/Los_Angeles"})
    assert nights == {"1": 2, "2": 1}


def test_the_rules_form_round_trips_every_rule_and_names_bad_input_by_field():
    current = rules_as_dict(StaffingRules())
    assert {f.rule for f in FIELDS} == set(current) - {"version"}  # one field (or more) per rule
    shown = display_values(current)
    form = {k: [str(d) for d in v] if isinstance(v, list) else [v] for k, v in shown.items()}
    raw, errors = parse_form(form, current)
    assert errors == {} and rules_as_dict(rules_from_dict(raw)) == current
    raw, errors = parse_form({"min_rest": ["12"], "quiet_hours.0": ["23:30"], "business_hours.weekdays": [""],
                              "max_consecutive_days": ["5.5"], "sla_clock.low": ["sometimes"]}, current)
    assert raw["min_rest"] == 720 and raw["quiet_hours"] == ["23:30", "07:00"]
    assert errors == {"business_hours.weekdays": "choose at least one day",
                      "max_consecutive_days": "must be a whole number",
                      "sla_clock.low": "choose 24x7 or business"}
    again = typed_values({"max_hours_per_day": ["lots"], "business_hours.weekdays": ["", "5"]}, current)
    assert again["max_hours_per_day"] == "lots" and again["business_hours.weekdays"] == [5]
    assert again["max_hours_per_week"] == "40"  # not sent: the value in force


def test_a_conflict_shows_beside_the_first_rule_it_names():
    placed, general = conflicts_by_field(["max_open_effort (1) is below the effort of one critical item"
                                          " (effort[critical] = 3)", "something else"])
    assert placed == {"max_open_effort": ["max_open_effort (1) is below the effort of one critical item"
                                          " (effort[critical] = 3)"]} and general == ["something else"]
