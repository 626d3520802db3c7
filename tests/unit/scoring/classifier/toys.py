"""Invented toy records in the shared format: no data file is copied into the tests."""

from __future__ import annotations

import itertools

# Invented phrases, one family per label, so a bag-of-words model can learn them.
_URGENCY = {
    "critical": ["someone stole my card fraud", "there is a fire and people are trapped"],
    "high": ["my flight was cancelled and i am stranded", "payment failed cannot pay now"],
    "normal": ["what is the fee for a transfer", "how do i change my address"],
    "low": ["lovely weather today friends", "thoughts and prayers to everyone"],
}
_INTENT = {"critical": "complaint", "high": "complaint", "normal": "question", "low": "praise"}
_SENTIMENT = {"critical": "negative", "high": "negative", "normal": "neutral", "low": "positive"}


def toy_records(n_per_phrase: int = 12) -> list[dict]:
    """Records in the shared format, two sources, every field labelled."""
    rows = []
    counter = itertools.count()
    for urgency, phrases in _URGENCY.items():
        for phrase, k in itertools.product(phrases, range(n_per_phrase)):
            i = next(counter)
            rows.append({"id": f"toy:{i}", "text": f"{phrase} number {k}", "channel": "chat",
                         "dataset": "toy_a" if i % 2 else "toy_b", "urgency": urgency,
                         "intent": _INTENT[urgency], "sentiment": _SENTIMENT[urgency], "raw": {}})
    return rows


def toy_splits(records: list[dict]) -> list[str]:
    return ["calib" if i % 5 == 0 else "train" for i in range(len(records))]
