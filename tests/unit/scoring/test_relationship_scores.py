"""Score fields and policy application: intent and sentiment probabilities, reasons replaced by kind."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from triage.core.message import Author, Message
from triage.core.scoring import INTENTS, AuthorContext, Reason
from triage.scoring.domain.relationship import RelationshipPolicy
from triage.scoring.domain.rules import RuleScorer
from triage.scoring.relationship import apply_policy


def msg(text: str, i: int = 0) -> Message:
    return Message(source="t", external_id=f"m{i}", author=Author(id="a"), text=text,
                   created_at=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def model_scorer():
    from tests.unit.scoring.classifier.toys import toy_records, toy_splits
    from triage.scoring.classifier.embedder import HashingEmbedder
    from triage.scoring.classifier.features import FeatureSpec
    from triage.scoring.classifier.scorer import ModelScorer
    from triage.scoring.classifier.train import fit_heads

    embedder, records = HashingEmbedder(dim=64), toy_records()
    heads = fit_heads(records, embedder.embed([r["text"] for r in records]), version="toy-1",
                      embedder_id=embedder.model_id,
                      spec=FeatureSpec(embed_dim=embedder.dim),
                      splits=toy_splits(records))
    return ModelScorer(embedder, heads)


def test_the_model_scorer_returns_intent_and_sentiment_probabilities(model_scorer):
    [s] = model_scorer.score_batch([msg("someone stole my card fraud")], [AuthorContext()])
    assert set(s.intent_proba) <= set(INTENTS) and sum(s.intent_proba.values()) == pytest.approx(1, abs=1e-3)
    assert set(s.sentiment_proba) == {"negative", "neutral", "positive"}
    assert max(s.intent_proba, key=s.intent_proba.get) == s.intent


def test_the_model_scorer_exposes_the_embeddings_it_scored_with(model_scorer):
    texts = [msg("payment failed cannot pay now", 0), msg("payment failed cannot pay now", 1)]
    vecs = model_scorer.embeddings(texts)
    assert vecs.shape == (2, 64) and np.allclose(vecs[0], vecs[1])


def test_scores_default_to_empty_probabilities_under_rules():
    [s] = RuleScorer().score_batch([msg("hello")], [AuthorContext()])
    assert s.intent_proba == {} and s.sentiment_proba == {}


def test_applying_a_policy_replaces_relationship_reasons_and_keeps_the_rest():
    ctx = AuthorContext(group="customer", crm_tier="gold", followers=50_000)
    [s] = RuleScorer().score_batch([msg("I want to cancel my subscription")], [ctx])
    policy = RelationshipPolicy.from_dict({"tier_bonus": {"gold": 0.0}, "group_weights": {"customer": 0.3}})
    out = apply_policy(s, ctx, policy)
    texts = [r.text for r in out.reasons]
    assert out.relationship < s.relationship and out.priority < s.priority
    assert "gold-tier account" not in texts and "customer" in texts
    assert [r for r in s.reasons if not r.kind] == [r for r in out.reasons if not r.kind]
    assert Reason("large reach: 50k followers", 0.0, kind="reach") in out.reasons
    assert sum(r.kind == "relationship" and r.text == "customer" for r in out.reasons) == 1
