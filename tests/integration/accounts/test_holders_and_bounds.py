"""Item actions check the holder the way claim does; hostile API parameters get a 4xx, never a 500."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from tests.integration.accounts.support import signed_in
from tests.integration.helpers import add_user, bearer, message, post_signed, run_jobs
from triage.api import deps
from triage.platform import tables as t

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def people(client, services):
    post_signed(client, {"messages": [message(f"m{i}", f"my order {i} never arrived, help")
                                      for i in range(3)]})
    run_jobs(services)
    return {"ana": add_user(services, "ana"), "bo": add_user(services, "bo"),
            "lee": add_user(services, "lee", "lead")}


def held_by_ana(client, people) -> int:
    item = client.get("/api/inbox", headers=bearer(people["ana"])).json()["items"][0]
    assert client.post(f"/api/inbox/{item['id']}/claim", headers=bearer(people["ana"])).status_code == 200
    return item["id"]


@pytest.mark.parametrize("action, body", [
    ("snooze", {"minutes": 60}), ("resolve", None), ("release", None)])
def test_an_agent_cannot_move_an_item_someone_else_holds_but_a_lead_can_audited(
        client, services, people, action, body):
    item = held_by_ana(client, people)
    refused = client.post(f"/api/inbox/{item}/{action}", headers=bearer(people["bo"]), json=body)
    assert refused.status_code == 409 and "ana" in refused.json()["detail"]
    assert client.get(f"/api/inbox/{item}", headers=bearer(people["bo"])).json()["status"] == "claimed"
    allowed = client.post(f"/api/inbox/{item}/{action}", headers=bearer(people["lee"]), json=body)
    assert allowed.status_code == 200
    with services.db() as session:
        (entry,) = session.scalars(select(t.AuditLog).where(t.AuditLog.action == f"{action}.override"))
        assert entry.actor == "lee" and entry.entity_id == str(item) and "ana" in entry.detail["holder"]


def test_the_holder_and_anyone_on_an_unheld_item_may_still_snooze(client, people):
    item = held_by_ana(client, people)
    assert client.post(f"/api/inbox/{item}/snooze", headers=bearer(people["ana"]),
                       json={"minutes": 30}).status_code == 200
    free = client.get("/api/inbox", headers=bearer(people["bo"])).json()["items"][0]["id"]
    assert client.post(f"/api/inbox/{free}/snooze", headers=bearer(people["bo"]),
                       json={"minutes": 30}).status_code == 200


@pytest.mark.usefixtures("services")
def test_corrections_and_replies_on_a_held_item_are_refused_to_other_agents(client, people):
    item = held_by_ana(client, people)
    fix = {"field": "urgency", "value": "low"}
    assert client.post(f"/api/inbox/{item}/corrections", headers=bearer(people["bo"]),
                       json=fix).status_code == 409
    assert client.post(f"/api/inbox/{item}/corrections", headers=bearer(people["lee"]),
                       json=fix).status_code == 201
    reply = client.post(f"/api/messages/{item}/reply", headers=bearer(people["bo"]),
                        json={"text": "hello"})
    assert reply.status_code == 403 and "held by ana" in reply.json()["detail"]


def test_the_page_form_refuses_an_agent_snoozing_a_held_item(client, services, people):
    item = held_by_ana(client, people)
    bo, csrf = signed_in(services, "bo")
    r = bo.post(f"/inbox/{item}/snooze", data={"minutes": "60"},
                headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert r.status_code == 200 and "claimed by someone else" in r.text
    assert client.get(f"/api/inbox/{item}", headers=bearer(people["ana"])).json()["status"] == "claimed"


@pytest.mark.parametrize("query", [
    "page=100000000000000000000", "per_page=1000000000", "page=-1", "per_page=0", "page=0",
    "per_page=-5", "page=1e3", "assignee=99999999999999999999", "assignee=0", "assignee=%C2%B2",
    "source=" + "x" * 500, "page=%00",
])
def test_hostile_inbox_parameters_get_a_4xx_not_a_500(client, people, query):
    r = client.get(f"/api/inbox?{query}", headers=bearer(people["ana"]))
    assert 400 <= r.status_code < 500, (query, r.status_code, r.text[:200])


@pytest.mark.parametrize("path", [
    "/api/inbox/99999999999999999999", "/api/inbox/-1", "/api/inbox/0", "/api/inbox/2147483648",
    "/api/inbox/99999999999999999999/claim", "/api/inbox/99999999999999999999/corrections",
    "/inbox/99999999999999999999/claim", "/api/inbox/2147483647",
])
@pytest.mark.usefixtures("services")
def test_hostile_item_ids_get_a_4xx_not_a_500(client, people, path):
    h = bearer(people["ana"])
    r = client.post(path, headers=h, json={"field": "urgency", "value": "low"}) \
        if "claim" in path or "corrections" in path else client.get(path, headers=h)
    assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])


def test_a_huge_snooze_is_a_422_not_an_overflow(client, services, people):
    item = client.get("/api/inbox", headers=bearer(people["ana"])).json()["items"][0]["id"]
    api = client.post(f"/api/inbox/{item}/snooze", headers=bearer(people["ana"]),
                      json={"minutes": 10**18})
    assert api.status_code == 422
    ana, csrf = signed_in(services, "ana")
    page = ana.post(f"/inbox/{item}/snooze", data={"minutes": "9" * 30},
                    headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert page.status_code == 200 and "snooze at most 14 days" in page.text


def test_the_largest_allowed_page_answers_quickly_and_empty(client, people):
    started = time.perf_counter()
    r = client.get("/api/inbox?page=100000&per_page=500", headers=bearer(people["ana"]))
    assert r.status_code == 200 and r.json()["items"] == [] and r.json()["total"] == 3
    assert time.perf_counter() - started < 1.0


def test_a_request_whose_query_runs_past_the_time_limit_gets_a_503(client, people, monkeypatch,
                                                                   db_url):
    monkeypatch.setattr(deps, "QUERY_TIME_LIMIT_S", -1.0)  # every statement is already late
    monkeypatch.setattr(deps, "PROGRESS_STEPS", 1)
    if db_url.startswith("postgresql"):  # the shortest statement_timeout (1 ms) needs a slow query
        from sqlalchemy import text

        from triage.inbox import store

        fast = store.list_items

        def slow(*, session, **kw):
            session.execute(text("SELECT pg_sleep(0.2)"))
            return fast(session=session, **kw)

        monkeypatch.setattr(store, "list_items", slow)
    r = client.get("/api/inbox", headers=bearer(people["ana"]))
    assert r.status_code == 503 and "took too long" in r.json()["detail"]
    monkeypatch.undo()
    assert client.get("/api/inbox", headers=bearer(people["ana"])).status_code == 200
