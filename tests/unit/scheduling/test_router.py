from datetime import timedelta

from tests.unit.scheduling.helpers import NOW, assigned_to, held, item, person, shift, snap
from triage.scheduling.domain.router import route
from triage.scheduling.domain.rules import StaffingRules

RULES = StaffingRules()


def test_an_item_goes_to_the_person_on_shift_with_the_skill():
    decision = route(snap([item("m1", "normal", "es")], [person("ana", "en"), person("luis", "es")]),
                     RULES, NOW)
    assert assigned_to(decision) == {"m1": "luis"}
    assert "'es'" in decision.assignments[0].reason


def test_nobody_is_assigned_outside_their_shift():
    off = person("ana", "en", shifts=(shift(3),))
    assert route(snap([item("m1")], [off]), RULES, NOW).assignments == ()


def test_a_waiting_item_says_who_is_missing_and_until_when():
    later = person("luis", "es", shifts=(shift(-4, 3), shift(20)))  # 08:00 tomorrow UTC
    decision = route(snap([item("m1", "high", "es")], [later, person("ana", "en")]), RULES, NOW)
    assert [w.reason for w in decision.waits] == ["no one on shift with skill 'es' until Thu 08:00"]
    assert decision.waits[0].item_ids == ("m1",)


def test_a_skill_nobody_has_is_reported_as_such():
    decision = route(snap([item("m1", "normal", "ja")], [person("ana", "en")]), RULES, NOW)
    assert decision.wait_reasons() == {"m1": "no one on staff with skill 'ja'"}


def test_nobody_is_assigned_past_their_daily_limit():
    tired = person("ana", hours_today=RULES.max_hours_per_day - 0.1)  # 6 min left, normal takes 8
    decision = route(snap([item("m1", "normal")], [tired]), RULES, NOW)
    assert decision.assignments == ()
    assert "daily hours limit" in decision.waits[0].reason


def test_nobody_is_assigned_past_their_weekly_limit():
    tired = person("ana", hours_week=RULES.max_hours_per_week - 0.1)
    assert route(snap([item("m1")], [tired]), RULES, NOW).assignments == ()


def test_nobody_is_assigned_in_the_last_minutes_of_a_shift():
    ending = person("ana", shifts=(shift(-7.9),))  # ends in 6 minutes
    decision = route(snap([item("m1")], [ending]), RULES, NOW)
    assert decision.assignments == () and "last minutes" in decision.waits[0].reason


def test_the_last_minutes_of_a_shift_still_take_a_high_item_that_fits_in_them():
    ending = person("ana", shifts=(shift(-7.6),), last_break_end=NOW - timedelta(hours=1))  # ends in 24 min
    decision = route(snap([item("h1", "high"), item("n1")], [ending]), RULES, NOW)
    assert assigned_to(decision) == {"h1": "ana"}
    assert "last minutes" in decision.waits[0].reason


def test_an_item_past_its_target_goes_back_to_its_previous_holder_when_nobody_else_can_take_it():
    ana = person("ana")
    late = item("h1", "high", waited_min=150, previous_holder="ana")
    fresh = item("h2", "high", waited_min=10, previous_holder="ana")
    assert assigned_to(route(snap([late, fresh], [ana]), RULES, NOW)) == {"h1": "ana"}


def test_work_let_go_as_stale_is_not_handed_straight_back_in_the_same_pass():
    # Found by the router property: unstarted work released as stale came back to its holder at once.
    ana = person("ana", open_items=(held("h1", "high", assigned_min_ago=150, started=False),))
    decision = route(snap([], [ana]), RULES, NOW)
    assert [r.item_id for r in decision.releases] == ["h1"]
    assert decision.assignments == () and decision.wait_reasons().keys() == {"h1"}


def test_a_person_due_a_break_gets_no_new_work():
    long_stretch = person("ana", shifts=(shift(-6.5, 9),))
    rested = person("bob", shifts=(shift(-6.5, 9),), last_break_end=NOW - timedelta(hours=1))
    decision = route(snap([item("m1"), item("m2")], [long_stretch, rested]), RULES, NOW)
    assert set(assigned_to(decision).values()) == {"bob"}


def test_nobody_on_a_break_gets_new_work():
    pausing = person("ana", on_break_until=NOW + timedelta(minutes=10))
    assert route(snap([item("m1")], [pausing]), RULES, NOW).assignments == ()


def test_the_interruption_budget_caps_new_assignments_per_hour():
    busy = person("ana", assigned_last_hour=RULES.interruptions_per_hour - 3)  # 3 slots left
    many = [item(f"m{k}", "low") for k in range(6)]
    # the last slot of the hour is kept for a critical item, the one before for a high one
    assert len(route(snap(many, [busy]), RULES.evolve(max_open_effort=50), NOW).assignments) == 1
    highs = [item("h1", "high"), item("h2", "high")]
    high = route(snap(highs + many, [busy]), RULES.evolve(max_open_effort=50), NOW)
    assert set(assigned_to(high)) == {"h1", "h2"}
    urgent = [item("c1", "critical")] + many
    nearly = person("ana", assigned_last_hour=RULES.interruptions_per_hour - 2)
    decision = route(snap(urgent, [nearly]), RULES.evolve(max_open_effort=50), NOW)
    assert assigned_to(decision) == {"c1": "ana"}  # the critical item took the slot the lows left


def test_capacity_counts_effort_by_urgency():
    ana = person("ana", open_items=(held("o1", "critical"),))  # 3 of 6 used
    items = [item("c1", "critical"), item("h1", "high")]
    assert assigned_to(route(snap(items, [ana]), RULES, NOW)) == {"c1": "ana"}


def test_higher_priority_items_are_assigned_first():
    ana = person("ana", open_items=(held("o1", "critical"),))
    items = [item("n1", "normal", waited_min=600), item("c1", "critical", waited_min=1)]
    assert "c1" in assigned_to(route(snap(items, [ana]), RULES.evolve(max_open_effort=6), NOW))


def test_authors_messages_go_to_the_person_holding_the_relationship():
    holder = person("bob", open_items=(held("o1"), held("o2")), relationships=frozenset({"acme"}))
    decision = route(snap([item("m1", author="acme")], [person("ana"), holder]), RULES, NOW)
    assert assigned_to(decision) == {"m1": "bob"}
    assert "relationship" in decision.assignments[0].reason


def test_a_relationship_holder_at_capacity_is_not_overloaded():
    full = person("bob", open_items=(held("o1", "critical"), held("o2", "critical")),
                  relationships=frozenset({"acme"}))
    assert assigned_to(route(snap([item("m1", author="acme")], [person("ana"), full]), RULES, NOW)) \
        == {"m1": "ana"}


def test_load_is_spread_across_people():
    people = [person(p) for p in ("ana", "bob", "cem")]
    decision = route(snap([item(f"m{k}", "high") for k in range(6)], people), RULES, NOW)
    counts = sorted(list(assigned_to(decision).values()).count(p) for p in ("ana", "bob", "cem"))
    assert counts == [2, 2, 2]


def test_a_critical_item_outside_every_shift_pages_the_person_on_call():
    sleeper = person("ana", shifts=(shift(12),), on_call=(shift(-2, 12),))
    decision = route(snap([item("c1", "critical")], [sleeper]), RULES, NOW)
    assert [(p.item_id, p.person_id) for p in decision.pages] == [("c1", "ana")]


def test_a_page_goes_only_to_someone_with_the_items_language():
    english = person("ana", "en", shifts=(shift(12),), on_call=(shift(-2, 12),))
    japanese = person("kenji", "ja", shifts=(shift(12),), on_call=(shift(-2, 12),))
    decision = route(snap([item("c1", "critical", "ja")], [english, japanese]), RULES, NOW)
    assert [(p.item_id, p.person_id) for p in decision.pages] == [("c1", "kenji")]
    alone = route(snap([item("c1", "critical", "ja")], [english]), RULES, NOW)
    assert alone.pages == () and "with 'ja'" in alone.gaps[0].reason


def test_a_page_that_would_break_the_rest_before_a_shift_becomes_a_gap():
    early = person("ana", shifts=(shift(6),), on_call=(shift(-2, 8),))  # shift 6 h after the page
    decision = route(snap([item("c1", "critical")], [early]), RULES, NOW)
    assert decision.pages == () and "minimum rest" in decision.gaps[0].reason


def test_a_page_counts_toward_the_days_time_at_work():
    worked = person("ana", shifts=(shift(14),), on_call=(shift(-2, 12),), at_work_today=8.9)
    decision = route(snap([item("c1", "critical")], [worked]), RULES, NOW)
    assert decision.pages == () and "daily hours" in decision.gaps[0].reason


def test_a_page_that_would_take_away_the_free_day_becomes_a_gap():
    # ana worked the 6 days before today (the rule's most): a page would make a 7th in a row
    most = RULES.max_consecutive_days
    tired = person("ana", shifts=(shift(14),), on_call=(shift(-2, 12),), days_in_a_row=most + 1)
    decision = route(snap([item("c1", "critical")], [tired]), RULES, NOW)
    assert decision.pages == () and "working days in a row" in decision.gaps[0].reason
    rested = person("ana", shifts=(shift(14),), on_call=(shift(-2, 12),), days_in_a_row=most)
    assert [p.person_id for p in route(snap([item("c1", "critical")], [rested]), RULES, NOW).pages] == ["ana"]


def test_pages_stop_at_the_nightly_budget_and_become_coverage_gaps():
    sleeper = person("ana", shifts=(shift(12),), on_call=(shift(-2, 12),),
                     pages_tonight=RULES.pages_per_night - 1)
    decision = route(snap([item("c1", "critical"), item("c2", "critical")], [sleeper]), RULES, NOW)
    assert len(decision.pages) == 1
    assert len(decision.gaps) == 1 and "page budget" in decision.gaps[0].reason


def test_a_pile_of_out_of_hours_criticals_gets_one_page_per_budget_and_a_reasoned_gap_each():
    ana = person("ana", "en", shifts=(shift(12),), on_call=(shift(-2, 12),), pages_tonight=1)
    bob = person("bob", "en", shifts=(shift(12),), on_call=(shift(-2, 12),), pages_tonight=1)
    pile = [item(f"c{k}", "critical", "ja" if k % 3 == 0 else "en", waited_min=60 - k) for k in range(9)]
    decision = route(snap(pile, [ana, bob]), RULES, NOW)
    assert [(p.item_id, p.person_id) for p in decision.pages] == [("c1", "ana"), ("c2", "bob")]
    gaps = {g.item_id: g.reason for g in decision.gaps}
    assert set(gaps) == {"c0", "c3", "c4", "c5", "c6", "c7", "c8"}
    assert all("with 'ja'" in gaps[f"c{k}"] for k in (0, 3, 6))
    assert all("2 page budget spent" in gaps[f"c{k}"] for k in (4, 5, 7, 8))


def test_a_critical_item_with_nobody_on_call_is_a_coverage_gap():
    decision = route(snap([item("c1", "critical")], [person("ana", shifts=(shift(5),))]), RULES, NOW)
    assert decision.gaps and "no one on call" in decision.gaps[0].reason


def test_an_item_already_paged_is_not_paged_again():
    sleeper = person("ana", shifts=(shift(12),), on_call=(shift(-2, 12),))
    decision = route(snap([item("c1", "critical", paged_to="ana")], [sleeper]), RULES, NOW)
    assert decision.pages == () and "awaiting answer" in decision.waits[0].reason


def test_an_untouched_assignment_goes_back_to_the_pool():
    ana = person("ana", open_items=(held("o1", assigned_min_ago=50, started=False),))
    decision = route(snap([], [ana, person("bob")]), RULES, NOW)
    assert [r.item_id for r in decision.releases] == ["o1"]
    assert assigned_to(decision) == {"o1": "bob"}  # never straight back to the same person


def test_unfinished_work_returns_to_the_pool_at_shift_end_with_a_handoff_note():
    gone = person("ana", shifts=(shift(-8.5),), open_items=(held("o1", assigned_min_ago=40),))
    decision = route(snap([], [gone]), RULES, NOW)
    assert decision.releases[0].reason == "shift ended at 11:30"
    assert "handoff from ana" in decision.releases[0].handoff_note


def test_work_taken_on_call_is_not_handed_off_at_shift_end():
    paged = person("ana", shifts=(), open_items=(held("o1", "critical", via_page=True),))
    assert route(snap([], [paged]), RULES, NOW).releases == ()


def test_lowering_capacity_never_takes_work_out_of_hands():
    ana = person("ana", open_items=tuple(held(f"o{k}", "high") for k in range(3)))
    decision = route(snap([item("m1")], [ana]), RULES.evolve(max_open_effort=3), NOW)
    assert decision.releases == () and decision.assignments == ()


def test_low_urgency_items_wait_for_a_batch():
    decision = route(snap([item("l1", "low"), item("l2", "low")], [person("ana")]), RULES, NOW)
    assert decision.assignments == () and "batches of 3" in decision.waits[0].reason


def test_a_full_low_urgency_batch_goes_to_one_person():
    decision = route(snap([item(f"l{k}", "low") for k in range(3)], [person("ana"), person("bob")]),
                     RULES, NOW)
    assert len(set(assigned_to(decision).values())) == 1 and len(decision.assignments) == 3


def test_an_old_low_urgency_item_leaves_without_a_full_batch():
    decision = route(snap([item("l1", "low", waited_min=150)], [person("ana")]), RULES, NOW)
    assert assigned_to(decision) == {"l1": "ana"}


def test_every_item_gets_exactly_one_outcome():
    items = [item(f"m{k}", u) for k, u in enumerate(["critical", "high", "normal", "low"] * 5)]
    decision = route(snap(items, [person("ana")]), RULES, NOW)
    outcomes = ([a.item_id for a in decision.assignments] + [i for w in decision.waits for i in w.item_ids]
                + [p.item_id for p in decision.pages] + [g.item_id for g in decision.gaps])
    assert sorted(outcomes) == sorted(i.id for i in items)


def test_routing_the_same_snapshot_twice_gives_the_same_decision():
    s = snap([item(f"m{k}") for k in range(10)], [person("ana"), person("bob")])
    assert route(s, RULES, NOW) == route(s, RULES, NOW)


def test_a_critical_item_takes_the_place_of_unstarted_low_work_when_everyone_is_full():
    full = person("ana", open_items=tuple(held(f"l{k}", "low", started=False) for k in range(6))
                  + (held("n1", "normal", started=True),))
    decision = route(snap([item("c1", "critical")], [full]), RULES, NOW)
    assert assigned_to(decision) == {"c1": "ana"}
    assert decision.releases and all(r.kind == "preempted" for r in decision.releases)
    assert "n1" not in {r.item_id for r in decision.releases}  # started work is never taken away
    assert all(r.item_id.startswith("l") for r in decision.releases)


def test_a_normal_item_never_pushes_other_work_back():
    full = person("ana", open_items=tuple(held(f"l{k}", "low", started=False) for k in range(12)))
    decision = route(snap([item("m1", "normal")], [full]), RULES, NOW)
    assert decision.assignments == () and decision.releases == ()


def test_a_critical_item_goes_to_whoever_can_start_it_first_not_the_freshest():
    # ana has handled less today but is 2 min into a 20-min critical case; bob is near the end of a
    # normal one: the new critical case would wait about 23 min behind ana and a minute behind bob
    ana = person("ana", open_items=(held("o1", "critical", assigned_min_ago=2),))
    bob = person("bob", hours_today=5.0, open_items=(held("o2", "normal", assigned_min_ago=7),
                                                     held("o3", "normal", started=False)))
    decision = route(snap([item("c1", "critical")], [ana, bob]), RULES, NOW)
    assert assigned_to(decision) == {"c1": "bob"}
    assert "soonest start" in decision.assignments[0].reason


def test_a_critical_item_goes_to_someone_full_of_unstarted_work_who_can_start_it_much_sooner():
    # ana has room but is 1 min into a 25-min critical case; bob's queue is full (a high he is 13 min
    # into, two unstarted highs): he starts the critical in about 2 min once the two highs go back
    ana = person("ana", open_items=(held("o1", "critical", assigned_min_ago=1),))
    bob = person("bob", hours_today=5.0, open_items=(held("h1", "high", assigned_min_ago=13),
                                                     held("h2", "high", started=False),
                                                     held("h3", "high", started=False)))
    decision = route(snap([item("c1", "critical")], [ana, bob]), RULES, NOW)
    assert assigned_to(decision)["c1"] == "bob"
    assert "2 unstarted, less urgent item(s) handed back" in decision.assignments[0].reason
    assert {r.item_id for r in decision.releases} == {"h2", "h3"}  # never h1, which he started
    assert assigned_to(decision).get("h2") != "bob" and assigned_to(decision).get("h3") != "bob"


def test_work_is_handed_back_for_a_critical_only_when_that_starts_it_minutes_sooner():
    # bob could start 2 min sooner than ana by handing back his queue: not worth the churn
    ana = person("ana", open_items=(held("o1", "normal", assigned_min_ago=4),))  # ~4 min to go
    bob = person("bob", hours_today=5.0, open_items=(held("h1", "high", assigned_min_ago=13),
                                                     held("h2", "high", started=False),
                                                     held("h3", "high", started=False)))
    decision = route(snap([item("c1", "critical")], [ana, bob]), RULES, NOW)
    assert assigned_to(decision) == {"c1": "ana"} and decision.releases == ()


def test_a_critical_item_does_not_go_to_someone_whose_break_falls_due_before_they_could_start_it():
    due = person("ana", shifts=(shift(-5.9),), open_items=(held("o1", "high", assigned_min_ago=1),))
    later = person("bob", hours_today=6.0, open_items=(held("o2", "high", assigned_min_ago=1),))
    assert assigned_to(route(snap([item("c1", "critical")], [due, later]), RULES, NOW)) == {"c1": "bob"}


def test_a_critical_item_goes_to_someone_idle_before_someone_whose_case_overran():
    overran = person("ana", open_items=(held("o1", "critical", assigned_min_ago=40),))  # 25 min expected
    idle = person("bob", hours_today=8.0, hours_week=30.0)  # more tired, so less fresh than ana
    assert assigned_to(route(snap([item("c1", "critical")], [overran, idle]), RULES, NOW)) == {"c1": "bob"}


def test_who_let_an_overdue_item_go_takes_nothing_less_urgent_until_it_comes_back():
    # Only ana reads Japanese. She let an overdue high go untouched in this pass, so it waits for
    # the next pass (not straight back): meanwhile she is not given normal work ahead of it.
    late = held("h1", "high", assigned_min_ago=50, started=False, required_skills=frozenset({"ja"}),
                received_at=NOW - timedelta(hours=3))
    ana = person("ana", "ja", open_items=(late,))
    decision = route(snap([item("n1"), item("n2")], [ana]), RULES, NOW)
    assert [r.item_id for r in decision.releases] == ["h1"]
    assert assigned_to(decision) == {}
    assert any("kept for a more urgent item" in w.reason for w in decision.waits)
    # With a colleague who can take the high, nobody is held back.
    decision = route(snap([item("n1")], [ana, person("bob", "ja")]), RULES, NOW)
    assert assigned_to(decision)["h1"] == "bob" and "n1" in assigned_to(decision)
