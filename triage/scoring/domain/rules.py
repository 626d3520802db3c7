"""A transparent keyword-and-sentiment scorer: the cold-start fallback and the baseline to beat."""

from __future__ import annotations

import re
from collections.abc import Sequence

from triage.core.message import MAX_TEXT_CHARS, Message
from triage.core.priority import priority
from triage.core.scoring import AuthorContext, Reason, Score
from triage.scoring.domain.relationship import relationship_value

_I = re.IGNORECASE  # every rule matches regardless of case

# Each rule: (urgency, label shown to managers, pattern). First matching urgency band wins.
_URGENCY_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("critical", "safety words", re.compile(
        r"\b(suicid\w*|kill (my|him|her|them)self|overdose|injur\w*|bleeding|fire|explosion|"
        r"emergency|trapped|collapsed?|dying|dead|death|ambulance|threat\w*|bomb)\b", _I)),
    ("critical", "security or fraud", re.compile(
        r"\b(hack(ed|er)?|fraud\w*|stolen|unauthori[sz]ed|not recogni[sz]e\w*|compromised|"
        r"data (breach|leak)|phishing|scam(med)?|identity theft|didn'?t make this (payment|transaction))\b",
        re.IGNORECASE)),
    ("critical", "legal threat", re.compile(
        r"\b(lawsuit|sue you|suing|lawyer|attorney|legal action|gdpr complaint|regulator)\b", _I)),
    ("high", "outage or blocked customer", re.compile(
        r"\b(down|outage|not working|doesn'?t work|can'?t (log ?in|login|access|pay|sign ?up)|"
        r"declined|failed|error|broken|stuck|stranded|cancel+ed|lost (my )?(bag|luggage)|"
        r"charged twice|double charged|refund|missing|urgent\w*|asap|immediately)\b", _I)),
    ("normal", "question or request", re.compile(
        r"(\?|\b(how (do|can|to)|where|when|what|why|could you|can you|please|help)\b)", _I)),
)

_INTENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("churn_risk", re.compile(r"\b(cancel (my )?(account|subscription|membership)|close (my )?account|"
                              r"delete (my )?account|switch(ing)? to|unsubscribe|leaving you)\b", _I)),
    ("purchase_intent", re.compile(r"\b(buy|purchase|order|pricing|price|quote|upgrade|subscribe)\b", _I)),
    ("partnership", re.compile(r"\b(partner(ship)?|collaborat\w+|sponsor\w*|integration)\b", _I)),
    ("press", re.compile(r"\b(journalist|reporter|press|for an article|comment for)\b", _I)),
    ("spam", re.compile(r"\b(free followers|crypto giveaway|click here|earn \$\d+|dm me for)\b", _I)),
    ("complaint", re.compile(r"\b(worst|terrible|awful|unacceptable|disappointed|complain\w*|"
                             r"not working|broken|never again|ridiculous|failed|declined)\b", _I)),
    ("praise", re.compile(r"\b(thank(s| you)|love|great|awesome|amazing|excellent|best)\b", _I)),
    ("feedback", re.compile(r"\b(suggest\w*|feature request|would be nice|feedback|idea)\b", _I)),
    ("question", re.compile(r"(\?|\b(how|where|when|what|why|can i|could you)\b)", _I)),
)

_NEGATIVE = re.compile(r"\b(worst|terrible|awful|hate|angry|furious|unacceptable|disappointed|"
                       r"ridiculous|useless|horrible|never again|sucks?|fail\w*|broken|rude)\b", _I)
_POSITIVE = re.compile(r"\b(thank\w*|love|great|awesome|amazing|excellent|best|happy|helpful|"
                       r"fantastic|perfect|wonderful)\b", _I)
_WORDS = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_URLS = re.compile(r"https?://\S+|www\.\S+", _I)


def _sentiment(text: str) -> tuple[str, int]:
    neg, pos = len(_NEGATIVE.findall(text)), len(_POSITIVE.findall(text))
    if neg > pos:
        return "negative", neg - pos
    if pos > neg:
        return "positive", pos - neg
    return "neutral", 0


class RuleScorer:
    """Keyword rules with reasons; every score says which words moved it."""

    name = "rules-v1"

    def score_batch(
        self, messages: Sequence[Message], contexts: Sequence[AuthorContext]
    ) -> list[Score]:
        return [self.score_one(m, c) for m, c in zip(messages, contexts, strict=True)]

    def score_one(self, message: Message, context: AuthorContext) -> Score:
        text = message.text[:MAX_TEXT_CHARS]
        reasons: list[Reason] = []
        urgency, confidence = "low", 0.5
        for level, label, pattern in _URGENCY_RULES:
            hit = pattern.search(text)
            if hit:
                urgency, confidence = level, 0.7
                reasons.append(Reason(f"{label}: \u201c{hit.group(0).strip()}\u201d", 1.0))
                break
        intent = next((name for name, p in _INTENT_RULES if p.search(text)), "other")
        sentiment, strength = _sentiment(text)
        if sentiment == "negative" and urgency in ("normal", "low"):
            urgency = "normal" if strength < 2 else "high"
            reasons.append(Reason("angry customer" if strength >= 2 else "negative tone", 0.6))
        if intent == "spam":
            urgency = "low"
            reasons.append(Reason("looks like spam", -0.5))
        if not _WORDS.search(_URLS.sub(" ", text)):
            confidence = 0.2
            reasons.append(Reason("low confidence: no words to read (empty, emoji or links only)", 0.0))
        rel = relationship_value(context, intent=intent)
        reasons.extend(rel.reasons)
        return Score(
            urgency=urgency, intent=intent, sentiment=sentiment,
            relationship=rel.value, tier=rel.tier,
            priority=priority(urgency, rel.value), confidence=confidence,
            model=self.name, reasons=tuple(reasons),
        )
