"""Live inbox events over Redis pub/sub, so every API process tells its browsers the same news.

Events are small JSON objects: `item` (someone moved an item), `new` (items finished routing),
`presence` (who views or replies to what). Presence lives in one Redis hash per item whose
fields expire with their heartbeat, so a closed tab stops showing within PRESENCE_TTL.

Each event is also appended to a capped Redis stream, and its stream id is the SSE `id:`: a
browser that reconnects sends `Last-Event-ID` and gets what it missed (or `resync` when the gap
fell off the cap). Each stream is filtered for its reader: only event types that reader's role
may see, and only the fields the inbox page shows (no message text, no notes, no tokens).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import redis
import redis.asyncio as aioredis

CHANNEL = "triage:inbox:events"
LOG_KEY = "triage:inbox:events:log"
LOG_MAX = 2000  # events kept for catch-up: minutes of a busy team's moves
PRESENCE_KEY = "triage:inbox:presence:{item_id}"
PRESENCE_TTL = 30  # seconds: the browser beats every 10 s, so two missed beats end it
PRESENCE_STATES = ("viewing", "replying", "left")
LIFETIME = 300.0  # seconds a stream stays open before the browser reconnects
KEEPALIVE = 15.0  # seconds between SSE comments, under common 30-60 s proxy idle timeouts
RECHECK = 30.0  # seconds between checks that the reader is still signed in
EVERYONE = frozenset({"agent", "lead", "admin"})
# Who may see each event type, and the only fields it carries out: the list shows every active
# item to every role, so these go to all; an unknown type (or field) is never sent.
SHOWN = {"item": (EVERYONE, ("type", "id", "action", "by")),
         "new": (EVERYONE, ("type", "ids")),
         "presence": (EVERYONE, ("type", "id", "present"))}
EVENT_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


def publish(conn: redis.Redis, event: dict[str, Any]) -> None:
    """Tell every connected browser, on every API process; kept for those reconnecting."""
    data = json.dumps(event)
    event_id = conn.xadd(LOG_KEY, {"e": data}, maxlen=LOG_MAX, approximate=True)
    event_id = event_id.decode() if isinstance(event_id, bytes) else event_id
    conn.publish(CHANNEL, json.dumps({"id": event_id, "e": data}))


def for_reader(event: dict[str, Any], role: str) -> dict[str, Any] | None:
    """The event as this role may see it, or None: known types, allowed roles, shown fields only."""
    audience, fields = SHOWN.get(event.get("type"), (frozenset(), ()))
    if role not in audience:
        return None
    return {k: event[k] for k in fields if k in event}


def _order(event_id: str) -> tuple[int, int]:
    ms, seq = event_id.split("-")
    return int(ms), int(seq)


def item_moved(conn: redis.Redis, *, item_id: int, action: str, by: str) -> None:
    """Someone claimed, released, resolved, snoozed or relabelled an item."""
    publish(conn, {"type": "item", "id": item_id, "action": action, "by": by})


def items_arrived(conn: redis.Redis, ids: Sequence[int]) -> None:
    """Items finished scoring and routing: lists showing their view may add them."""
    if ids:
        publish(conn, {"type": "new", "ids": [int(i) for i in ids]})


def set_presence(conn: redis.Redis, *, item_id: int, user: str, state: str,
                 now: float | None = None) -> dict[str, str]:
    """Record a heartbeat (viewing, replying) or a goodbye (left); returns who is on the item now."""
    key, now = PRESENCE_KEY.format(item_id=item_id), now if now is not None else time.time()
    if state == "left":
        conn.hdel(key, user)
    else:
        conn.hset(key, user, json.dumps({"state": state, "until": now + PRESENCE_TTL}))
        conn.expire(key, PRESENCE_TTL)
    present = presence(conn, item_id=item_id, now=now)
    publish(conn, {"type": "presence", "id": item_id, "present": present})
    return present


def presence(conn: redis.Redis, *, item_id: int, now: float | None = None) -> dict[str, str]:
    """Who is on an item and doing what, without the heartbeats that ran out."""
    now = now if now is not None else time.time()
    out = {}
    for user, raw in conn.hgetall(PRESENCE_KEY.format(item_id=item_id)).items():
        beat = json.loads(raw)
        if beat["until"] > now:
            out[user.decode() if isinstance(user, bytes) else user] = beat["state"]
    return out


async def _missed(client: aioredis.Redis, last_id: str) -> list[tuple[str, str]] | None:
    """Events after `last_id`, or None when some already fell off the log (the reader resyncs)."""
    oldest = await client.xrange(LOG_KEY, count=1)
    if oldest and _order(oldest[0][0].decode()) > _order(last_id):  # the cap trimmed past it
        return None
    rows = await client.xrange(LOG_KEY, min="(" + last_id, count=LOG_MAX)
    return [(i.decode(), f[b"e"].decode()) for i, f in rows]


def _sse(event_id: str, data: str, role: str) -> str | None:
    shown = for_reader(json.loads(data), role)
    return None if shown is None else f"id: {event_id}\ndata: {json.dumps(shown)}\n\n"


async def stream(conn: redis.Redis, *, role: str, last_event_id: str | None = None,
                 signed_in: Callable[[], bool] = lambda: True, keepalive: float = KEEPALIVE,
                 lifetime: float | None = None) -> AsyncIterator[str]:
    """Server-sent events for one reader: what it missed since `last_event_id`, then live ones.

    The stream ends after `lifetime` seconds (LIFETIME by default), or as soon as `signed_in`
    says the reader signed out or was deactivated; the browser reconnects by itself, possibly to
    another API process: no connection outlives a deploy or a proxy's timeout.
    """
    ends = time.monotonic() + (LIFETIME if lifetime is None else lifetime)
    kw = conn.connection_pool.connection_kwargs
    args = {k: v for k, v in kw.items() if k in ("host", "port", "db", "username", "password")}
    if "path" in kw:  # a unix socket
        args["unix_socket_path"] = kw["path"]
    client = aioredis.Redis(**args)
    pubsub = client.pubsub()
    await pubsub.subscribe(CHANNEL)  # before reading the log, so nothing falls between the two
    sent, checked = (0, 0), time.monotonic()
    try:
        yield "retry: 3000\n: connected\n\n"  # the browser reconnects 3 s after a drop
        if last_event_id and EVENT_ID.match(last_event_id):
            missed = await _missed(client, last_event_id)
            if missed is None:
                yield 'data: {"type": "resync"}\n\n'
            for event_id, data in missed or []:
                sent = _order(event_id)
                if (block := _sse(event_id, data, role)) is not None:
                    yield block
        while (left := ends - time.monotonic()) > 0:
            if time.monotonic() - checked > RECHECK:
                if not signed_in():
                    return
                checked = time.monotonic()
            message = await pubsub.get_message(ignore_subscribe_messages=True,
                                               timeout=min(keepalive, left, RECHECK))
            if message is None:
                yield ": keepalive\n\n"
                continue
            wrapped = json.loads(message["data"])
            if _order(wrapped["id"]) <= sent:  # already sent from the log
                continue
            if (block := _sse(wrapped["id"], wrapped["e"], role)) is not None:
                yield block
        yield 'data: {"type": "bye"}\n\n'  # a planned end: the page reconnects without alarm
    finally:
        await pubsub.aclose()
        await client.aclose()
