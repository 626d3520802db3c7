"""The rule scorer: urgency bands, reasons, relationship, and bad input that must not break it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from triage.core.message import Author, Message
from triage.core.scoring import AuthorContext
from triage.scoring.domain.rules import RuleScorer


def msg(text: str) -> Message:
    return Message(source="t", external_id="1", author=Author(id="a"), text=text,
                   created_at=datetime(2026, 1, 1, tzinfo=UTC))


def score(text: str, ctx: AuthorContext | None = None):
    return RuleScorer().score_batch([msg(text)], [ctx or AuthorContext()])[0]


@pytest.mark.parametrize("text,urgency", [
    ("My account was hacked and there is a payment I don't recognise", "critical"),
    ("I will take legal action, my lawyer is reading this", "critical"),
    ("The site is down, I can't log in", "high"),
    ("How do I change my email address?", "normal"),
    ("Love the new design!", "low"),
])
def test_urgency_bands(text, urgency):
    s = score(text)
    assert s.urgency == urgency
    if urgency != "low":
        assert s.reasons, "a raised urgency carries its reason"


def test_priority_orders_critical_above_low_whatever_the_relationship():
    vip = AuthorContext(group="customer", crm_tier="gold", interactions=20)
    assert score("someone hacked my account").priority > score("love it", vip).priority


def test_relationship_lifts_priority_within_a_band_and_says_why():
    plain = score("How do I cancel my account?")
    vip = score("How do I cancel my account?", AuthorContext(group="customer", crm_tier="gold"))
    assert vip.priority > plain.priority and vip.relationship > plain.relationship
    assert any("gold" in r.text for r in vip.reasons)


def test_reach_never_inflates_relationship_value():
    famous = AuthorContext(followers=2_000_000, verified=True)
    assert score("hello", famous).relationship == score("hello").relationship


@pytest.mark.parametrize("text", ["", "🔥🔥🔥", "https://x.co/abc https://y.co", "a" * 60_000,
                                  "Hola, ¿dónde está mi pedido? 你好", "bad \udcff bytes"])
def test_odd_input_is_scored_not_dropped(text):
    s = score(text)
    assert s.urgency in ("critical", "high", "normal", "low") and 0 <= s.priority <= 100


def test_text_with_no_words_is_flagged_low_confidence():
    s = score("🔥🔥 https://x.co")
    assert s.confidence < 0.5 and any("low confidence" in r.text for r in s.reasons)
