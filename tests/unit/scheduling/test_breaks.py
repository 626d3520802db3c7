"""Breaks from the assignment log and from the 'take a break' button, and what the router makes of them."""

from datetime import timedelta

from tests.unit.scheduling.helpers import NOW, item, person, shift, snap
from triage.scheduling.domain.breaks import (
    DEFAULT_IDLE_BREAK,
    IDLE,
    TAKEN,
    idle_breaks,
    rest_state,
    shift_breaks,
)
from triage.scheduling.domain.router import route
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.staff import Interval

RULES = StaffingRules()
SHIFT = shift(-7, 9)  # 05:00-14:00, NOW is noon


def at(hours: float):
    return NOW + timedelta(hours=hours)


def test_an_idle_gap_of_thirty_minutes_between_handling_is_a_break_and_a_shorter_one_is_not():
    spans = [(at(-6), at(-5)), (at(-4.5), at(-4)), (at(-3.8), at(-1))]  # 30 min gap, then 12 min
    breaks = idle_breaks(spans, SHIFT, at(-0.75))
    assert [(b.start, b.end, b.kind) for b in breaks] == [(at(-5), at(-4.5), IDLE)]
    assert DEFAULT_IDLE_BREAK == timedelta(minutes=30)


def test_idle_time_since_the_last_handling_is_a_break_in_progress_once_long_enough():
    spans = [(at(-6), at(-1))]
    assert idle_breaks(spans, SHIFT, at(-0.75)) == []
    [ongoing] = idle_breaks(spans, SHIFT, NOW)
    assert (ongoing.start, ongoing.end, ongoing.ongoing, ongoing.minutes) == (at(-1), NOW, True, 60)


def test_time_before_the_first_handling_and_after_a_finished_shift_is_not_a_break():
    spans = [(at(-5), at(-4))]  # two idle hours after shift start, then idle to the end of the shift
    assert idle_breaks(spans, Interval(at(-7), at(-2)), NOW) == []


def test_a_break_taken_on_purpose_merges_with_the_idle_gap_around_it():
    spans = [(at(-6), at(-2)), (at(-1), NOW)]
    taken = [Interval(at(-1.75), at(-1.25))]
    [merged] = shift_breaks(spans, taken, SHIFT, NOW)
    assert (merged.start, merged.end, merged.kind) == (at(-2), at(-1), TAKEN)


def test_someone_on_a_break_gets_no_new_work_until_it_ends():
    taken = [Interval(at(-0.25), at(0.25))]
    rested, until = rest_state([(at(-3), at(-0.25))], taken, shift(-4), NOW, RULES)
    assert until == at(0.25)
    ana = person("ana", shifts=(shift(-4),), last_break_end=rested, on_break_until=until)
    decision = route(snap([item("m1")], [ana]), RULES, NOW)
    assert decision.assignments == ()
    assert decision.waits[0].reason == "all 1 on shift are at a limit: 1 on a break"
    after = route(snap([item("m1")], [ana]), RULES, at(0.3))
    assert [a.person_id for a in after.assignments] == ["ana"]


def test_six_hours_of_handling_without_a_break_stops_new_assignments_until_one_is_logged():
    worked = [(at(-7), at(-3.5)), (at(-3.4), NOW)]  # one 6-minute pause: not a break
    rested, until = rest_state(worked, [], SHIFT, NOW, RULES)
    assert rested is None and until is None
    tired = person("ana", shifts=(SHIFT,), last_break_end=rested)
    waiting = route(snap([item("m1")], [tired]), RULES, NOW)
    assert waiting.assignments == () and "due a break" in waiting.waits[0].reason

    later = at(0.5)  # half an hour with nothing in hand counts as the break
    rested, _ = rest_state(worked, [], SHIFT, later, RULES)
    assert rested == later
    fresh = person("ana", shifts=(SHIFT,), last_break_end=rested)
    assert [a.person_id for a in route(snap([item("m1")], [fresh]), RULES, later).assignments] == ["ana"]


def test_a_break_cut_short_does_not_reset_the_break_rule():
    worked = [(at(-7), at(-0.5)), (at(-0.3), NOW)]
    rested, _ = rest_state(worked, [Interval(at(-0.5), at(-0.3))], SHIFT, NOW, RULES)
    assert rested is None  # 12 minutes taken, the rule asks for 30


def test_shorter_breaks_count_when_the_rules_ask_for_shorter_breaks():
    rules = StaffingRules(break_length=timedelta(minutes=15))
    worked = [(at(-7), at(-2)), (at(-1.75), NOW)]
    rested, _ = rest_state(worked, [], SHIFT, NOW, rules)
    assert rested == at(-1.75)


def test_nobody_is_due_a_break_before_handling_anything():
    rested, _ = rest_state([], [], SHIFT, NOW, RULES)
    assert rested == NOW
