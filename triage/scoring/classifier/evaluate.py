"""Score a labelled file with the shipped model and the baselines, side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from triage.scoring.classifier.baselines import (
    EmbeddingTfidfBaseline,
    Predictions,
    TfidfBaseline,
    rule_predictions,
)
from triage.scoring.classifier.data import FIELDS, split_of
from triage.scoring.classifier.heads import Heads
from triage.scoring.classifier.metrics import field_report

SYSTEMS = ("model", "baseline_b", "tfidf_lr", "rules")


def model_predictions(heads: Heads, embeddings: np.ndarray, texts: Sequence[str],
                      channels: Sequence[str | None] | None = None) -> Predictions:
    """Labels and probability dicts per field from the learned heads (gate and blend included)."""
    probas = heads.predict_proba(embeddings, list(texts), channels=channels)
    out: Predictions = {}
    for field, proba in probas.items():
        classes = heads.heads[field].classes
        out[field] = ([classes[k] for k in np.argmax(proba, axis=1)],
                      [dict(zip(classes, map(float, row), strict=True)) for row in proba])
    return out


def compare(records: Sequence[dict], systems: dict[str, Predictions]) -> dict:
    """Per field with labels in `records`: each system's report on that field's labelled rows."""
    result: dict = {}
    for field in FIELDS:
        idx = [i for i, r in enumerate(records) if r.get(field) is not None]
        if not idx:
            continue
        gold = [records[i][field] for i in idx]
        result[field] = {}
        for name, preds in systems.items():
            if field not in preds:
                continue
            labels, probas = preds[field]
            result[field][name] = field_report(
                gold, [labels[i] for i in idx], [probas[i] for i in idx],
                urgency=field == "urgency")
    return result


def held_back(records: Sequence[dict]) -> list[int]:
    """Indices of the rows no model or baseline fit may see: the file's held-back rows."""
    return [i for i, r in enumerate(records) if split_of(r) == "holdout"]


def b_training_rows(starter: Sequence[dict], evaluated: Sequence[dict]) -> list[int]:
    """Baseline B trains on every starter row except the evaluated file's held-back rows."""
    hidden = {evaluated[i]["id"] for i in held_back(evaluated)}
    return [i for i, r in enumerate(starter) if r["id"] not in hidden]


def evaluate_file(records: Sequence[dict], *, heads: Heads, embeddings: np.ndarray,
                  train_records: Sequence[dict], baseline_c: float = 1.0,
                  b_records: Sequence[dict] | None = None,
                  b_embeddings: np.ndarray | None = None) -> dict:
    """Side-by-side report on the rows the model never saw; model predictions for every row.

    With `b_records` (and their embeddings), baseline B is fitted on them in this run.
    """
    texts = [r["text"] for r in records]
    model_all = model_predictions(heads, embeddings, texts, [r.get("channel") for r in records])
    keep = held_back(records)
    kept = [records[i] for i in keep]
    kept_texts = [texts[i] for i in keep]
    systems = {"model": {f: ([lab[i] for i in keep], [pr[i] for i in keep])
                         for f, (lab, pr) in model_all.items()}}
    if b_records is not None and b_embeddings is not None:
        systems["baseline_b"] = EmbeddingTfidfBaseline(c=baseline_c).fit(
            b_records, b_embeddings).predict(kept_texts, embeddings[keep])
    systems["tfidf_lr"] = TfidfBaseline(c=baseline_c).fit(train_records).predict(kept_texts)
    systems["rules"] = rule_predictions(kept_texts)
    return {"n": len(records), "n_evaluated": len(kept), "n_seen_in_training": len(records) - len(kept),
            "model_version": heads.version, "fields": compare(kept, systems),
            "_predictions": model_all}


def write_predictions(path: Path, records: Sequence[dict], preds: Predictions) -> None:
    """One JSON line per input record with the shipped model's labels and probabilities."""
    import json

    with open(path, "w", encoding="utf-8") as f:
        for i, r in enumerate(records):
            line = {"id": r.get("id")}
            for field in FIELDS:
                labels, probas = preds.get(field, ([None] * len(records), [{}] * len(records)))
                line[field] = labels[i]
                line[f"{field}_proba"] = {c: round(p, 4) for c, p in probas[i].items()}
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
