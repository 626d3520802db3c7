"""Live inbox plumbing: events on Redis pub/sub, presence that expires, and the presence endpoint."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.helpers import PASSWORD, add_user, message, post_signed, run_jobs
from triage.accounts import service as accounts
from triage.api.app import create_app
from triage.inbox import live
from triage.platform import tables as t
from triage.platform.db import transaction


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
    got = [json.loads(json.loads(m["data"])["e"]) for m in iter(lambda: sub.get_message(timeout=1), None)]
    assert got == [{"type": "item", "id": 3, "action": "claim", "by": "bo"},
                   {"type": "new", "ids": [4, 5]}]


def _read(conn, blocks: int, **kw) -> list[str]:
    """The first `blocks` SSE blocks (after the hello) of a reader's stream, publishing as asked."""
    publish = kw.pop("then", [])

    async def run() -> list[str]:
        kw.setdefault("lifetime", 3)
        out, gen = [], live.stream(conn, keepalive=0.2, **kw)
        async for block in gen:
            if block.startswith("retry:"):
                for event in publish:
                    live.publish(conn, event)
                continue
            if not block.startswith(":"):
                out.append(block)
            if len(out) == blocks:
                break
        await gen.aclose()
        return out
    return asyncio.run(run())


def _data(block: str) -> dict:
    return json.loads(block.split("data: ", 1)[1])


def test_a_readers_stream_carries_only_what_the_inbox_page_shows(redis_conn):
    leaked = {"type": "item", "id": 3, "action": "claim", "by": "bo",
              "text": "my card number is 4111", "note": "override: over hours", "token": "s3cret"}
    unknown = {"type": "audit", "entry": "lead changed the rules"}
    got = _read(redis_conn, 2, role="agent", then=[leaked, unknown, {"type": "new", "ids": [4]}])
    assert [_data(b) for b in got] == [{"type": "item", "id": 3, "action": "claim", "by": "bo"},
                                       {"type": "new", "ids": [4]}]
    assert all(b.startswith("id: ") for b in got)
    assert live.for_reader(unknown, "admin") is None and live.for_reader(leaked, "guest") is None


def test_a_reconnecting_reader_gets_what_it_missed_and_a_resync_past_the_log(redis_conn):
    live.item_moved(redis_conn, item_id=1, action="claim", by="bo")
    first = redis_conn.xrange(live.LOG_KEY)[0][0].decode()
    live.items_arrived(redis_conn, [2])
    live.item_moved(redis_conn, item_id=2, action="resolve", by="bo")
    got = _read(redis_conn, 2, role="agent", last_event_id=first)
    assert [_data(b) for b in got] == [{"type": "new", "ids": [2]},
                                       {"type": "item", "id": 2, "action": "resolve", "by": "bo"}]
    # live events after the catch-up arrive once, in order
    got = _read(redis_conn, 3, role="lead", last_event_id=first,
                then=[{"type": "new", "ids": [9]}])
    assert [_data(b).get("ids") for b in got] == [[2], None, [9]]
    redis_conn.xtrim(live.LOG_KEY, maxlen=1, approximate=False)  # the log moved past what the reader saw
    assert _data(_read(redis_conn, 1, role="agent", last_event_id=first)[0]) == {"type": "resync"}
    # a junk id replays nothing; a planned end says goodbye, so the page reconnects without alarm
    assert [_data(b) for b in _read(redis_conn, 2, role="agent", last_event_id="0-0 OR *",
                                    lifetime=0.3)] == [{"type": "bye"}]


def test_a_stream_ends_once_its_reader_is_signed_out(redis_conn, monkeypatch):
    monkeypatch.setattr(live, "RECHECK", 0.1)
    blocks = asyncio.run(asyncio.wait_for(_all(live.stream(
        redis_conn, role="agent", signed_in=lambda: False, keepalive=0.05, lifetime=5)), 3))
    assert not any("bye" in b for b in blocks)  # not a planned end: the page says it stopped


async def _all(gen) -> list[str]:
    return [block async for block in gen]


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


def test_an_open_stream_holds_no_database_connection(client, services, monkeypatch):
    token = add_user(services, "sse")
    held = []
    real = live.stream

    async def watched(*args, **kw):
        async for block in real(*args, **{**kw, "lifetime": 0.3}):
            held.append(services.engine.pool.checkedout())
            yield block
    monkeypatch.setattr(live, "stream", watched)
    r = client.get("/inbox/live", headers={"Authorization": "Bearer " + token})
    assert r.status_code == 200 and r.text.startswith("retry: 3000")
    assert held and max(held) == 0  # 16 open tabs once took every pooled connection


def test_a_bearer_stream_ends_once_its_token_is_revoked(client, services, monkeypatch):
    monkeypatch.setattr(live, "RECHECK", 0.1)
    monkeypatch.setattr(live, "LIFETIME", 5.0)  # a planned end says "bye"; a revoked token does not
    token = add_user(services, "sse-revoked")
    with services.db() as session:
        token_id = session.scalar(select(t.ApiToken.id).where(t.ApiToken.name == "test"))
    with client.stream("GET", "/inbox/live", headers={"Authorization": "Bearer " + token}) as r:
        lines = r.iter_lines()
        assert next(lines).startswith("retry: 3000")
        with transaction(services.db) as session:
            accounts.revoke_token(session=session, token_id=token_id, actor="admin", now=datetime.now(UTC))
        started = time.monotonic()
        rest = list(lines)
    assert time.monotonic() - started < 4 and not any("bye" in line for line in rest)
