"""The inbox API: priority order, filters, paging, the moves on items, and who may do what."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.integration.helpers import add_user, bearer, message, post_signed, run_jobs
from triage.platform import tables as t

TEXTS = {
    "calm": "Thanks, love the product",
    "question": "How do I export my data?",
    "outage": "The app is down and I can't log in",
    "fraud": "Someone hacked my account, there are charges I don't recognise",
}


@pytest.fixture
def loaded(client, services):
    post_signed(client, {"messages": [message(k, v) for k, v in TEXTS.items()]})
    post_signed(client, message("elsewhere", "The site is down!"), source="other",
                secret="another-secret-abcdef")
    run_jobs(services)
    return {"agent": add_user(services, "ana"), "lead": add_user(services, "lee", "lead"),
            "admin": add_user(services, "root", "admin"), "agent2": add_user(services, "bo")}


def test_the_inbox_lists_items_by_priority_highest_first(client, loaded):
    r = client.get("/api/inbox", headers=bearer(loaded["agent"]))
    assert r.status_code == 200
    items = r.json()["items"]
    priorities = [i["priority"] for i in items]
    assert priorities == sorted(priorities, reverse=True)
    assert items[0]["external_id"] == "fraud" and items[0]["urgency"] == "critical"
    assert items[-1]["external_id"] == "calm"
    assert all(i["reasons"] for i in items if i["urgency"] != "low")


def test_the_inbox_filters_by_source_urgency_and_pages(client, loaded):
    h = bearer(loaded["agent"])
    other = client.get("/api/inbox?source=other", headers=h).json()["items"]
    assert {i["source"] for i in other} == {"other"}
    crit = client.get("/api/inbox?urgency=critical", headers=h).json()
    assert crit["total"] == 1 and crit["items"][0]["external_id"] == "fraud"
    page1 = client.get("/api/inbox?per_page=2&page=1", headers=h).json()
    page2 = client.get("/api/inbox?per_page=2&page=2", headers=h).json()
    assert page1["total"] == 5 and len(page1["items"]) == 2 and len(page2["items"]) == 2
    assert not {i["id"] for i in page1["items"]} & {i["id"] for i in page2["items"]}
    assert client.get("/api/inbox?urgency=bogus", headers=h).status_code == 422


def test_claim_resolve_and_history(client, loaded):
    h = bearer(loaded["agent"])
    top = client.get("/api/inbox", headers=h).json()["items"][0]
    claimed = client.post(f"/api/inbox/{top['id']}/claim", headers=h)
    assert claimed.status_code == 200 and claimed.json()["status"] == "claimed"
    assert client.get("/api/inbox?assignee=me", headers=h).json()["total"] == 1
    other = client.post(f"/api/inbox/{top['id']}/claim", headers=bearer(loaded["agent2"]))
    assert other.status_code == 409 and "claimed by someone else" in other.json()["detail"]
    assert client.post(f"/api/inbox/{top['id']}/resolve", headers=h).json()["status"] == "resolved"
    active = client.get("/api/inbox", headers=h).json()
    assert top["id"] not in [i["id"] for i in active["items"]]
    detail = client.get(f"/api/inbox/{top['id']}", headers=h).json()
    assert [e["action"] for e in detail["history"]] == ["claim", "resolve"]


def test_a_lead_may_take_over_a_claimed_item(client, loaded):
    item = client.get("/api/inbox", headers=bearer(loaded["agent"])).json()["items"][0]
    client.post(f"/api/inbox/{item['id']}/claim", headers=bearer(loaded["agent"]))
    r = client.post(f"/api/inbox/{item['id']}/claim", headers=bearer(loaded["lead"]))
    assert r.status_code == 200


def test_snooze_hides_an_item_until_it_wakes(client, loaded):
    h = bearer(loaded["agent"])
    item = client.get("/api/inbox", headers=h).json()["items"][0]
    r = client.post(f"/api/inbox/{item['id']}/snooze", headers=h, json={"minutes": 60})
    assert r.status_code == 200 and r.json()["status"] == "snoozed"
    assert item["id"] not in [i["id"] for i in client.get("/api/inbox", headers=h).json()["items"]]
    assert client.get("/api/inbox?status=snoozed", headers=h).json()["total"] == 1
    bad = client.post(f"/api/inbox/{item['id']}/snooze", headers=h, json={"minutes": -5})
    assert bad.status_code == 422


def test_a_correction_is_stored_with_who_and_when(client, loaded, services):
    h = bearer(loaded["agent"])
    item = client.get("/api/inbox?urgency=low", headers=h).json()["items"][0]
    r = client.post(f"/api/inbox/{item['id']}/corrections", headers=h,
                    json={"field": "urgency", "value": "high"})
    assert r.status_code == 201 and r.json()["old"] == "low"
    bad = client.post(f"/api/inbox/{item['id']}/corrections", headers=h,
                      json={"field": "urgency", "value": "extreme"})
    assert bad.status_code == 422
    with services.db() as s:
        c = s.scalars(select(t.Correction)).one()
        assert (c.field, c.new_value, c.user_id is not None) == ("urgency", "high", True)


@pytest.mark.usefixtures("loaded")
def test_every_route_but_health_and_webhooks_needs_authentication(client):
    assert client.get("/health").status_code == 200
    for path in ("/api/inbox", "/api/inbox/1", "/metrics", "/api/users", "/api/me"):
        assert client.get(path).status_code == 401, path
    assert client.post("/api/inbox/1/claim").status_code == 401
    assert client.get("/api/inbox", headers=bearer("trg_not-a-token")).status_code == 401
    page = client.get("/inbox", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"


def test_roles_are_enforced(client, loaded):
    new = {"username": "newbie", "password": "long-enough-pass", "role": "agent"}
    assert client.post("/api/users", json=new, headers=bearer(loaded["agent"])).status_code == 403
    assert client.post("/api/users", json=new, headers=bearer(loaded["lead"])).status_code == 403
    assert client.post("/api/users", json=new, headers=bearer(loaded["admin"])).status_code == 201
    short = {**new, "username": "short", "password": "short"}
    assert client.post("/api/users", json=short, headers=bearer(loaded["admin"])).status_code == 422


def test_metrics_report_ingest_queue_and_backlog(client, loaded):
    body = client.get("/metrics", headers=bearer(loaded["agent"])).text
    assert 'triage_messages_ingested_total{source="test"}' in body
    assert 'triage_inbox_backlog{urgency="critical"} 1.0' in body
    assert "triage_queue_depth" in body and "triage_job_duration_seconds" in body
