"""Canned replies, length checks, no deferral for urgent items, bulk moves and a storm's reply-all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.integration.helpers import run_jobs
from tests.integration.relationship_support import doc, ingest
from tests.integration.replies_support import (  # noqa: F401
    COMPLAINT,
    Api,
    item_status,
    make_services_fixture,
    reply_row,
)
from triage.config import SourceSettings
from triage.platform import tables as t
from triage.replies import outbox

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
QUESTION = "How do I change the e-mail address on my account?"  # normal under the rule scorer


def _arrive(services, *specs: tuple[str, str, str]) -> list[int]:
    """(source, external id, text) messages stored and scored now in one batch, one author each."""
    return ingest(services, [doc(i, text, source=src, author=f"u-{i}", handle=f"u{i}",
                                 created_at=services.clock.now()) for src, i, text in specs],
                  at=services.clock.now())


def _audit(services, action: str) -> list[t.AuditLog]:
    with services.db() as session:
        return list(session.scalars(select(t.AuditLog).where(t.AuditLog.action == action)))


def test_leads_keep_the_canned_library_and_agents_insert_it_filled_in(make_services):
    services = make_services()
    api = Api(services)
    [item] = ingest(services, [doc("c1", COMPLAINT, source="masto", author="9", handle="sam",
                                  name="<b>Sam</b>", created_at=services.clock.now())],
                    at=services.clock.now())
    body = {"name": "Outage", "body": "Hi {author_name}, {agent_name} here ({channel}): {case_link}"}
    assert api.post("/api/canned", json=body).status_code == 403  # agents read only
    created = api.post("/api/canned", "lead", json=body)
    assert created.status_code == 201
    assert api.post("/api/canned", "lead", json=body).status_code == 409  # the name is taken
    bad = api.post("/api/canned", "lead", json={"name": "x", "body": "Hi {customer}"})
    assert bad.status_code == 422 and "{customer}" in bad.json()["detail"]
    cid = created.json()["id"]
    filled = api.get(f"/api/messages/{item}/canned").json()["canned"]
    assert filled[0]["text"] == (f"Hi <b>Sam</b>, ana here (Mastodon): http://testserver/inbox/{item}")
    assert api.client.put(f"/api/canned/{cid}", json={"name": "Outage", "body": "Fixed, {author_name}."},
                          headers=api.client.headers | _bearer(api, "lead")).status_code == 200
    assert api.get("/api/canned").json()["canned"][0]["body"] == "Fixed, {author_name}."
    assert api.client.delete(f"/api/canned/{cid}", headers=_bearer(api, "agent")).status_code == 403
    assert api.client.delete(f"/api/canned/{cid}", headers=_bearer(api, "lead")).status_code == 204
    assert api.get("/api/canned").json()["canned"] == []
    assert [len(_audit(services, f"canned.{a}")) for a in ("create", "update", "delete")] == [1, 1, 1]
    assert _audit(services, "canned.delete")[0].detail["body"] == "Fixed, {author_name}."


def _bearer(api: Api, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.tokens[role]}"}


def test_x_replies_are_measured_weighted_and_refused_past_280_with_the_limit(make_services):
    services = make_services()
    services.settings.sources["xacct"] = SourceSettings(channel="x", secret="x-secret-0123456789ab")
    api = Api(services)
    [item] = _arrive(services, ("xacct", "x1", COMPLAINT))
    link = "We are on it: https://status.example.com/" + "a" * 300
    counted = api.post(f"/api/messages/{item}/reply/length", json={"text": link}).json()
    assert counted == {"length": 37, "limit": 280, "over": False, "weighted": True, "channel": "x"}
    assert api.reply(item, link).status_code == 202  # 341 characters, 37 as X counts them
    cjk = api.reply(item, "の" * 141)
    assert cjk.status_code == 422
    assert cjk.json()["detail"] == ("x replies are limited to 280 characters; this one has 282:"
                                    " shorten it by 2")


def test_urgent_replies_cannot_be_deferred_through_the_api(make_services):
    services = make_services()
    api = Api(services)
    [urgent] = _arrive(services, ("shop", "u1", COMPLAINT))  # a refund complaint: high
    r = api.reply(urgent, "Tomorrow.", defer=True)
    assert r.status_code == 422 and "high replies go out at once" in r.json()["detail"]
    assert api.reply(urgent, "Right now.").status_code == 202


def test_bulk_moves_report_each_item_and_never_skip_a_held_one_silently(make_services):
    services = make_services()
    api = Api(services)
    ids = _arrive(services, *[("shop", f"b{i}", f"{QUESTION} ({i})") for i in range(4)])
    assert api.post(f"/api/inbox/{ids[3]}/claim", "agent2").status_code == 200
    r = api.post("/api/inbox/bulk", json={"ids": ids[:2] + ids[3:] + [999_999], "action": "resolve"})
    assert r.status_code == 200
    got = {x["id"]: x for x in r.json()["results"]}
    assert r.json()["done"] == 2 and r.json()["failed"] == 2
    assert got[ids[0]]["ok"] and got[ids[0]]["status"] == "resolved"
    assert not got[ids[3]]["ok"] and "claimed by someone else (bo)" in got[ids[3]]["error"]
    assert not got[999_999]["ok"] and got[999_999]["kind"] == "notfound"
    assert item_status(services, ids[3]) == "claimed"  # the refused one did not move
    assert api.post("/api/inbox/bulk", json={"ids": [ids[2]], "action": "assign",
                                             "assignee": "bo"}).status_code == 403
    assigned = api.post("/api/inbox/bulk", "lead", json={"ids": [ids[2], ids[3]], "action": "assign",
                                                          "assignee": "ana"}).json()
    assert assigned["done"] == 2 and len(_audit(services, "assign.override")) == 1
    snoozed = api.post("/api/inbox/bulk", json={"ids": [ids[2]], "action": "snooze", "minutes": 60})
    assert snoozed.json()["results"][0]["status"] == "snoozed"
    assert api.post("/api/inbox/bulk", json={"ids": [ids[2]], "action": "snooze"}).status_code == 422


def test_a_storm_is_answered_in_every_thread_through_the_paced_outbox_then_resolved(make_services):
    services = make_services()
    api = Api(services)
    text = "The app crashes on start since the update"
    ids = _arrive(services, *[(src, f"s{i}", text)
                              for i, src in enumerate(["shop", "masto", "shop", "masto", "masto"])])
    leader = ids[0]
    item = api.get(f"/api/inbox/{leader}").json()
    assert item["incident"]["count"] == 5 and item["incident"]["people"] == 5
    r = api.post(f"/api/incidents/{leader}/reply-all", "lead",
                 json={"text": "Fixed in 2.1.1, sorry for the trouble."})
    assert r.status_code == 202
    body = r.json()
    assert body["threads"] == 5 and body["skipped"] == []
    assert len(body["due_now"]) == 3  # both shop threads and the first Mastodon one
    paced = sorted(reply_row(services, i).next_attempt_at for i in body["queued"]
                   if i not in body["due_now"])
    now = services.clock.now()
    assert [p - now for p in paced] == [timedelta(seconds=36), timedelta(seconds=72)]
    assert body["progress"]["waiting"] == 5
    run_jobs(services)
    progress = api.get(f"/api/incidents/{leader}/reply-all").json()
    assert progress["sent"] == 3 and progress["waiting"] == 2
    services.clock.at = now + timedelta(seconds=80)
    outbox.tick(services=services)
    run_jobs(services)
    progress = api.get(f"/api/incidents/{leader}/reply-all").json()
    assert progress["sent"] == 5 and progress["waiting"] == 0 and progress["open_items"] == 0
    assert {item_status(services, i) for i in ids} == {"resolved"}
    assert len(_audit(services, "incident.reply_all")) == 1
    again = api.post(f"/api/incidents/{leader}/reply-all", "lead", json={"text": "again"})
    assert again.status_code == 422 and "resolved already" in again.json()["detail"]
    assert api.post(f"/api/incidents/{ids[1]}/reply-all", "lead",
                    json={"text": "x"}).status_code == 422  # not a storm's item
