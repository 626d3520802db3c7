"""RQ queues for the pipeline stages and the Redis keys the ingest buffer owns."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import redis
from rq import Queue, Retry
from rq.job import Job

INGEST, SCORE, ROUTE = "triage-ingest", "triage-score", "triage-route"
REPLY = "triage-reply"  # managers' replies going out (replies/outbox.py)
POLL = "triage-poll"  # channel pollers (intake/polling.py): slow network calls
RESCORE = "triage-rescore"  # re-ranking open items after a policy change or a link (rescoring.py)
STAGES = (INGEST, SCORE, ROUTE, REPLY, POLL, RESCORE)
# Workers take downstream stages first: finish work in flight before pulling more in, so a
# steady stream of arrivals never starves scoring (new messages wait safely in Redis).
# Re-ranking comes last: it only reorders items already in the inbox, and a big backlog's
# thousands of chunks on the route queue would hold every new message back until they were done.
WORK_ORDER = (REPLY, ROUTE, SCORE, INGEST, POLL, RESCORE)
# The job functions (workers/jobs.py) by dotted path, in one place: callers enqueue by name and so
# never import a job's dependencies (the API process never loads the model).
DRAIN_JOB = "workers.jobs.drain_ingest"
SCORE_JOB = "workers.jobs.score"
ROUTE_JOB = "workers.jobs.route"
RESCORE_JOB = "workers.jobs.rescore"
SEND_JOB = "workers.jobs.send_replies"
POLL_JOB = "workers.jobs.poll"
JOBS = (DRAIN_JOB, SCORE_JOB, ROUTE_JOB, RESCORE_JOB, SEND_JOB, POLL_JOB)
RETRY_INTERVALS = [2, 10, 60]  # seconds; transient DB or Redis hiccups usually pass within a minute
DRAIN_LOCK_SECONDS = 45  # outlives one drain pass (30 s budget); a dead drainer blocks no longer
JOB_TIMEOUT = 600  # seconds: a batch of 64 through MiniLM takes a few; a stuck job is abandoned after this
RESULT_TTL = 300  # seconds a finished job stays readable; failed ones stay 30 days for `triage jobs`
FAILURE_TTL = 30 * 86400


def queue(conn: redis.Redis, name: str) -> Queue:
    return Queue(name, connection=conn)


def _retry(retries: int) -> Retry | None:
    return Retry(max=retries, interval=RETRY_INTERVALS[:retries] or [2]) if retries else None


def enqueue(conn: redis.Redis, stage: str, func: str, *args: object, retries: int = 3,
            job_id: str | None = None) -> Job:
    """Enqueue a job by dotted path so the caller never imports the job's dependencies."""
    return queue(conn, stage).enqueue(
        func, *args, job_id=job_id, job_timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL, retry=_retry(retries),
    )


def enqueue_many(pipe: redis.client.Pipeline, conn: redis.Redis, stage: str, func: str,
                 arg_lists: Iterable[tuple], *, retries: int = 3,
                 result_ttl: int = RESULT_TTL) -> list[Job]:
    """Like `enqueue`, one job per argument tuple, written through the caller's pipeline.

    Thousands of jobs go in one round trip, and with a transactional pipeline they appear
    together with whatever else the caller writes there, or not at all.
    """
    return queue(conn, stage).enqueue_many([
        Queue.prepare_data(func, args, timeout=JOB_TIMEOUT, result_ttl=result_ttl,
                           failure_ttl=FAILURE_TTL, retry=_retry(retries))
        for args in arg_lists], pipeline=pipe)


# Atomically: remember (source, external id) and push the message, or do neither.
# A re-delivery therefore never enters the buffer twice, and an accepted one is never lost.
_ACCEPT = """
local added = 0
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, '1', 'NX', 'EX', ARGV[1]) then
    redis.call('RPUSH', ARGV[2], ARGV[i + 2])
    added = added + 1
  end
end
return added
"""


@dataclass(frozen=True, slots=True)
class Accepted:
    new: int
    duplicates: int


class IngestBuffer:
    """Webhooks push here; one drain job at a time moves batches into the database."""

    pending_key = "triage:ingest:pending"
    seen_key = "triage:seen:{source}:{external_id}"
    drain_flag_key = "triage:ingest:drain-scheduled"
    drain_lock_key = "triage:ingest:drain-lock"
    quarantine_key = "triage:ingest:quarantine"
    delivery_quarantine_key = "triage:webhook:quarantine"

    def __init__(self, conn: redis.Redis, *, seen_ttl_seconds: int = 30 * 86400):
        self.conn = conn
        self.seen_ttl = seen_ttl_seconds
        self._accept = conn.register_script(_ACCEPT)

    def accept(self, items: Sequence[tuple[str, str, str]]) -> Accepted:
        """Store (source, external_id, json) items unless seen before; returns counts."""
        if not items:
            return Accepted(0, 0)
        keys = [self.seen_key.format(source=s, external_id=e) for s, e, _ in items]
        added = int(self._accept(keys=keys, args=[self.seen_ttl, self.pending_key,
                                                  *[doc for _, _, doc in items]]))
        return Accepted(new=added, duplicates=len(items) - added)

    def peek(self, n: int) -> list[str]:
        """The oldest n buffered documents, left in place until `commit` so a crash loses none."""
        return [d.decode() if isinstance(d, bytes) else d
                for d in self.conn.lrange(self.pending_key, 0, n - 1)]

    def commit(self, n: int) -> None:
        """Drop the n oldest after they are safely in the database."""
        self.conn.ltrim(self.pending_key, n, -1)

    def depth(self) -> int:
        return int(self.conn.llen(self.pending_key))

    def quarantine(self, doc: str, error: str) -> None:
        """Keep a message that could not be stored, with the reason, for `triage jobs` to replay."""
        self.conn.rpush(self.quarantine_key, json.dumps({"message": doc, "error": error}))

    def replay_quarantine(self) -> int:
        """Move every quarantined message back into the buffer (after a fix); returns the count."""
        moved = 0
        while (item := self.conn.lpop(self.quarantine_key)) is not None:
            self.conn.rpush(self.pending_key, json.loads(item)["message"])
            moved += 1
        return moved

    def quarantined(self) -> list[dict]:
        return [json.loads(d) for d in self.conn.lrange(self.quarantine_key, 0, -1)]

    def quarantine_delivery(self, *, source: str, body: bytes, headers: dict[str, str],
                            error: str) -> None:
        """Keep a verified platform delivery we could not parse, to replay after a fix."""
        self.conn.rpush(self.delivery_quarantine_key, json.dumps({
            "source": source, "body": body.decode("utf-8", "replace"), "headers": headers,
            "error": error}))

    def quarantined_deliveries(self) -> list[dict]:
        return [json.loads(d) for d in self.conn.lrange(self.delivery_quarantine_key, 0, -1)]

    def pop_quarantined_delivery(self) -> dict | None:
        item = self.conn.lpop(self.delivery_quarantine_key)
        return json.loads(item) if item is not None else None

    def lock(self, timeout: int = DRAIN_LOCK_SECONDS):
        """One drainer at a time keeps peek/commit consistent; the lock expires if a worker dies."""
        return self.conn.lock(self.drain_lock_key, timeout=timeout, blocking_timeout=0)

    def should_schedule_drain(self, expire_seconds: float = 10) -> bool:
        """True unless a drain job is already queued and not yet started (it will read ours too).

        The flag expires so a lost job (enqueue failed after the flag was set) costs seconds, not messages.
        """
        return bool(self.conn.set(self.drain_flag_key, "1", nx=True, px=int(expire_seconds * 1000)))
