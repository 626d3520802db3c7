"""Storms: copies of one complaint become one inbox item with a count; resolving it resolves them all."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

import numpy as np
from sqlalchemy import func, select

from tests.integration.helpers import add_user, bearer, message, post_signed, run_jobs
from tests.integration.relationship_support import T0, doc, ingest
from triage.platform import tables as t
from triage.platform.tables_relationship import Incident
from triage.scoring.domain.rules import RuleScorer

STORM = "Your latest update deleted all my saved projects!!! Fix this now #outage"


def _inbox(client, token, **params):
    return client.get("/api/inbox", headers=bearer(token), params=params).json()


def test_copies_arriving_through_the_webhook_are_one_item_with_a_count(client, services):
    copies = [message(f"s{i}", STORM if i % 2 else STORM.upper() + " https://t.co/x", author_id=f"u{i}")
              for i in range(30)]
    post_signed(client, {"messages": copies[:12]})
    run_jobs(services)  # the storm spans several score jobs
    post_signed(client, {"messages": [*copies[12:], message("other", "How do I export my data?")]})
    run_jobs(services)
    token = add_user(services, "ana")
    inbox = _inbox(client, token)
    assert inbox["total"] == 2
    storm = next(i for i in inbox["items"] if i["incident"])
    assert storm["incident"]["count"] == 30 and storm["external_id"] == "s0"
    assert storm["reasons"][0]["text"].startswith("30 similar messages in 1 min from 30 people (+")
    assert storm["incident"]["people"] == 30 and storm["incident"]["lift"] > 15
    assert next(i for i in inbox["items"] if not i["incident"])["external_id"] == "other"


def test_resolving_the_incident_resolves_its_copies_and_a_later_copy_starts_afresh(client, services):
    ids = ingest(services, [doc(f"c{i}", STORM) for i in range(5)], at=T0)
    token = add_user(services, "ana")
    item = _inbox(client, token)["items"][0]
    assert item["id"] == ids[0] and item["incident"]["count"] == 5
    assert client.post(f"/api/inbox/{item['id']}/resolve", headers=bearer(token)).status_code == 200
    with services.db() as session:
        statuses = session.scalars(select(t.Message.status)).all()
        assert statuses == ["resolved"] * 5
        assert session.get(Incident, ids[0]).status == "resolved"
        audit = session.scalars(select(t.AuditLog).where(t.AuditLog.action == "incident.resolve")).one()
        assert audit.detail == {"members": 4} and audit.actor == "ana"
    later = ingest(services, [doc("late", STORM)], at=T0 + timedelta(minutes=2))
    assert [i["id"] for i in _inbox(client, token)["items"]] == later


def test_copies_further_apart_than_the_window_are_separate_incidents(services):
    first = ingest(services, [doc("a", STORM)], at=T0)
    later = T0 + timedelta(minutes=30)
    second = ingest(services, [doc("b", STORM, created_at=later)], at=later)
    with services.db() as session:
        got = dict(session.execute(select(t.Message.id, t.Message.incident_id)).all())
    assert got == {first[0]: first[0], second[0]: second[0]}


class EmbeddingScorer(RuleScorer):
    """Rules for labels plus a fake embedder: texts sharing a keyword get nearly the same vector."""

    name = "fake-embed"
    TOPICS: ClassVar[dict[str, int]] = {"deleted": 0, "refund": 1}

    def embeddings(self, messages):
        out = np.zeros((len(messages), 4), dtype=np.float32)
        for i, m in enumerate(messages):
            topic = next((k for w, k in self.TOPICS.items() if w in m.text.lower()), 3)
            out[i, topic], out[i, 2] = 1.0, 0.1 * (i % 2)  # paraphrases: cosine ~0.995
        return out


def test_with_embeddings_paraphrases_group_and_other_topics_do_not(services):
    services._scorer = EmbeddingScorer()
    ingest(services, [doc("p1", "The update deleted my projects"),
                      doc("p2", "all my saved work got deleted after updating, fix it"),
                      doc("r1", "Where is my refund?")], at=T0)
    ingest(services, [doc("p3", "Deleted everything! thanks a lot")], at=T0 + timedelta(minutes=4))
    with services.db() as session:
        counts = dict(session.execute(select(Incident.topic, Incident.count)).all())
        assert session.scalar(select(func.count()).select_from(Incident)) == 2
    assert counts == {"The update deleted my projects": 3, "Where is my refund?": 1}


def test_two_copies_stay_two_items_and_the_third_folds_them_into_one(client, services):
    token = add_user(services, "ana")
    ingest(services, [doc("x1", STORM), doc("x2", STORM)], at=T0)
    pair = _inbox(client, token)
    assert pair["total"] == 2 and not any(i["incident"] for i in pair["items"])
    ingest(services, [doc("x3", STORM)], at=T0 + timedelta(minutes=1))
    storm = _inbox(client, token)
    assert storm["total"] == 1 and storm["items"][0]["incident"]["count"] == 3
