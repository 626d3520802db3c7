"""Live inbox events over Redis pub/sub, so every API process tells its browsers the same news.

Events are small JSON objects: `item` (someone moved an item), `new` (items finished routing),
`presence` (who views or replies to what). Presence lives in one Redis hash per item whose
fields expire with their heartbeat, so a closed tab stops showing within PRESENCE_TTL.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import redis
import redis.asyncio as aioredis

CHANNEL = "triage:inbox:events"
PRESENCE_KEY = "triage:inbox:presence:{item_id}"
PRESENCE_TTL = 30  # seconds: the browser beats every 10 s, so two missed beats end it
PRESENCE_STATES = ("viewing", "replying", "left")
LIFETIME = 300.0  # seconds a stream stays open before the browser reconnects
KEEPALIVE = 15.0  # seconds between SSE comments, under common 30-60 s proxy idle timeouts


def publish(conn: redis.Redis, event: dict[str, Any]) -> None:
    """Tell every connected browser, on every API process."""
    conn.publish(CHANNEL, json.dumps(event))


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


async def stream(conn: redis.Redis, *, keepalive: float = KEEPALIVE,
                 lifetime: float | None = None) -> AsyncIterator[str]:
    """Server-sent events from the channel: one `data:` block per event, comments to keep alive.

    The stream ends after `lifetime` seconds (LIFETIME by default) and the browser reconnects by
    itself, possibly to another API process: no connection outlives a deploy or a proxy's timeout.
    """
    ends = time.monotonic() + (LIFETIME if lifetime is None else lifetime)
    kw = conn.connection_pool.connection_kwargs
    args = {k: v for k, v in kw.items() if k in ("host", "port", "db", "username", "password")}
    if "path" in kw:  # a unix socket
        args["unix_socket_path"] = kw["path"]
    client = aioredis.Redis(**args)
    pubsub = client.pubsub()
    await pubsub.subscribe(CHANNEL)
    try:
        yield "retry: 3000\n: connected\n\n"  # the browser reconnects 3 s after a drop
        while (left := ends - time.monotonic()) > 0:
            message = await pubsub.get_message(ignore_subscribe_messages=True,
                                               timeout=min(keepalive, left))
            if message is None:
                yield ": keepalive\n\n"
                continue
            data = message["data"].decode() if isinstance(message["data"], bytes) else message["data"]
            yield f"data: {data}\n\n"
    finally:
        await pubsub.aclose()
        await client.aclose()
