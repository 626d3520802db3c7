"""With the learned scorer (toy heads on the hashing embedder), storms group on embeddings and
probabilities for urgency, intent and sentiment are stored with each score."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.integration.relationship_support import T0, doc, ingest
from triage.platform import tables as t
from triage.platform.tables_relationship import Incident


@pytest.fixture(scope="module")
def model_scorer():
    from tests.unit.scoring.classifier.toys import toy_records, toy_splits
    from triage.scoring.classifier.embedder import HashingEmbedder
    from triage.scoring.classifier.features import FeatureSpec
    from triage.scoring.classifier.scorer import ModelScorer
    from triage.scoring.classifier.train import fit_heads

    embedder, records = HashingEmbedder(dim=64), toy_records()
    heads = fit_heads(records, embedder.embed([r["text"] for r in records]), version="toy-1",
                      embedder_id=embedder.model_id,
                      spec=FeatureSpec(embed_dim=embedder.dim),
                      splits=toy_splits(records))
    return ModelScorer(embedder, heads)


def test_model_scores_store_all_probabilities_and_group_storms_by_embedding(services, model_scorer):
    services._scorer = model_scorer
    storm = "my payment failed three times today and i cannot pay for my order now"
    copies = [storm, storm + " please", storm + " help", storm + "!!", storm + " please", storm]
    ingest(services, [doc(f"s{i}", text) for i, text in enumerate(copies)]
           + [doc("calm", "lovely weather today friends")], at=T0)
    with services.db() as session:
        probs = session.scalars(select(t.Score.probabilities)).all()
        incidents = session.scalars(select(Incident).order_by(Incident.id)).all()
    assert all(set(p) == {"urgency", "intent", "sentiment"} and p["intent"] and p["sentiment"]
               for p in probs)
    assert [i.count for i in incidents] == [6, 1] and incidents[0].embedding is not None


@pytest.mark.ml
def test_with_minilm_edited_copies_of_a_complaint_group_and_other_complaints_do_not(services):
    from tests.conftest import ROOT
    from triage.scoring.classifier.loader import build_model_scorer

    services._scorer = build_model_scorer(ROOT / "models", detect_language=False)
    copies = ["Your latest update deleted all my saved projects!!! Fix this now #outage",
              "@acme your latest update deleted all my saved projects. fix this NOW #outage",
              "RT @sam: Your latest update deleted all my saved projects! Fix this now #outage",
              "The latest update deleted all of my saved projects!!! Fix this now #outage"]
    ingest(services, [doc(f"c{i}", text) for i, text in enumerate(copies)]
           + [doc("other", "My parcel never arrived and nobody answers the phone")], at=T0)
    with services.db() as session:
        counts = dict(session.execute(select(Incident.topic, Incident.count)).all())
    assert counts == {copies[0]: 4, "My parcel never arrived and nobody answers the phone": 1}
