"""Manual claims under the hard limits, and the reason kinds the router attaches for metrics."""

from datetime import timedelta

from tests.unit.scheduling.helpers import NOW, held, item, person, shift, snap
from triage.scheduling.domain.claims import claim_refusal
from triage.scheduling.domain.router import route
from triage.scheduling.domain.rules import StaffingRules

RULES = StaffingRules()


def test_someone_on_shift_with_room_may_claim():
    assert claim_refusal(person("ana", name="Ana"), "high", NOW, RULES) is None


def test_nobody_claims_off_shift_and_the_refusal_names_the_next_shift():
    off = person("ana", name="Ana", shifts=(shift(20),))
    limit, text = claim_refusal(off, "normal", NOW, RULES)
    assert limit == "off shift" and text == "Ana is off shift; next shift starts Thu 08:00"


def test_an_on_call_window_lets_someone_claim_critical_work_only():
    on_call = person("ana", shifts=(), on_call=(shift(-1),))
    assert claim_refusal(on_call, "critical", NOW, RULES) is None
    assert claim_refusal(on_call, "normal", NOW, RULES)[0] == "off shift"


def test_a_claim_past_the_open_effort_cap_is_refused_with_the_numbers():
    busy = person("ana", name="Ana", open_items=(held("h1", "critical"), held("h2", "high")))
    limit, text = claim_refusal(busy, "high", NOW, RULES)
    assert limit == "at capacity"
    assert text == "Ana is at capacity: open effort 5 + 2 for this high item is over 6"


def test_a_claim_past_the_daily_hours_is_refused():
    tired = person("ana", name="Ana", hours_today=8.9)
    limit, text = claim_refusal(tired, "critical", NOW, RULES)
    assert limit == "at the daily hours limit" and "8.9 h + 0.42 h expected" in text


def test_a_claim_past_the_weekly_hours_is_refused():
    assert claim_refusal(person("ana", hours_week=39.95), "normal", NOW, RULES)[0] == \
        "at the weekly hours limit"


def test_claims_respect_the_break_rule_and_a_break_in_progress():
    due = person("ana", name="Ana", shifts=(shift(-7, 9),), last_break_end=None)
    limit, text = claim_refusal(due, "normal", NOW, RULES)
    assert limit == "due a break" and "working since 05:00" in text
    resting = person("ana", on_break_until=NOW + timedelta(minutes=10))
    assert claim_refusal(resting, "normal", NOW, RULES)[0] == "on a break"


def test_the_router_pacing_rules_do_not_block_a_manual_claim():
    # Past the interruption budget and in the last minutes of the shift: the router would not
    # hand this person anything, but they may pick work up themselves.
    ending = person("ana", shifts=(shift(-7.9),), assigned_last_hour=99, last_break_end=NOW)
    assert claim_refusal(ending, "normal", NOW, RULES) is None


def test_assignments_waits_and_releases_carry_a_reason_kind():
    fresh = person("ana", "en", relationships=frozenset({"bob"}),
                   open_items=(held("old", assigned_min_ago=60, started=False),))
    items = [item("rel", author="bob"), item("fit"), item("es", "normal", "es"),
             *[item(f"low{i}", "low") for i in range(2)]]
    decision = route(snap(items, [fresh]), RULES, NOW)
    assert {a.item_id: a.kind for a in decision.assignments} == {"rel": "relationship", "fit": "freshest_fit"}
    # the released item is not handed straight back to Ana, who is the only one on shift
    assert {w.kind: len(w.item_ids) for w in decision.waits} == {"no_skill": 1, "batching": 2, "at_limit": 1}
    assert [(r.item_id, r.kind) for r in decision.releases] == [("old", "untouched")]
