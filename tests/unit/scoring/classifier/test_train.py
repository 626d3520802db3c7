"""Training choices that shape generalisation: source balance, corrections, calibration."""

from __future__ import annotations

import numpy as np

from triage.scoring.classifier.data import CORRECTIONS, split_of
from triage.scoring.classifier.features import FeatureSpec
from triage.scoring.classifier.train import (
    CORRECTION_WEIGHT,
    fit_heads,
    fit_temperature,
    sample_weights,
)

from .toys import toy_records, toy_splits


def _rows(dataset: str, labels: list[str]) -> list[dict]:
    return [{"id": f"{dataset}:{i}", "dataset": dataset, "urgency": lab}
            for i, lab in enumerate(labels)]


def test_a_big_source_does_not_drown_a_small_one():
    rows = _rows("big", ["high"] * 900) + _rows("small", ["low"] * 100)
    w = sample_weights(rows, "urgency")
    big, small = w[:900].sum(), w[900:].sum()
    assert np.isclose(big / small, 3.0)  # sqrt-of-size shares, not 9:1


def test_classes_share_their_source_equally():
    rows = _rows("one", ["high"] * 90 + ["low"] * 10)
    w = sample_weights(rows, "urgency")
    assert np.isclose(w[:90].sum(), w[90:].sum())


def test_corrections_get_a_fixed_heavy_weight():
    rows = _rows("one", ["high"] * 50) + _rows(CORRECTIONS, ["low"])
    assert sample_weights(rows, "urgency")[-1] == CORRECTION_WEIGHT


def test_split_is_stable_and_corrections_always_train():
    record = {"id": "airline_tweets:1", "dataset": "airline_tweets"}
    assert split_of(record) == split_of(dict(record))
    assert split_of({"id": "x", "dataset": CORRECTIONS}) == "train"
    assert split_of({"id": "x", "dataset": "someone_elses_data"}) == "holdout"


def test_temperature_softens_an_overconfident_head():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    logits = np.zeros((500, 2))
    logits[np.arange(500), y] = 10.0  # always confident ...
    flip = rng.random(500) < 0.3  # ... but wrong 30% of the time
    logits[flip] = logits[flip][:, ::-1]
    assert fit_temperature(logits, y, np.ones(500)) > 3.0


def test_a_correction_changes_the_prediction_for_its_text(embedder):
    records = toy_records()
    text = "thoughts and prayers to everyone number 3"
    spec = FeatureSpec(embed_dim=embedder.dim)

    def predicted(rows):
        emb = embedder.embed([r["text"] for r in rows])
        heads = fit_heads(rows, emb, version="t", embedder_id="h", spec=spec,
                          splits=toy_splits(rows)[: len(rows) - 1] + ["train"]
                          if rows[-1]["dataset"] == CORRECTIONS else toy_splits(rows))
        p = heads.predict_proba(embedder.embed([text]), [text])["urgency"][0]
        return heads.heads["urgency"].classes[int(p.argmax())]

    assert predicted(records) == "low"
    fix = {"id": "db:1", "text": text, "dataset": CORRECTIONS, "urgency": "critical",
           "intent": None, "sentiment": None}
    assert predicted(records + [fix]) == "critical"


def test_a_field_without_two_classes_gets_no_head(embedder):
    records = [dict(r, sentiment=None) for r in toy_records()]
    emb = embedder.embed([r["text"] for r in records])
    heads = fit_heads(records, emb, version="t", embedder_id="h",
                      spec=FeatureSpec(embed_dim=embedder.dim, lex_scale=0.0),
                      splits=toy_splits(records))
    assert set(heads.heads) == {"urgency", "intent"}


def test_corrections_with_unknown_labels_are_refused(tmp_path):
    import json

    import pytest

    from triage.scoring.classifier.data import load_corrections

    path = tmp_path / "corrections.jsonl"
    path.write_text(json.dumps({"id": "db:1", "text": "x", "urgency": "critcal"}) + "\n")
    with pytest.raises(ValueError, match="critcal"):
        load_corrections(path)
    path.write_text(json.dumps({"id": "db:1", "text": "x", "urgency": "critical",
                                "dataset": "inbox"}) + "\n")
    assert load_corrections(path)[0]["dataset"] == CORRECTIONS


def test_the_default_data_dir_is_shared_beside_the_checkout():
    from tests.conftest import ROOT
    from triage.scoring.classifier.data import DEFAULT_DATA_DIR

    assert DEFAULT_DATA_DIR == ROOT.parent / "shared" / "data"  # ../shared/data, as in CI
