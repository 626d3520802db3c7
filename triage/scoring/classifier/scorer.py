"""ModelScorer: one embedding call per batch, calibrated heads, domain policy, and reasons."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np

from triage.core.message import Message
from triage.core.priority import URGENCY_BASE, priority
from triage.core.scoring import AuthorContext, Reason, Score
from triage.scoring.classifier.embedder import Embedder
from triage.scoring.classifier.heads import Heads
from triage.scoring.classifier.language import MIN_LANGUAGE_CONFIDENCE, LanguageDetector
from triage.scoring.classifier.reload import PromotedWatch
from triage.scoring.classifier.text import MODEL_TEXT_CHARS, has_words, normalize, scrub
from triage.scoring.classifier.threads import SMALL_BATCH, one_blas_thread
from triage.scoring.domain.relationship import relationship_value
from triage.scoring.domain.rules import RuleScorer

log = logging.getLogger(__name__)
LOW_CONFIDENCE = 0.5  # top-class probability under this is flagged for the manager
NO_WORDS_CONFIDENCE = 0.2  # nothing to read: same floor as the rule scorer uses
FOREIGN_PENALTY = 0.5  # MiniLM-L6 reads English; other languages halve our trust
MIXED_MIN_WORDS = 6  # shorter texts give the detector too little to call them mixed
SIGNAL_INTENTS = {"complaint": 0.3, "churn_risk": 0.5, "purchase_intent": 0.4}
NOTE_RULE_SHARE = 0.05  # below this the text reads as familiar and nothing is said


@dataclass(frozen=True, slots=True)
class Prediction:
    """The heads' output for one text: field -> {class: p}, and the rules' share in urgency."""

    proba: dict[str, dict[str, float]]
    rule_share: float = 0.0


class ModelScorer:
    """Implements the Scorer port with the learned model; one bad message never fails a batch."""

    def __init__(self, embedder: Embedder, heads: Heads, *, fallback: RuleScorer | None = None,
                 detector: LanguageDetector | None = None,
                 watch: PromotedWatch | None = None,
                 channels: Mapping[str, str] | None = None) -> None:
        self.embedder = embedder
        self.channels = dict(channels or {})  # source name -> connector channel (x, email, ...)
        self.heads = heads
        self.fallback = fallback or RuleScorer()
        self.detector = detector
        self.watch = watch
        self.name = f"model-{heads.version}"

    def refresh(self) -> bool:
        """Swap in a newly promoted model (cheap when nothing changed); True if it swapped."""
        heads = self.watch.poll() if self.watch is not None else None
        if heads is None:
            return False
        self.heads, self.name = heads, f"model-{heads.version}"
        return True

    def score_batch(self, messages: Sequence[Message],
                    contexts: Sequence[AuthorContext]) -> list[Score]:
        """Score all messages with one embed call; per-message failures fall back to rules."""
        if len(messages) != len(contexts):
            raise ValueError("one AuthorContext per message is required")
        self.refresh()
        texts = [scrub(m.text) for m in messages]
        langs = [self._language(m, t) for m, t in zip(messages, texts, strict=True)]
        probas = self._predict(texts, [not _foreign(lang) for lang in langs],
                               [self.channels.get(m.source) for m in messages])
        scores = []
        for i, (msg, ctx) in enumerate(zip(messages, contexts, strict=True)):
            try:
                if probas[i] is None:
                    raise RuntimeError("no model output for this message")
                scores.append(self._score_one(msg, ctx, texts[i], probas[i], langs[i]))
            except Exception as exc:  # noqa: BLE001 - isolating one message is the point
                scores.append(self._fallback(msg, ctx, exc))
        return scores

    def _predict(self, texts: list[str], english: list[bool],
                 channels: list[str | None]) -> list[Prediction | None]:
        """Field -> {class: p} per text; a batch failure is retried one message at a time."""
        try:
            return self._predict_many(texts, english, channels)
        except Exception:
            log.exception("batch scoring failed; retrying message by message")
        out: list[Prediction | None] = []
        for text, eng, channel in zip(texts, english, channels, strict=True):
            try:
                out.extend(self._predict_many([text], [eng], [channel]))
            except Exception:
                log.exception("model failed on one message")
                out.append(None)
        return out

    def _predict_many(self, texts: list[str], english: list[bool],
                      channels: list[str | None]) -> list[Prediction]:
        if not texts:
            return []
        emb = np.asarray(self.embedder.embed(texts), dtype=np.float32)
        if emb.shape[0] != len(texts) or not np.isfinite(emb).all():
            raise ValueError("embedder returned a malformed batch")
        with one_blas_thread() if len(texts) <= SMALL_BATCH else nullcontext():
            shares = self.heads.rule_weights(emb)
            if shares is not None:  # the keyword rules read English: elsewhere they have no vote
                shares = np.where(english, shares, 0.0)
            probas = self.heads.predict_proba(emb, texts, rule_weights=shares, channels=channels)
        return [Prediction({f: dict(zip(self.heads.heads[f].classes, map(float, p[i]), strict=True))
                            for f, p in probas.items()},
                           float(shares[i]) if shares is not None else 0.0)
                for i in range(len(texts))]

    def _score_one(self, msg: Message, ctx: AuthorContext, text: str,
                   prediction: Prediction, lang: tuple[str | None, float]) -> Score:
        rules = None
        labels: dict[str, tuple[str, float]] = {}
        proba, share = prediction.proba, prediction.rule_share
        for field in ("urgency", "intent", "sentiment"):
            if field in proba:
                label = max(proba[field], key=proba[field].get)
                labels[field] = (label, proba[field][label])
            else:  # no head (no training data for the field): the rule scorer answers
                rules = rules or self.fallback.score_one(msg, ctx)
                labels[field] = (getattr(rules, field), rules.confidence)
        (urgency, p_urg), (intent, p_int), (sentiment, p_sent) = (
            labels["urgency"], labels["intent"], labels["sentiment"])
        reasons = [Reason(f"urgency {urgency} (p={p_urg:.2f})", URGENCY_BASE[urgency] / 100)]
        if intent in SIGNAL_INTENTS:
            reasons.append(Reason(f"intent {intent} (p={p_int:.2f})",
                                  SIGNAL_INTENTS[intent] * p_int))
        if sentiment == "negative" and p_sent >= LOW_CONFIDENCE:
            reasons.append(Reason(f"negative tone (p={p_sent:.2f})", 0.2 * p_sent))
        confidence, flags = self._confidence(msg, text, p_urg, lang)
        if share >= NOTE_RULE_SHARE:
            flags.append(f"unlike our training data: keyword rules weigh {share:.0%} in urgency")
        reasons.extend(Reason(f, 0.0) for f in flags)
        rel = relationship_value(ctx, intent=intent)
        reasons.extend(rel.reasons)
        return Score(urgency=urgency, intent=intent, sentiment=sentiment,
                     relationship=rel.value, tier=rel.tier,
                     priority=priority(urgency, rel.value), confidence=round(confidence, 3),
                     model=self.name, reasons=tuple(reasons),
                     urgency_proba=_rounded(proba.get("urgency")),
                     intent_proba=_rounded(proba.get("intent")),
                     sentiment_proba=_rounded(proba.get("sentiment")))

    def embeddings(self, messages: Sequence[Message]) -> np.ndarray:
        """The vectors the heads saw, for storm grouping; the embedding cache makes this cheap."""
        return np.asarray(self.embedder.embed([scrub(m.text) for m in messages]), dtype=np.float32)

    def _confidence(self, msg: Message, text: str, p_urg: float,
                    language: tuple[str | None, float]) -> tuple[float, list[str]]:
        """Confidence in the urgency call and the low-confidence flags a manager should see."""
        confidence, flags = p_urg, []
        if p_urg < LOW_CONFIDENCE:
            flags.append(f"low confidence: urgency unsure (p={p_urg:.2f})")
        if not has_words(text):
            confidence = min(confidence, NO_WORDS_CONFIDENCE)
            flags.append("low confidence: no words to read (empty, emoji or links only)")
        if len(text) > MODEL_TEXT_CHARS:
            flags.append(f"long text: scored on the first {MODEL_TEXT_CHARS:,} characters")
        if text != msg.text:  # scrub() replaced U+FFFD, NULs or lone surrogates
            flags.append("text had invalid characters (replaced)")
        lang, lang_conf = language
        if _foreign(language):
            confidence *= FOREIGN_PENALTY
            flags.append(f"low confidence: language '{lang}', the model reads English")
        elif lang_conf < MIN_LANGUAGE_CONFIDENCE and len(text.split()) >= MIXED_MIN_WORDS:
            confidence *= FOREIGN_PENALTY
            flags.append("low confidence: mixed or unclear language")
        return confidence, flags

    def _language(self, msg: Message, text: str) -> tuple[str | None, float]:
        if msg.language:
            return msg.language.lower()[:2], 1.0
        if self.detector is None:
            return None, 1.0
        try:
            return self.detector.detect(normalize(text))
        except Exception:  # noqa: BLE001 - language is a hint, never a reason to fail
            return None, 1.0

    def _fallback(self, msg: Message, ctx: AuthorContext, exc: Exception) -> Score:
        log.warning("model could not score %s: %r; using rules", msg.key, exc)
        s = self.fallback.score_one(msg, ctx)
        note = Reason(f"model failed on this message ({type(exc).__name__}); rule scorer used", 0.0)
        return Score(urgency=s.urgency, intent=s.intent, sentiment=s.sentiment,
                     relationship=s.relationship, tier=s.tier, priority=s.priority,
                     confidence=min(s.confidence, 0.3), model=f"{self.name}+{s.model}",
                     reasons=(note, *s.reasons), urgency_proba=s.urgency_proba)


def _foreign(language: tuple[str | None, float]) -> bool:
    """Confidently not English (mixed or unclear text may still hold English keywords)."""
    lang, confidence = language
    return bool(lang) and lang != "en" and confidence >= MIN_LANGUAGE_CONFIDENCE


def _rounded(proba: dict[str, float] | None) -> dict[str, float]:
    return {c: round(p, 4) for c, p in (proba or {}).items()}
