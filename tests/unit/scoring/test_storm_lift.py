"""A storm's item rises with the people it touches and what they are worth to us."""

from __future__ import annotations

from datetime import timedelta

import pytest

from triage.core.priority import STORM_LIFT_CAP, priority, storm_lift


def test_one_person_repeating_themselves_lifts_nothing():
    assert storm_lift([0.0]) == 0.0
    assert storm_lift([]) == 0.0


def test_more_people_and_more_valued_people_lift_more_up_to_one_band():
    few, many = storm_lift([0.0] * 3), storm_lift([0.0] * 80)
    valued = storm_lift([0.9] * 3)
    assert 0 < few < valued < many <= STORM_LIFT_CAP
    assert storm_lift([1.0] * 10_000) == STORM_LIFT_CAP


def test_an_80_person_storm_of_normal_items_outranks_any_single_normal_item():
    best_single = priority("normal", 1.0, waited=timedelta(days=1))  # key relationship, past its SLA
    storm_item = priority("normal", 0.0) + storm_lift([0.0] * 80)
    assert storm_item > best_single
    assert storm_item < priority("critical", 0.0)  # a storm never outranks a critical item


def test_weight_added_counts_new_people_and_only_the_rise_of_returning_ones():
    from triage.core.priority import person_weight, weight_added

    joining = {"a1": 0.2, "a2": 0.9, "c7": 0.1}
    earlier = {"a2": 0.4, "c7": 0.6}  # a2 comes back worth more, c7 worth less
    people, weight = weight_added(joining, earlier)
    assert people == 1
    assert weight == pytest.approx(person_weight(0.2) + (person_weight(0.9) - person_weight(0.4)))
