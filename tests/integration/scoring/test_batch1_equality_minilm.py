"""Issue 15's batch-1 speed-up changes no prediction, on real MiniLM embeddings of real messages.

The unit twin (tests/unit/scoring/classifier/test_batch1_equality.py) uses the model's reference
rows instead of MiniLM; this one embeds a few hundred messages from ../shared/data (marked ml).
"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, SHARED_DATA
from tests.unit.scoring.classifier.plain_recipe import LookupEmbedder, compare_batch1, real_texts
from triage.scoring.classifier.embedder import MiniLMEmbedder
from triage.scoring.classifier.heads import load_heads
from triage.scoring.classifier.scorer import ModelScorer
from triage.scoring.classifier.text import normalize, scrub

pytestmark = [pytest.mark.ml,
              pytest.mark.skipif(not SHARED_DATA.exists(), reason="needs ../shared/data")]
N = 150  # a few hundred cost minutes on a loaded two-core machine (the unit twin takes 300)


def test_batch1_scoring_matches_the_plain_recipe_on_minilm_embeddings():
    embedder = MiniLMEmbedder(batch_size=64)
    heads = load_heads(ROOT / "models", embedder_id=embedder.model_id, embed_dim=embedder.dim)
    texts = real_texts(SHARED_DATA, N)
    emb = embedder.embed([normalize(t) for t in texts])  # what CachedEmbedder hands MiniLM
    table = {scrub(t): e for t, e in zip(texts, emb, strict=True)}
    scorer = ModelScorer(LookupEmbedder(table, embedder.model_id, embedder.dim), heads)
    result = compare_batch1(scorer, heads, texts, emb)
    assert result["disagree"] == []
    assert result["worst"] <= 1e-9
    assert ((result["shares"] > 0) & (result["shares"] < heads.gate.max_weight)).any()
