"""The relationship policy: leads version it over the API and a page; workers pick it up; rescore
applies it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.integration.helpers import PASSWORD, add_user, bearer, run_jobs
from tests.integration.relationship_support import T0, doc, ingest
from triage.core.priority import priority
from triage.platform import tables as t
from triage.platform.tables_relationship import Incident
from triage.scoring import policy_store as policy_repo
from triage.scoring import relationship

CHURN = "I want to cancel my subscription"


@pytest.fixture
def tokens(services):
    return {"lead": add_user(services, "lee", "lead"), "agent": add_user(services, "ana")}


def _rel(services, external_id):
    with services.db() as session:
        return session.execute(select(t.Score.relationship_value, t.Message.priority)
                               .join(t.Message).where(t.Message.external_id == external_id)).one()


def test_a_lead_saves_versions_that_are_validated_audited_and_listed(client, services, tokens):
    lead = bearer(tokens["lead"])
    assert client.get("/api/policy", headers=lead).json()["version"] == 0
    r = client.put("/api/policy", headers=lead, json={"group_weights": {"prospect": 0.8},
                                                      "note": "Q4: win prospects"})
    assert r.status_code == 200
    body = r.json()
    assert body["version"] == 1 and body["policy"]["group_weights"]["prospect"] == 0.8
    assert body["history"][0]["note"] == "Q4: win prospects" and body["history"][0]["actor"] == "lee"
    bad = client.put("/api/policy", headers=lead, json={"group_weights": {"aliens": 2}})
    assert bad.status_code == 422 and "unknown group 'aliens'" in bad.json()["detail"]
    assert client.put("/api/policy", headers=bearer(tokens["agent"]), json={}).status_code == 403
    assert client.get("/api/policy", headers=bearer(tokens["agent"])).status_code == 403
    with services.db() as session:
        audits = session.scalars(select(t.AuditLog).where(t.AuditLog.action == "policy.update")).all()
    assert [(a.actor, a.entity_id) for a in audits] == [("lee", "1")]
    assert client.get("/api/policy", headers=lead).json()["version"] == 1


def test_new_scores_follow_the_new_policy_and_rescore_updates_open_items(client, services, tokens):
    ingest(services, [doc("before", CHURN)], at=T0)
    old_value, old_priority = _rel(services, "before")
    client.put("/api/policy", headers=bearer(tokens["lead"]),
               json={"intent_bonus": {"churn_risk": 0.6}})
    ingest(services, [doc("after", CHURN)], at=T0)
    new_value, new_priority = _rel(services, "after")
    assert new_value == pytest.approx(old_value + 0.4) and new_priority > old_priority
    assert _rel(services, "before") == (old_value, old_priority), "no rescore yet"
    r = client.post("/api/policy/rescore", headers=bearer(tokens["lead"]))
    assert r.status_code == 202 and (r.json()["items"], r.json()["jobs"]) == (2, 1)
    assert _rel(services, "before") == (old_value, old_priority), "queued, not done in the request"
    run_jobs(services)
    assert _rel(services, "before") == pytest.approx(_rel(services, "after"))
    assert client.post("/api/policy/rescore", headers=bearer(tokens["agent"])).status_code == 403


def test_the_worker_cache_reads_the_database_only_when_the_version_changes(services, monkeypatch):
    cache, loads = relationship.PolicyCache(), []
    real = policy_repo.active
    monkeypatch.setattr(policy_repo, "active", lambda **kw: loads.append(1) or real(**kw))
    with services.db() as session:
        first = cache.get(session=session, conn=services.redis)
        assert cache.get(session=session, conn=services.redis) is first and len(loads) == 1
    with services.db.begin() as session:
        _, policy = policy_repo.save(session=session, doc={"cap": 0.5}, actor="lee", note=None, now=T0)
    relationship.PolicyCache.publish(services.redis, 1, policy)
    with services.db() as session:
        assert cache.get(session=session, conn=services.redis).cap == 0.5 and len(loads) == 2


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.usefixtures("services", "tokens")
def test_the_policy_page_saves_a_version_with_csrf_and_shows_the_history(client):
    token = _csrf(client.get("/login").text)
    client.post("/login", data={"username": "lee", "password": PASSWORD, "csrf_token": token})
    page = client.get("/policy")
    assert page.status_code == 200 and "Built-in defaults" in page.text
    form = {"group_weights.customer": "0.9", "signals.open_deals": "0.2", "cap": "1",
            "note": "focus on customers"}
    assert client.post("/policy", data=form).status_code == 403  # no CSRF token
    r = client.post("/policy", data={**form, "csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/policy?saved=1"
    page = client.get("/policy?saved=1")
    assert "Version 1 is active" in page.text and "focus on customers" in page.text
    bad = client.post("/policy", data={"group_weights.customer": "7", "csrf_token": _csrf(page.text)})
    assert bad.status_code == 422 and "group_weights.customer must be a number in [0, 1]" in bad.text


def test_a_rescore_under_a_new_policy_recounts_a_storms_people_and_its_lift(services):
    storm = CHURN + ", you lost me"
    ingest(services, [doc(f"s{i}", storm, author=f"u{i}") for i in range(24)], at=T0)
    with services.db() as session:
        before = session.scalars(select(Incident).where(Incident.count >= 24)).one()
        lift_before, item = before.lift, before.id
        priority_before = session.get(t.Message, item).priority
    with services.db.begin() as session:  # the churn signal now weighs far more
        version, policy = policy_repo.save(session=session, doc={"intent_bonus": {"churn_risk": 0.6}},
                                           actor="lee", note=None, now=T0)
    relationship.PolicyCache.publish(services.redis, version, policy)
    relationship.rescore_open(db=services.db, conn=services.redis, now=T0)
    with services.db() as session:
        after = session.get(Incident, item)
        row = session.get(t.Message, item)
        value = session.scalar(select(t.Score.relationship_value).where(t.Score.message_id == item))
    assert after.lift > lift_before + 1  # each person now counts for more
    expected = min(100.0, priority(row.urgency, value) + after.lift)
    assert row.priority == pytest.approx(expected) and row.priority > priority_before
