"""The C3 feature recipe: TF-IDF vocabulary as scikit-learn computes it, channel block, refit,
temperature after the blend."""

from __future__ import annotations

import numpy as np
import pytest

from triage.scoring.classifier.features import (
    CHANNELS,
    FeatureSpec,
    Vocabulary,
    channel_onehots,
    tokens,
)
from triage.scoring.classifier.heads import temper
from triage.scoring.classifier.metrics import ndcg
from triage.scoring.classifier.train import fit_heads

from .toys import toy_records, toy_splits

TEXTS = ["my card was stolen", "card stolen again today", "the flight was late again",
         "late flight, lost bag", "thank you so much"]


def test_vocabulary_rows_equal_scikit_learns_tfidf_and_survive_encoding():
    from sklearn.feature_extraction.text import TfidfVectorizer

    vocab = Vocabulary.fit(TEXTS)
    ref = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(TEXTS)
    assert vocab.terms == ref.get_feature_names_out().tolist()
    assert np.allclose(vocab.transform(TEXTS).toarray(), ref.transform(TEXTS).toarray(), atol=1e-6)
    again = Vocabulary.decode(vocab.encoded_terms(), vocab.idf)
    assert again.terms == vocab.terms
    assert vocab.transform(["nothing known here"]).nnz == 0  # unknown words: an empty row


def test_tokens_are_unigrams_then_bigrams():
    assert tokens("a card, stolen!") == ["card", "stolen", "card stolen"]


def test_channel_block_maps_connectors_and_leaves_unknown_channels_empty():
    block = channel_onehots(["twitter", "x", "generic", None, "imap"], 5)
    assert block[0, CHANNELS.index("twitter")] == block[1, CHANNELS.index("twitter")] == 1.0
    assert block[2].sum() == block[3].sum() == 0.0
    assert block[4, CHANNELS.index("email")] == 1.0


def test_the_channel_is_a_feature_the_heads_can_use(embedder):
    records = toy_records()
    emb = embedder.embed([r["text"] for r in records])
    heads = fit_heads(records, emb, version="t", embedder_id="h",
                      spec=FeatureSpec(embed_dim=embedder.dim), splits=toy_splits(records))
    text = [records[0]["text"]]
    head = heads.heads["urgency"]
    as_chat = head.logits(heads.rows(embedder.embed(text), text, ["chat"]))
    as_mail = head.logits(heads.rows(embedder.embed(text), text, ["email"]))
    assert not np.allclose(as_chat, as_mail)
    assert heads.spec.vocab_dim == len(heads.vocab) > 0


def test_heads_are_refit_on_train_and_calib_rows(embedder):
    records = toy_records()
    splits = toy_splits(records)
    emb = embedder.embed([r["text"] for r in records])
    heads = fit_heads(records, emb, version="t", embedder_id="h",
                      spec=FeatureSpec(embed_dim=embedder.dim), splits=splits)
    assert heads.meta["refit_rows"] == len(records)  # toy splits hold nothing back
    held = fit_heads(records, emb, version="t", embedder_id="h",
                     spec=FeatureSpec(embed_dim=embedder.dim),
                     splits=["holdout" if s == "calib" else s for s in splits])
    assert held.meta["refit_rows"] == sum(s == "train" for s in splits)


def test_a_temperature_on_probabilities_is_a_temperature_on_logits():
    z = np.array([[2.0, 0.5, -1.0]])
    p = np.exp(z) / np.exp(z).sum()
    soft = np.exp(z / 2.0) / np.exp(z / 2.0).sum()
    assert temper(p, 2.0) == pytest.approx(soft)
    assert temper(p, 1.0) is p


def test_ndcg_top_k_looks_only_at_the_head_of_the_ranking():
    gold = ["low", "high", "high", "low"]
    assert ndcg(gold, [4, 3, 2, 1], k=1) == 0.0  # the top row is low
    assert ndcg(gold, [1, 4, 3, 2], k=2) == pytest.approx(1.0)
