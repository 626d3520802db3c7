"""Artifacts load only when whole, of this format and for this embedder; else the rules take over."""

from __future__ import annotations

import json

import numpy as np
import pytest

from triage.scoring.classifier.errors import ModelLoadError
from triage.scoring.classifier.heads import ARRAYS, META, load_heads, promote

from .toys import toy_records


@pytest.fixture()
def saved(tmp_path, heads):
    heads.save(tmp_path)
    promote(tmp_path, heads.version)
    return tmp_path


def test_round_trip_predicts_the_same_probabilities(saved, heads, embedder):
    texts = ["someone stole my card fraud", "how do i change my address"]
    emb = embedder.embed(texts)
    loaded = load_heads(saved, embedder_id=embedder.model_id, embed_dim=embedder.dim)
    before, after = heads.predict_proba(emb, texts), loaded.predict_proba(emb, texts)
    for field in before:
        assert np.allclose(before[field], after[field], atol=2e-3)  # float16 coefficients
    assert loaded.heads["urgency"].classes == ("critical", "high", "low", "normal")


def test_artifact_holds_no_pickle(saved, heads):
    with np.load(saved / heads.version / ARRAYS, allow_pickle=False) as arrays:
        assert "urgency.coef" in arrays.files


def test_missing_current_is_refused(tmp_path):
    with pytest.raises(ModelLoadError, match="CURRENT"):
        load_heads(tmp_path)


def test_missing_version_directory_is_refused(saved):
    (saved / "CURRENT").write_text("nope\n")
    with pytest.raises(ModelLoadError, match="missing"):
        load_heads(saved)


def test_corrupt_arrays_are_refused(saved, heads):
    path = saved / heads.version / ARRAYS
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="checksum"):
        load_heads(saved)


def test_other_format_version_is_refused(saved, heads):
    meta_path = saved / heads.version / META
    meta = json.loads(meta_path.read_text())
    meta["format_version"] = 999
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="format"):
        load_heads(saved)


def test_model_for_another_embedder_is_refused(saved):
    with pytest.raises(ModelLoadError, match="embeddings"):
        load_heads(saved, embedder_id="all-MiniLM-L6-v2")
    with pytest.raises(ModelLoadError, match="384"):
        load_heads(saved, embed_dim=384)


def test_inconsistent_class_list_is_refused(saved, heads):
    meta_path = saved / heads.version / META
    meta = json.loads(meta_path.read_text())
    meta["heads"]["urgency"]["classes"].append("extra")
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="shape"):
        load_heads(saved)


def test_toy_model_learns_its_labels(heads, embedder):
    rows = toy_records(n_per_phrase=1)
    probas = heads.predict_proba(embedder.embed([r["text"] for r in rows]),
                                 [r["text"] for r in rows])
    for field in ("urgency", "intent", "sentiment"):
        classes = heads.heads[field].classes
        predicted = [classes[k] for k in probas[field].argmax(axis=1)]
        assert predicted == [r[field] for r in rows]


def test_build_model_scorer_refuses_a_broken_models_dir_before_loading_anything(tmp_path):
    from triage.scoring.classifier.loader import build_model_scorer

    with pytest.raises(ModelLoadError):
        build_model_scorer(tmp_path)  # no CURRENT: MiniLM is never loaded


def test_build_model_scorer_wires_a_given_embedder(saved, embedder):
    from triage.scoring.classifier.loader import build_model_scorer

    scorer = build_model_scorer(saved, embedder=embedder, detect_language=False)
    assert scorer.name == "model-toy-1" and scorer.detector is None
