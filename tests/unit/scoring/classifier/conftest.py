"""Fixtures: the hashing fake embedder and a toy model trained on it (no real model, no data)."""

from __future__ import annotations

import pytest

from triage.scoring.classifier.embedder import HashingEmbedder
from triage.scoring.classifier.features import FeatureSpec
from triage.scoring.classifier.train import fit_heads

from .toys import toy_records, toy_splits


@pytest.fixture(scope="session")
def embedder() -> HashingEmbedder:
    return HashingEmbedder(dim=64)


@pytest.fixture(scope="session")
def heads(embedder):
    records = toy_records()
    emb = embedder.embed([r["text"] for r in records])
    spec = FeatureSpec(embed_dim=embedder.dim)
    return fit_heads(records, emb, version="toy-1", embedder_id=embedder.model_id, spec=spec,
                     splits=toy_splits(records))
