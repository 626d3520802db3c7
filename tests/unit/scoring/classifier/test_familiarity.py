"""On text unlike the training data the urgency rules weigh in; on familiar text the model decides."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from triage.core.scoring import AuthorContext
from triage.scoring.classifier.errors import ModelLoadError
from triage.scoring.classifier.familiarity import Gate, blend, reference_sample, similarity
from triage.scoring.classifier.features import FeatureSpec
from triage.scoring.classifier.heads import ARRAYS, META, load_heads, promote
from triage.scoring.classifier.scorer import ModelScorer
from triage.scoring.classifier.train import fit_heads

from .test_scorer import msg
from .toys import toy_records, toy_splits

GATE = Gate(novel=0.2, familiar=0.6, max_weight=0.6)
UNSEEN = "zorblax quuxian emergency"  # no toy word but one the rules know: "emergency" is critical
SEEN = "how do i change my address number 3"


@pytest.fixture(scope="module")
def gated(embedder):
    records = toy_records()
    emb = embedder.embed([r["text"] for r in records])
    return fit_heads(records, emb, version="toy-gated", embedder_id=embedder.model_id,
                     spec=FeatureSpec(embed_dim=embedder.dim),
                     splits=toy_splits(records), gate=GATE)


def test_gate_weight_falls_from_max_on_novel_text_to_zero_on_familiar_text():
    w = GATE.weights(np.array([0.0, 0.2, 0.4, 0.6, 0.9]))
    assert w.tolist() == pytest.approx([0.6, 0.6, 0.3, 0.0, 0.0])


@pytest.mark.parametrize("kwargs", [{"novel": 0.5, "familiar": 0.5}, {"max_weight": 1.5},
                                    {"k": 0}])
def test_a_gate_that_makes_no_sense_is_refused(kwargs):
    with pytest.raises(ValueError):
        Gate(**kwargs)


def test_reference_keeps_at_most_n_rows_of_each_source_so_small_sources_count():
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(1010, 8)).astype(np.float32)
    sources = ["big"] * 1000 + ["small"] * 10
    ref = reference_sample(emb, sources, per_source=50)
    assert ref.shape == (60, 8)
    assert np.allclose(np.linalg.norm(ref, axis=1), 1.0, atol=1e-5)
    small = emb[1000:] / np.linalg.norm(emb[1000:], axis=1, keepdims=True)
    assert all(np.isclose(ref @ row, 1.0, atol=1e-5).any() for row in small)


def test_similarity_is_one_for_a_reference_row_and_low_for_an_orthogonal_one():
    ref = np.eye(4, dtype=np.float32)
    sims = similarity(np.array([[2.0, 0, 0, 0], [0, 0, 0, 0]], dtype=np.float32), ref, k=1)
    assert sims.tolist() == pytest.approx([1.0, 0.0])


def test_blend_keeps_probabilities_and_leaves_familiar_rows_alone():
    p = np.array([[0.7, 0.1, 0.1, 0.1], [0.7, 0.1, 0.1, 0.1]])
    rules = np.array([[0, 1.0, 0, 0], [0, 1.0, 0, 0]])
    out = blend(p, rules, np.array([0.0, 0.6]))
    assert out.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert out[0].tolist() == pytest.approx(p[0].tolist())
    assert out[1].argmax() == 1  # the rules' class wins on the unfamiliar row


def test_unfamiliar_text_leans_on_the_rules_and_familiar_text_is_the_models(gated, heads,
                                                                             embedder):
    emb = embedder.embed([UNSEEN, SEEN])
    weights = gated.rule_weights(emb)
    assert weights[0] > 0.3 and weights[1] == 0.0
    with_gate = gated.predict_proba(emb, [UNSEEN, SEEN])["urgency"]
    classes = gated.heads["urgency"].classes
    critical = classes.index("critical")
    assert with_gate[0, critical] >= weights[0]  # at least the rules' share goes to critical
    ungated = gated.heads["urgency"].predict_proba(gated.rows(emb, [UNSEEN, SEEN]))
    assert with_gate[1].tolist() == pytest.approx(ungated[1].tolist())
    assert heads.rule_weights(emb) is None  # a model trained without a gate is the model alone


def test_gate_and_reference_survive_save_and_load(gated, embedder, tmp_path):
    gated.save(tmp_path)
    promote(tmp_path, gated.version)
    loaded = load_heads(tmp_path, embedder_id=embedder.model_id, embed_dim=embedder.dim)
    assert loaded.gate == GATE
    emb = embedder.embed([UNSEEN, SEEN])
    assert loaded.rule_weights(emb) == pytest.approx(gated.rule_weights(emb), abs=1e-2)
    assert np.allclose(loaded.predict_proba(emb, [UNSEEN, SEEN])["urgency"],
                       gated.predict_proba(emb, [UNSEEN, SEEN])["urgency"], atol=5e-3)


@pytest.mark.usefixtures("embedder")
def test_a_reference_of_the_wrong_width_is_refused(gated, tmp_path):
    gated.save(tmp_path)
    where = tmp_path / gated.version
    with np.load(where / ARRAYS) as npz:
        arrays = dict(npz)
    arrays["familiarity.reference"] = arrays["familiarity.reference"][:, :5]
    np.savez_compressed(where / ARRAYS, **arrays)
    meta = json.loads((where / META).read_text())
    meta["sha256"] = hashlib.sha256((where / ARRAYS).read_bytes()).hexdigest()
    (where / META).write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="familiarity reference"):
        load_heads(tmp_path, gated.version)


def test_the_scorer_says_when_the_rules_weighed_in(gated, embedder):
    scorer = ModelScorer(embedder, gated)
    unseen, seen = scorer.score_batch([msg(UNSEEN, 0), msg(SEEN, 1)], [AuthorContext()] * 2)
    assert any("unlike our training data" in r.text for r in unseen.reasons)
    assert unseen.urgency == "critical"
    assert not any("unlike our training data" in r.text for r in seen.reasons)


def test_a_taught_row_makes_its_neighbourhood_familiar_however_few_they_are():
    ref = np.eye(4, dtype=np.float32)[:3]
    taught = np.array([[0, 0, 0, 1.0]], dtype=np.float32)
    query = np.array([[0, 0, 0.1, 1.0]], dtype=np.float32)
    assert similarity(query, ref, k=3)[0] < 0.1
    assert similarity(query, ref, k=3, taught=taught)[0] > 0.99


def test_a_managers_correction_is_not_outvoted_by_the_rules_after_training(embedder, tmp_path):
    records = toy_records()
    records.append({"id": "c1", "text": UNSEEN, "dataset": "corrections", "urgency": "low",
                    "intent": None, "sentiment": None})
    emb = embedder.embed([r["text"] for r in records])
    heads = fit_heads(records, emb, version="toy-taught", embedder_id=embedder.model_id,
                      spec=FeatureSpec(embed_dim=embedder.dim),
                      splits=[*toy_splits(records[:-1]), "train"], gate=GATE)
    assert heads.taught.shape == (1, embedder.dim)
    assert heads.rule_weights(embedder.embed([UNSEEN]))[0] == 0.0
    assert len(heads.reference) == len(records) - 1  # every fitted starter row (train + calib)
    heads.save(tmp_path)
    loaded = load_heads(tmp_path, heads.version)
    assert loaded.taught.shape == (1, embedder.dim)
    assert loaded.rule_weights(embedder.embed([UNSEEN]))[0] == 0.0


def test_the_english_keyword_rules_get_no_vote_on_text_in_another_language(gated, embedder):
    scorer = ModelScorer(embedder, gated)
    (foreign,) = scorer.score_batch([msg(UNSEEN, 0, language="es")], [AuthorContext()])
    ungated = gated.heads["urgency"].predict_proba(gated.rows(embedder.embed([UNSEEN]), [UNSEEN]))
    classes = gated.heads["urgency"].classes
    assert foreign.urgency_proba == pytest.approx(dict(zip(classes, ungated[0], strict=True)),
                                                  abs=1e-3)
    assert not any("unlike our training data" in r.text for r in foreign.reasons)
    assert any("language 'es'" in r.text for r in foreign.reasons)
