"""Live inbox plumbing: events on Redis pub/sub, presence that expires, and the presence endpoint."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from tests.integration.helpers import PASSWORD, add_user, message, post_signed, run_jobs
from triage.api.app import create_app
from triage.inbox import live


def test_presence_shows_who_is_on_an_item_until_the_heartbeat_runs_out(redis_conn):
    live.set_presence(redis_conn, item_id=7, user="alex", state="viewing", now=1000.0)
    live.set_presence(redis_conn, item_id=7, user="bo", state="replying", now=1010.0)
    assert live.presence(redis_conn, item_id=7, now=1020.0) == {"alex": "viewing", "bo": "replying"}
    assert live.presence(redis_conn, item_id=7, now=1000.0 + live.PRESENCE_TTL + 1) == {"bo": "replying"}
    live.set_presence(redis_conn, item_id=7, user="bo", state="left", now=1020.0)
    assert live.presence(redis_conn, item_id=7, now=1020.0) == {"alex": "viewing"}


def test_moves_and_arrivals_are_published_for_every_api_process(redis_conn):
    sub = redis_conn.pubsub(ignore_subscribe_messages=True)
    sub.subscribe(live.CHANNEL)
    sub.get_message(timeout=1)
    live.item_moved(redis_conn, item_id=3, action="claim", by="bo")
    live.items_arrived(redis_conn, [4, 5])
    got = [json.loads(m["data"]) for m in iter(lambda: sub.get_message(timeout=1), None)]
    assert got == [{"type": "item", "id": 3, "action": "claim", "by": "bo"},
                   {"type": "new", "ids": [4, 5]}]


def test_the_presence_endpoint_needs_sign_in_csrf_and_a_known_state(client, services):
    post_signed(client, message("p1", "How do I export my data?"))
    run_jobs(services)
    add_user(services, "ana")
    item = client.get("/api/inbox", headers={"Authorization": "Bearer " + add_user(services, "x")}
                      ).json()["items"][0]["id"]
    anon = TestClient(create_app(services))
    assert anon.post(f"/inbox/{item}/presence", data={"state": "viewing"},
                     follow_redirects=False).status_code in (303, 403)
    c = TestClient(create_app(services))
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token})
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/inbox").text).group(1)
    assert c.post(f"/inbox/{item}/presence", data={"state": "viewing"}).status_code == 403
    h = {"X-CSRF-Token": token}
    assert c.post(f"/inbox/{item}/presence", data={"state": "<b>"}, headers=h).status_code == 422
    assert c.post("/inbox/999999/presence", data={"state": "viewing"}, headers=h).status_code == 404
    r = c.post(f"/inbox/{item}/presence", data={"state": "replying"}, headers=h)
    assert r.status_code == 200 and r.json()["present"] == {"ana": "replying"}
    assert c.get("/inbox/counts").json()["counts"]["all"] == 1
    assert f'id="item-{item}"' in c.get(f"/inbox/{item}/row").text
