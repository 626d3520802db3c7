"""A storm's people are added batch by batch; the result must equal a count of the whole storm."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.integration.relationship_support import T0, doc, ingest
from triage.core.priority import person_weight, storm_lift
from triage.platform.tables_relationship import Incident
from triage.scoring import incident_store

STORM = "Your latest update deleted all my saved projects!!! Fix this now #outage"


def _storm(services) -> Incident:
    with services.db() as session:
        return session.scalars(select(Incident).order_by(Incident.count.desc())).first()


def _afresh(services, incident_id: int) -> tuple[int, float, float]:
    with services.db() as session:
        values = incident_store.people_values(session=session, ids=[incident_id])[incident_id]
    return len(values), sum(person_weight(v) for v in values), storm_lift(values)


def test_batches_with_returning_and_new_people_keep_the_same_count_as_a_full_recount(services):
    batches = [range(0, 12), range(5, 20), range(0, 25, 2), range(18, 40)]
    n = 0
    for k, authors in enumerate(batches):
        at = T0 + timedelta(minutes=k)
        docs = []
        for a in authors:  # a returning author may come back with more reach (a higher value)
            docs.append(doc(f"m{n}", STORM, author=f"u{a}", created_at=at,
                            followers=50_000 if k >= 2 and a % 3 == 0 else 10))
            n += 1
        ingest(services, docs, at=at)
        storm = _storm(services)
        assert storm.people_weight is not None  # kept, so the next batch adds to it
        people, weight, lift = _afresh(services, storm.id)
        assert (storm.people, storm.people_weight, storm.lift) == (people, pytest.approx(weight),
                                                                   pytest.approx(lift))
    assert _storm(services).people == 40 and _storm(services).count == n


def test_a_storm_counted_before_the_weight_was_kept_is_counted_afresh(services):
    ingest(services, [doc(f"s{i}", STORM, author=f"p{i}") for i in range(10)], at=T0)
    storm = _storm(services)
    with services.db.begin() as session:  # as rows from before migration 0011 are
        session.get(Incident, storm.id).people_weight = None
        session.get(Incident, storm.id).people = 3
    ingest(services, [doc(f"t{i}", STORM, author=f"q{i}", created_at=T0 + timedelta(minutes=1))
                      for i in range(4)], at=T0 + timedelta(minutes=1))
    assert _storm(services).people == 14 == _afresh(services, storm.id)[0]
