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


# Atomically: remember (source, external id) and append the message, or do neither.
# A re-delivery therefore never enters the buffer twice, and an accepted one is never lost.
_ACCEPT = """
local added = 0
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, '1', 'NX', 'EX', ARGV[1]) then
    redis.call('XADD', ARGV[2], '*', 'doc', ARGV[i + 2])
    added = added + 1
  end
end
return added
"""
# Move up to ARGV[1] documents from the old list buffer into the stream, in one atomic step.
_MIGRATE = """
local moved = 0
for i = 1, tonumber(ARGV[1]) do
  local doc = redis.call('LPOP', KEYS[1])
  if not doc then break end
  redis.call('XADD', KEYS[2], '*', 'doc', doc)
  moved = moved + 1
end
return moved
"""
GROUP = "drainers"
CLAIM_IDLE_SECONDS = 60  # an entry read this long ago and not acknowledged belongs to a dead drainer


@dataclass(frozen=True, slots=True)
class Accepted:
    new: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class Entry:
    """One buffered document and the stream id that acknowledges it."""

    id: str
    doc: str


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class IngestBuffer:
    """Webhooks append to a Redis stream; drainers read it through one consumer group.

    An entry leaves the stream only when `ack` is called after the database commit. A drainer that
    dies or stalls leaves its entries pending, and the next drainer claims them once they have been
    idle `claim_idle` seconds: nothing accepted can be lost, and the database's unique key makes a
    second delivery of the same entry harmless.
    """

    stream_key = "triage:ingest:stream"
    pending_key = "triage:ingest:pending"  # the old list buffer: drained into the stream on read
    seen_key = "triage:seen:{source}:{external_id}"
    drain_flag_key = "triage:ingest:drain-scheduled"
    quarantine_key = "triage:ingest:quarantine"
    delivery_quarantine_key = "triage:webhook:quarantine"
    stored_quarantine_key = "triage:pipeline:quarantine"  # message id -> stage and reason

    def __init__(self, conn: redis.Redis, *, seen_ttl_seconds: int = 3 * 86400,
                 claim_idle: float = CLAIM_IDLE_SECONDS):
        self.conn = conn
        self.seen_ttl = seen_ttl_seconds
        self.claim_idle_ms = int(claim_idle * 1000)
        self._accept = conn.register_script(_ACCEPT)
        self._migrate = conn.register_script(_MIGRATE)
        self._group_ready = False

    def accept(self, items: Sequence[tuple[str, str, str]]) -> Accepted:
        """Store (source, external_id, json) items unless seen before; returns counts."""
        if not items:
            return Accepted(0, 0)
        keys = [self.seen_key.format(source=s, external_id=e) for s, e, _ in items]
        added = int(self._accept(keys=keys, args=[self.seen_ttl, self.stream_key,
                                                  *[doc for _, _, doc in items]]))
        return Accepted(new=added, duplicates=len(items) - added)

    def _ensure_group(self) -> None:
        try:  # from id 0: entries added before the group existed are read too
            self.conn.xgroup_create(self.stream_key, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read(self, consumer: str, n: int) -> list[Entry]:
        """Up to n entries for `consumer`: a dead drainer's idle ones first, then new ones."""
        if not self._group_ready:
            self._ensure_group()
            self._group_ready = True
        try:
            return self._read(consumer, n)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._ensure_group()  # Redis was flushed or replaced since: make the group again
            return self._read(consumer, n)

    def _read(self, consumer: str, n: int) -> list[Entry]:
        if self.conn.exists(self.pending_key):
            self._migrate(keys=[self.pending_key, self.stream_key], args=[10_000])
        claimed = self.conn.xautoclaim(self.stream_key, GROUP, consumer, self.claim_idle_ms,
                                       start_id="0-0", count=n)[1]
        entries = [e for e in claimed if e[1]]  # a claimed id whose entry was deleted has no fields
        if len(entries) < n:
            for _, batch in self.conn.xreadgroup(GROUP, consumer, {self.stream_key: ">"},
                                                 count=n - len(entries)) or []:
                entries.extend(batch)
        return [Entry(_text(i), _text(f.get(b"doc", f.get("doc", b"")))) for i, f in entries]

    def ack(self, ids: Sequence[str]) -> None:
        """Forget entries that are safely in the database (or in quarantine)."""
        if ids:
            with self.conn.pipeline(transaction=True) as pipe:
                pipe.xack(self.stream_key, GROUP, *ids)
                pipe.xdel(self.stream_key, *ids)
                pipe.execute()

    def release(self, consumer: str) -> None:
        """Forget a finished drainer's name, unless it still holds entries (they must stay claimable)."""
        # Deleting a consumer drops its pending list, so only names holding nothing go: ours, and
        # those of drainers that died long ago whose entries were claimed since.
        for info in self.conn.xinfo_consumers(self.stream_key, GROUP):
            name = _text(info["name"])
            if info["pending"] == 0 and (name == consumer or info["idle"] > self.claim_idle_ms):
                self.conn.xgroup_delconsumer(self.stream_key, GROUP, name)

    def depth(self) -> int:
        """Accepted messages not yet in the database (read or not)."""
        return int(self.conn.xlen(self.stream_key)) + int(self.conn.llen(self.pending_key))

    def oldest_age(self) -> float:
        """Seconds the oldest buffered message has waited (0 when empty), by Redis's own clock."""
        first = self.conn.xrange(self.stream_key, count=1)
        if not first:
            return 0.0  # old-list leftovers carry no date: `depth` counts them until the next drain
        seconds, micros = self.conn.time()
        return max(0.0, seconds + micros / 1e6 - int(_text(first[0][0]).split("-")[0]) / 1000)

    def quarantine(self, doc: str, error: str) -> None:
        """Keep a message that could not be stored, with the reason, for `triage jobs` to replay."""
        self.conn.rpush(self.quarantine_key, json.dumps({"message": doc, "error": error}))

    def replay_quarantine(self) -> int:
        """Move every quarantined message back into the buffer (after a fix); returns the count."""
        moved = 0
        while (item := self.conn.lpop(self.quarantine_key)) is not None:
            self.conn.xadd(self.stream_key, {"doc": json.loads(item)["message"]})
            moved += 1
        return moved

    def quarantine_stored(self, *, message_id: int, stage: str, error: str) -> None:
        """Set aside a stored message a stage cannot process; the tick then leaves it alone."""
        self.conn.hset(self.stored_quarantine_key, str(message_id),
                       json.dumps({"stage": stage, "error": error}))

    def quarantined_stored(self) -> dict[int, dict]:
        """Stored messages set aside by id, with the stage and the reason."""
        return {int(k): json.loads(v) for k, v in self.conn.hgetall(self.stored_quarantine_key).items()}

    def take_quarantined_stored(self) -> list[int]:
        """Empty the set-aside list and return its ids, to score again after a fix."""
        with self.conn.pipeline(transaction=True) as pipe:
            pipe.hkeys(self.stored_quarantine_key)
            pipe.delete(self.stored_quarantine_key)
            ids, _ = pipe.execute()
        return sorted(int(i) for i in ids)

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

    def should_schedule_drain(self, expire_seconds: float = 10) -> bool:
        """True unless a drain job is already queued and not yet started (it will read ours too).

        The flag expires so a lost job (enqueue failed after the flag was set) costs seconds, not messages.
        """
        return bool(self.conn.set(self.drain_flag_key, "1", nx=True, px=int(expire_seconds * 1000)))


class PromptStop:
    """A mix-in for RQ workers: listen for commands with a 1 s read instead of RQ's 60 s.

    Stopping a worker joins its command-listener thread, which sits in that blocking read: with
    60 s every shutdown (and every burst run in the tests) could stall for up to a minute.
    """

    COMMAND_POLL_SECONDS = 1

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=self.COMMAND_POLL_SECONDS, daemon=True,
            exception_handler=self._pubsub_exception_handler)
