"""A running scorer picks up a newly promoted model on its next batch, cheaply and safely."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import numpy as np
import pytest

from triage.core.message import Author, Message
from triage.core.scoring import AuthorContext
from triage.scoring.classifier import reload
from triage.scoring.classifier.heads import ARRAYS, promote
from triage.scoring.classifier.loader import build_model_scorer

FRAUD = "someone stole my card fraud number 3"


def _score(scorer, text=FRAUD):
    msg = Message(source="test", external_id="m1", author=Author(id="a"), text=text,
                  created_at=datetime(2026, 1, 1, tzinfo=UTC))
    return scorer.score_batch([msg], [AuthorContext()])[0]


def _variant(heads, version: str, *, favour: str):
    """A copy of the toy heads whose urgency head is pushed hard toward `favour`."""
    urgency = heads.heads["urgency"]
    intercept = urgency.intercept.copy()
    intercept[urgency.classes.index(favour)] += 50.0
    new = dataclasses.replace(urgency, intercept=intercept)
    return dataclasses.replace(heads, version=version, meta={},
                               heads={**heads.heads, "urgency": new})


@pytest.fixture()
def models(tmp_path, heads):
    heads.save(tmp_path)
    promote(tmp_path, heads.version)
    return tmp_path


@pytest.fixture()
def scorer(models, embedder):
    return build_model_scorer(models, embedder=embedder, detect_language=False)


def test_a_promoted_version_is_scored_with_on_the_next_batch(models, heads, scorer):
    before = _score(scorer)
    assert before.model == "model-toy-1" and before.urgency == "critical"
    _variant(heads, "toy-2", favour="low").save(models)
    promote(models, "toy-2")
    after = _score(scorer)
    assert after.model == "model-toy-2" and scorer.name == "model-toy-2"
    assert after.urgency == "low"


def test_an_unchanged_current_costs_one_stat_and_no_load(scorer, monkeypatch):
    loads = []
    monkeypatch.setattr(reload, "load_heads", lambda *a, **k: loads.append(a))
    for _ in range(3):
        _score(scorer)
    assert loads == [] and scorer.name == "model-toy-1"


def test_a_broken_promotion_keeps_the_old_model_scoring(models, heads, scorer, caplog):
    _variant(heads, "toy-2", favour="low").save(models)
    (models / "toy-2" / ARRAYS).write_bytes(b"truncated")
    promote(models, "toy-2")
    s = _score(scorer)
    assert s.model == "model-toy-1" and s.urgency == "critical"
    assert "not loaded" in caplog.text
    _score(scorer)  # the same broken CURRENT is not retried (and re-logged) on every batch
    assert caplog.text.count("not loaded") == 1


def test_reload_can_be_turned_off(models, heads, embedder):
    fixed = build_model_scorer(models, embedder=embedder, detect_language=False, reload=False)
    _variant(heads, "toy-2", favour="low").save(models)
    promote(models, "toy-2")
    assert _score(fixed).model == "model-toy-1"


def test_promoting_back_to_an_older_version_is_picked_up_too(models, heads, scorer):
    _variant(heads, "toy-2", favour="low").save(models)
    promote(models, "toy-2")
    assert _score(scorer).model == "model-toy-2"
    promote(models, heads.version)  # a manual rollback
    s = _score(scorer)
    assert s.model == "model-toy-1" and np.isclose(sum(s.urgency_proba.values()), 1, atol=1e-3)
