"""The starter model committed under models/ must load with this code, so `make run` needs no training."""

from __future__ import annotations

from pathlib import Path

from triage.scoring.classifier.embedder import MINILM_DIM, MINILM_ID
from triage.scoring.classifier.heads import CARD, current_version, load_heads

MODELS = Path(__file__).resolve().parents[4] / "models"
SIZE_BUDGET = 5_000_000  # bytes: the repo carries the model, keep it small


def test_current_model_loads_for_minilm():
    heads = load_heads(MODELS, embedder_id=MINILM_ID, embed_dim=MINILM_DIM)
    assert heads.version == current_version(MODELS)
    assert set(heads.heads) == {"urgency", "intent", "sentiment"}
    assert heads.heads["urgency"].classes == ("critical", "high", "low", "normal")


def test_models_dir_stays_within_its_size_budget():
    size = sum(p.stat().st_size for p in MODELS.rglob("*") if p.is_file())
    assert size < SIZE_BUDGET


def test_model_card_names_the_intents_without_data_and_the_held_back_metrics():
    card = (MODELS / current_version(MODELS) / CARD).read_text()
    assert "feedback, partnership, press, spam" in card
    assert "| airline_tweets | sentiment |" in card
