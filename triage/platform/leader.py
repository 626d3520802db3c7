"""The periodic loop: one leader at a time (a Redis lock with expiry), a heartbeat, back-off on errors.

Why a small loop and not RQ's `CronScheduler` (rq 3.0): the cron scheduler has no leader election
(two of them both enqueue every duty) and its loop stops on the first Redis error. Here a second
instance waits as a standby, and no error ends the loop: it is logged, backed off and retried.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

import redis

from triage.platform import metrics

log = logging.getLogger(__name__)

LEADER_KEY = "triage:tick:leader"
HEARTBEAT_KEY = "triage:tick:heartbeat"
MAX_BACKOFF_SECONDS = 60.0  # after repeated failures, try at least once a minute
# Take the lock, or renew it if we hold it; answer 1 when we are the leader.
_HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
elseif holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Leader:
    """A leader lock that expires unless renewed, so a dead leader is replaced after `ttl`."""

    def __init__(self, conn: redis.Redis, *, ttl: float, key: str = LEADER_KEY):
        self.conn, self.key, self.ttl_ms = conn, key, int(ttl * 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._hold = conn.register_script(_HOLD)
        self._release = conn.register_script(_RELEASE)

    def hold(self) -> bool:
        """Become or stay the leader; False while another live instance is."""
        return bool(self._hold(keys=[self.key], args=[self.token, self.ttl_ms]))

    def release(self) -> None:
        self._release(keys=[self.key], args=[self.token])


def beat(conn: redis.Redis, *, at: datetime, summary: dict) -> None:
    """Record that the periodic duties ran (kept without expiry: a stale beat is itself the news)."""
    conn.set(HEARTBEAT_KEY, json.dumps({"at": at.isoformat(), "summary": summary}, default=str))
    metrics.TICK_HEARTBEAT.set(at.timestamp())


def last_beat(conn: redis.Redis) -> datetime | None:
    """When the periodic duties last completed, or None if they never have."""
    raw = conn.get(HEARTBEAT_KEY)
    return datetime.fromisoformat(json.loads(raw)["at"]) if raw else None


def run_periodically(*, conn: redis.Redis, duty: Callable[[], dict], now: Callable[[], datetime],
                     every: float, stop: threading.Event | None = None,
                     max_backoff: float = MAX_BACKOFF_SECONDS) -> None:
    """Run `duty` every `every` seconds while leader, until `stop` is set; errors back off, never end it."""
    stop = stop or threading.Event()
    leader = Leader(conn, ttl=max(30.0, every * 3))  # outlives a slow tick, replaced soon after a death
    failures = 0
    while not stop.is_set():
        try:
            summary = duty() if leader.hold() else {}
            if summary:
                beat(conn, at=now(), summary=summary)
            failures = failures + 1 if summary.get("errors") else 0  # a duty failed: slow down
            delay = min(max_backoff, every * 2 ** failures)
        except Exception:  # noqa: BLE001 - Redis or the database is away: log, wait longer, go on
            failures += 1
            delay = min(max_backoff, every * 2 ** failures)
            metrics.TICK_ERRORS.labels(duty="loop").inc()
            log.exception("periodic duties failed (%d in a row); next try in %.0f s", failures, delay)
        stop.wait(delay)
    try:
        leader.release()
    except redis.RedisError:  # it expires by itself
        pass
