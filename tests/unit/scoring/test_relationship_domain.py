"""Relationship value from facts under a lead's policy, reach kept apart, and waiting-time priority."""

from __future__ import annotations

from datetime import timedelta

import pytest

from triage.core.errors import Invalid
from triage.core.priority import WAIT_STEPS, priority, waiting_reason
from triage.core.scoring import AuthorContext
from triage.scoring.domain.relationship import (
    DEFAULT_POLICY,
    RelationshipPolicy,
    reach_reason,
    relationship_value,
)


def value(ctx: AuthorContext, **kw) -> float:
    return relationship_value(ctx, **kw).value


def test_defaults_leave_a_plain_author_at_the_public_weight():
    assert value(AuthorContext()) == DEFAULT_POLICY.group_weights["public"]


@pytest.mark.parametrize("facts,reason", [
    ({"open_deals": 2}, "2 open order(s) or deal(s)"),
    ({"tenure_days": 730}, "community member for 2.0 years"),
    ({"past_sentiment": -0.8}, "earlier messages mostly negative: relationship at risk"),
    ({"days_since_last": 0.2}, "last wrote to us today"),
    ({"lifetime_value": 50_000}, "lifetime value 50,000"),
])
def test_each_fact_adds_value_and_says_so(facts, reason):
    rel = relationship_value(AuthorContext(group="customer", **facts))
    assert rel.value > value(AuthorContext(group="customer"))
    assert reason in [r.text for r in rel.reasons]
    assert all(r.kind == "relationship" for r in rel.reasons)


def test_a_positive_or_old_history_adds_no_souring_or_recency():
    ctx = AuthorContext(group="customer", past_sentiment=0.9, days_since_last=200)
    assert value(ctx) == value(AuthorContext(group="customer"))


def test_reach_never_adds_value_but_is_named_when_large():
    famous = AuthorContext(followers=3_000_000, verified=True)
    assert value(famous) == value(AuthorContext())
    assert reach_reason(famous).text == "large reach: 3.0M followers, verified"
    assert reach_reason(famous).weight == 0.0
    assert reach_reason(AuthorContext(followers=500)) is None


def test_a_policy_changes_what_a_group_and_an_intent_are_worth():
    policy = RelationshipPolicy.from_dict({"group_weights": {"prospect": 0.9},
                                           "intent_bonus": {"purchase_intent": 0.0}})
    ctx = AuthorContext(group="prospect")
    assert value(ctx, intent="purchase_intent", policy=policy) == 0.9
    assert value(ctx, intent="purchase_intent") == pytest.approx(0.4 + 0.15)
    assert policy.group_weights["customer"] == DEFAULT_POLICY.group_weights["customer"]


def test_a_policy_signal_at_zero_contributes_nothing_and_the_cap_holds():
    policy = RelationshipPolicy.from_dict({"signals": {"open_deals": 0}, "cap": 0.6})
    ctx = AuthorContext(group="partner", crm_tier="platinum", open_deals=3)
    rel = relationship_value(ctx, policy=policy)
    assert rel.value == 0.6 and not any("deal" in r.text for r in rel.reasons)


@pytest.mark.parametrize("doc,problem", [
    ({"group_weights": {"customer": 1.5}}, "group_weights.customer must be a number in [0, 1]"),
    ({"group_weights": {"martians": 0.5}}, "unknown group 'martians'"),
    ({"intent_bonus": {"gossip": 0.1}}, "unknown intent 'gossip'"),
    ({"signals": {"followers": 0.3}}, "unknown signal 'followers'"),
    ({"cap": 0}, "cap must be a number in (0, 1]"),
    ({"tier_bonus": {"gold": True}}, "tier_bonus.gold must be a number"),
    ({"weights": {}}, "unknown sections: weights"),
])
def test_an_invalid_policy_is_refused_with_the_problem_named(doc, problem):
    with pytest.raises(Invalid, match=problem.replace("[", r"\[").replace("(", r"\(")):
        RelationshipPolicy.from_dict(doc)


def test_a_policy_round_trips_through_its_document():
    policy = RelationshipPolicy.from_dict({"tier_bonus": {"Diamond": 0.4}})
    assert RelationshipPolicy.from_dict(policy.as_dict()) == policy
    assert policy.tier_bonus["diamond"] == 0.4


def test_waiting_lifts_priority_up_to_the_target_and_no_further():
    fresh = priority("high", 0.5)
    half = priority("high", 0.5, timedelta(hours=1))
    assert fresh < half < priority("high", 0.5, timedelta(hours=2))
    assert priority("high", 0.5, timedelta(hours=2)) == priority("high", 0.5, timedelta(days=9))


def test_steps_count_waiting_in_whole_fractions_of_the_target():
    assert priority("normal", 0.0, timedelta(hours=23), steps=WAIT_STEPS) == 35 + 5 * 19 / 20
    assert priority("normal", 0.0, timedelta(hours=24), steps=WAIT_STEPS) == 40


def test_the_waiting_reason_appears_from_half_the_target():
    assert waiting_reason("high", timedelta(minutes=50)) is None
    assert waiting_reason("high", timedelta(hours=3)).text == "waiting 3 h of a 2 h target"
    assert waiting_reason("critical", timedelta(minutes=20)).text == "waiting 20 min of a 30 min target"
