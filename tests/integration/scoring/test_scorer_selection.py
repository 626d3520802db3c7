"""Which scorer the workers use: the learned model when it loads, rules (visibly) when it can't."""

from __future__ import annotations

import json
import shutil

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from tests.conftest import ROOT
from tests.integration.helpers import run_jobs
from triage.intake.importer import to_message
from triage.intake.ingest import buffer_messages
from triage.platform import tables as t
from triage.scoring.domain.rules import RuleScorer
from triage.scoring.scorers import load_scorer


def _fallbacks() -> float:
    return sum(s.value for m in REGISTRY.collect() if m.name == "triage_scorer_fallback"
               for s in m.samples if s.name.endswith("_total"))


@pytest.mark.parametrize("damage", ["missing", "corrupt", "other_version"])
def test_a_broken_model_falls_back_to_rules_and_counts_it(tmp_path, settings, damage):
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models)
    version = (models / "CURRENT").read_text().strip()
    if damage == "missing":
        shutil.rmtree(models / version)
    elif damage == "corrupt":
        (models / version / "heads.npz").write_bytes(b"not a numpy archive")
    else:
        meta = models / version / "meta.json"
        doc = json.loads(meta.read_text())
        assert "format_version" in doc  # the damage below must land
        meta.write_text(json.dumps({**doc, "format_version": 99}))
    settings.model_dir, settings.scorer = models, "auto"
    before = _fallbacks()
    assert isinstance(load_scorer(settings), RuleScorer)
    assert _fallbacks() == before + 1


@pytest.mark.ml
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_shipped_model_scores_through_the_real_pipeline(services):
    services.settings.scorer = "auto"
    services.settings.model_dir = ROOT / "models"
    services._scorer = None
    now = services.clock.now()
    texts = {"fraud": "There are two card payments I don't recognise, I think my card was stolen",
             "thanks": "thanks for the quick help, great service"}
    buffer_messages(services=services, messages=[
        to_message({"external_id": k, "text": v}, source="test", now=now) for k, v in texts.items()])
    run_jobs(services)
    with services.db() as s:
        rows = {m.external_id: m for m in s.scalars(select(t.Message))}
        scores = {m.external_id: m.score for m in rows.values()}
        assert all(sc.model.startswith("model-clf-") for sc in scores.values())
        assert scores["fraud"].urgency in ("critical", "high")
        assert rows["fraud"].priority > rows["thanks"].priority
        assert scores["fraud"].reasons
