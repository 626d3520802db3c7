"""ModelScorer on the toy model: batching, reasons, and bad input that must never fail a batch."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from triage.core.message import Author, Message
from triage.core.scoring import URGENCIES, AuthorContext
from triage.scoring.classifier.embedder import HashingEmbedder
from triage.scoring.classifier.scorer import ModelScorer


def msg(text: str, i: int = 0, language: str | None = None) -> Message:
    return Message(source="test", external_id=f"m{i}", author=Author(id="a"), text=text,
                   language=language, created_at=datetime(2026, 1, 1, tzinfo=UTC))


class FixedDetector:
    """Language port fake: answers from a dict, English by default."""

    def __init__(self, answers: dict[str, tuple[str, float]]) -> None:
        self.answers = answers

    def detect(self, text: str) -> tuple[str | None, float]:
        return self.answers.get(text, ("en", 0.9))


class ExplodingEmbedder(HashingEmbedder):
    """Fails on any batch holding the poison word, like a tokenizer crash on one input."""

    def embed(self, texts, progress=None):  # noqa: ARG002 (the embedder interface)
        if any("poison" in t for t in texts):
            raise RuntimeError("tokenizer exploded")
        return super().embed(texts)


def scores_for(scorer, texts, **ctx):
    messages = [msg(t, i) for i, t in enumerate(texts)]
    return scorer.score_batch(messages, [AuthorContext(**ctx)] * len(messages))


def test_whole_batch_is_embedded_in_one_call(heads):
    embedder = HashingEmbedder(dim=64)
    scorer = ModelScorer(embedder, heads)
    scores_for(scorer, [f"payment failed cannot pay now {i}" for i in range(64)])
    assert embedder.calls == [64]


def test_scores_carry_learned_labels_probabilities_and_reasons(heads, embedder):
    scorer = ModelScorer(embedder, heads)
    (s,) = scores_for(scorer, ["someone stole my card fraud number 1"], group="customer",
                      crm_tier="gold")
    assert (s.urgency, s.intent, s.sentiment) == ("critical", "complaint", "negative")
    assert set(s.urgency_proba) == set(URGENCIES)
    assert sum(s.urgency_proba.values()) == pytest.approx(1.0, abs=1e-3)
    assert s.top_reasons(1)[0].text.startswith("urgency critical (p=")
    assert any("gold-tier" in r.text for r in s.reasons)
    assert s.priority > 80 and s.tier in ("high", "key") and s.model == "model-toy-1"


def test_bad_inputs_are_scored_and_flagged_without_failing_the_batch(heads, embedder):
    texts = ["", "😡😡😡", "https://t.co/x @brand", "refund " * 10_000,
             "payment failed \ufffd\x00 now", "ok"]
    scores = scores_for(ModelScorer(embedder, heads), texts)
    assert len(scores) == len(texts)
    reasons = [" | ".join(r.text for r in s.reasons) for s in scores]
    for i in (0, 1, 2):
        assert "no words to read" in reasons[i] and scores[i].confidence <= 0.2
    assert "long text" in reasons[3]
    assert "invalid characters" in reasons[4]


def test_foreign_and_mixed_language_lower_confidence(heads, embedder):
    german = "mein konto ist gesperrt bitte helfen sie mir sofort"
    mixed = "hello bonjour hola wie geht es dir heute"
    detector = FixedDetector({german: ("de", 0.99), mixed: ("de", 0.3)})
    scorer = ModelScorer(embedder, heads, detector=detector)
    english, de, mix = scores_for(scorer, ["payment failed cannot pay now 1", german, mixed])
    assert not any("language" in r.text for r in english.reasons)
    assert any("language 'de'" in r.text for r in de.reasons)
    assert any("mixed or unclear" in r.text for r in mix.reasons)


def test_declared_language_beats_the_detector(heads, embedder):
    scorer = ModelScorer(embedder, heads, detector=FixedDetector({}))
    (s,) = scorer.score_batch([msg("payment failed cannot pay now", language="es")],
                              [AuthorContext()])
    assert any("language 'es'" in r.text for r in s.reasons)


def test_one_failing_message_falls_back_to_rules_and_the_rest_are_modelled(heads):
    scorer = ModelScorer(ExplodingEmbedder(dim=64), heads)
    ok, bad, ok2 = scores_for(scorer, ["someone stole my card fraud", "poison pill fraud",
                                       "how do i change my address"])
    assert bad.model.endswith("rules-v1") and "rule scorer used" in bad.reasons[0].text
    assert ok.model == ok2.model == "model-toy-1"


def test_malformed_embeddings_fall_back_instead_of_scoring_garbage(heads):
    class NaNEmbedder(HashingEmbedder):
        def embed(self, texts, progress=None):  # noqa: ARG002 (the embedder interface)
            return np.full((len(texts), 64), np.nan, dtype=np.float32)

    (s,) = scores_for(ModelScorer(NaNEmbedder(dim=64), heads), ["anything"])
    assert "rule scorer used" in s.reasons[0].text


def test_contexts_must_match_messages(heads, embedder):
    with pytest.raises(ValueError):
        ModelScorer(embedder, heads).score_batch([msg("a")], [])
