"""The real MiniLM + committed heads, end to end on a handful of messages (marked ml: slow import)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from triage.core.message import Author, Message
from triage.core.scoring import AuthorContext
from triage.scoring.classifier.embedder import CachedEmbedder, MiniLMEmbedder
from triage.scoring.classifier.heads import load_heads
from triage.scoring.classifier.language import LinguaDetector
from triage.scoring.classifier.scorer import ModelScorer

pytestmark = pytest.mark.ml
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def scorer() -> ModelScorer:
    embedder = CachedEmbedder(MiniLMEmbedder(batch_size=32).load())
    heads = load_heads(ROOT / "models", embedder_id=embedder.model_id, embed_dim=embedder.dim)
    return ModelScorer(embedder, heads, detector=LinguaDetector())


def _score(scorer, texts, **ctx):
    at = datetime(2026, 3, 1, tzinfo=UTC)
    msgs = [Message(source="test", external_id=str(i), author=Author(id="a"), text=t,
                    created_at=at) for i, t in enumerate(texts)]
    return scorer.score_batch(msgs, [AuthorContext(**ctx)] * len(msgs))


def test_minilm_gives_unit_vectors_and_identical_texts_identical_vectors():
    vecs = MiniLMEmbedder().embed(["my card was stolen", "my card was stolen", "nice day"])
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert np.allclose(vecs[0], vecs[1]) and not np.allclose(vecs[0], vecs[2])


def test_fraud_outranks_thanks_and_reasons_explain_it(scorer):
    fraud, thanks = _score(scorer, [
        "There's a payment on my card I never made, someone is using my account",
        "@airline thanks so much, the crew was lovely today!"])
    assert fraud.urgency == "critical" and fraud.priority > thanks.priority
    assert thanks.urgency == "low" and thanks.sentiment == "positive"
    assert fraud.top_reasons(1)[0].text.startswith("urgency critical (p=")


def test_churn_from_a_gold_customer_is_named_in_the_reasons(scorer):
    (s,) = _score(scorer, ["I want to close my account and delete all my data"],
                  group="customer", crm_tier="gold")
    assert s.intent == "churn_risk"
    assert any(r.text == "churn signal from a gold-tier customer" for r in s.reasons)


def test_bad_input_batch_is_scored_whole(scorer):
    texts = ["", "🔥🔥🔥", "https://example.com/x", "refund please " * 4000,
             ("Sehr geehrte Damen und Herren, mein Konto ist seit gestern gesperrt und ich "
             "kann keine Zahlungen mehr machen."), "bad \ufffd\ufffd bytes \x00 here"]
    scores = _score(scorer, texts)
    assert len(scores) == len(texts)
    assert all(s.model.startswith("model-") for s in scores)
    assert any("language 'de'" in r.text for r in scores[4].reasons)
    assert scores[0].confidence <= 0.2
