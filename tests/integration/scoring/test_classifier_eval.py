"""The committed model on real held-back rows beats the rule baseline (reads ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.scoring.classifier.baselines import rule_predictions
from triage.scoring.classifier.data import load_jsonl, split_of
from triage.scoring.classifier.embedder import MiniLMEmbedder
from triage.scoring.classifier.evaluate import compare, model_predictions
from triage.scoring.classifier.heads import load_heads

pytestmark = pytest.mark.ml
ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / ".." / "shared" / "data"
SAMPLE = 160  # enough rows to separate the model from rules, few enough to embed in seconds


@pytest.mark.parametrize("name", ["airline_dev.jsonl", "crisislex_dev.jsonl"])
def test_model_beats_rules_on_held_back_rows(name):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"labelled data not found at {path}")
    rows = [r for r in load_jsonl(path) if split_of(r) == "holdout"
            and r.get("urgency") is not None][:SAMPLE]
    embedder = MiniLMEmbedder()
    heads = load_heads(ROOT / "models", embedder_id=embedder.model_id, embed_dim=embedder.dim)
    texts = [r["text"] for r in rows]
    report = compare(rows, {
        "model": model_predictions(heads, embedder.embed(texts), texts),
        "rules": rule_predictions(texts)})
    for field, systems in report.items():
        assert systems["model"]["macro_f1"] > systems["rules"]["macro_f1"], field
        assert systems["model"]["ece"] < 0.15, field
