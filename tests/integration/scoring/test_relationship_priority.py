"""Waiting time against the SLA target moves items within their urgency band, never across it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.integration.relationship_support import T0, doc, ingest
from triage import pipeline
from triage.core.clock import FixedClock
from triage.core.priority import WAIT_STEPS, priority
from triage.inbox import service as inbox_service
from triage.inbox import store as inbox_repo
from triage.platform import tables as t

QUESTION = "How do I export my data?"  # normal urgency, 24 h target


def _inbox(services):
    with services.db() as session:
        rows, _ = inbox_repo.list_items(session=session, now=services.clock.now(),
                                        flt=inbox_repo.InboxFilter())
        return [inbox_service.serialize(r, services.clock.now()) for r in rows]


def test_the_item_that_waited_longer_rises_after_the_tick_and_says_how_long(services):
    ingest(services, [doc("old", QUESTION)], at=T0)
    later = T0 + timedelta(hours=18)
    ingest(services, [doc("new", QUESTION, created_at=later)], at=later)
    services.clock = FixedClock(T0 + timedelta(hours=20))
    before = {i["external_id"]: i["priority"] for i in _inbox(services)}
    assert before["old"] == before["new"]  # stored at scoring time, waited = 0
    assert pipeline.tick(services=services)["reprioritised"] == 2
    items = _inbox(services)
    assert [i["external_id"] for i in items] == ["old", "new"]
    assert items[0]["priority"] == pytest.approx(priority("normal", items[0]["relationship"],
                                            waited=timedelta(hours=20), steps=WAIT_STEPS))
    assert items[0]["reasons"][0]["text"] == "waiting 20 h of a 24 h target"
    assert not any(r["text"].startswith("waiting") for r in items[1]["reasons"])


def test_a_long_wait_never_lifts_an_item_above_the_next_urgency_band(services):
    ingest(services, [doc("calm", "Love the new release, great work team!")], at=T0)
    later = T0 + timedelta(days=10)
    ingest(services, [doc("question", QUESTION, created_at=later)], at=later)
    services.clock = FixedClock(T0 + timedelta(days=10))
    pipeline.tick(services=services)
    items = _inbox(services)
    assert [i["external_id"] for i in items] == ["question", "calm"]
    assert items[1]["reasons"][0]["text"] == "waiting 10 d of a 72 h target"


def test_the_tick_rewrites_only_rows_whose_priority_changes_and_skips_resolved(services):
    ingest(services, [doc("a", QUESTION), doc("b", "Where can I find the API docs?")], at=T0)
    services.clock = FixedClock(T0 + timedelta(hours=30))
    with services.db.begin() as session:
        session.execute(t.Message.__table__.update().where(t.Message.external_id == "b")
                        .values(status="resolved"))
    assert pipeline.tick(services=services)["reprioritised"] == 1
    assert pipeline.tick(services=services)["reprioritised"] == 0  # nothing moved since
    with services.db() as session:
        got = dict(session.execute(select(t.Message.external_id, t.Message.priority)).all())
    assert got["a"] == pytest.approx(priority("normal", 0.1, waited=timedelta(hours=30), steps=WAIT_STEPS))
    assert got["b"] == priority("normal", 0.1)
