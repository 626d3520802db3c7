"""Classification and ranking metrics over labelled rows: per-class P/R/F1, macro-F1, ECE, nDCG."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

URGENCY_GAIN = {"critical": 3.0, "high": 2.0, "normal": 1.0, "low": 0.0}
ECE_BINS = 10
TOP_K = 100  # the head of the queue a manager actually reads


def per_class(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support for every class that occurs in the gold labels."""
    out = {}
    for cls in sorted(set(y_true)):
        tp = sum(t == cls and p == cls for t, p in zip(y_true, y_pred, strict=True))
        pred = sum(p == cls for p in y_pred)
        gold = sum(t == cls for t in y_true)
        prec = tp / pred if pred else 0.0
        rec = tp / gold if gold else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[cls] = {"precision": prec, "recall": rec, "f1": f1, "support": gold}
    return out


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Mean F1 over the classes the gold labels contain (a file can't be blamed for absent ones)."""
    table = per_class(y_true, y_pred)
    return float(np.mean([c["f1"] for c in table.values()])) if table else 0.0


def ece(confidence: Sequence[float], correct: Sequence[bool], bins: int = ECE_BINS) -> float:
    """Expected calibration error of the top-label confidence, equal-width bins."""
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(correct, dtype=float)
    if not len(conf):
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(conf[mask].mean() - hit[mask].mean())
    return float(total)


def ndcg(gold: Sequence[str], scores: Sequence[float], k: int | None = None) -> float:
    """nDCG (of the top `k`, or all) of ordering rows by `scores` against graded urgency gains
    (critical 3 .. low 0)."""
    gains = np.array([URGENCY_GAIN[g] for g in gold], dtype=float)
    if not len(gains) or gains.max() == 0:
        return 0.0
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    k = len(gains) if k is None else min(k, len(gains))
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float(((2 ** gains[order][:k] - 1) * discount).sum())
    ideal = float(((2 ** np.sort(gains)[::-1][:k] - 1) * discount).sum())
    return dcg / ideal


def expected_gain(proba: dict[str, float]) -> float:
    """Ranking score for urgency: expected gain under the predicted distribution."""
    return sum(URGENCY_GAIN.get(c, 0.0) * p for c, p in proba.items())


def field_report(gold: Sequence[str], pred: Sequence[str], proba: Sequence[dict[str, float]],
                 *, urgency: bool = False) -> dict:
    """Everything `triage eval` prints for one field and one system."""
    conf = [p.get(y, 0.0) for p, y in zip(proba, pred, strict=True)]
    report = {
        "n": len(gold), "macro_f1": macro_f1(gold, pred),
        "ece": ece(conf, [g == y for g, y in zip(gold, pred, strict=True)]),
        "per_class": per_class(gold, pred),
    }
    if urgency:
        gains = [expected_gain(p) for p in proba]
        report["ndcg"] = ndcg(gold, gains)
        report[f"ndcg{TOP_K}"] = ndcg(gold, gains, TOP_K)
    return report
