"""Re-ranking open items in the background: one RQ job per chunk of ids, progress read from RQ.

A policy change, a CRM import or a link can touch every open item. The request only selects the
ids and queues them; each job re-ranks one chunk and refreshes those rows' priorities in one
transaction (`relationship.rescore_chunk`), so a retried or repeated job recomputes the same
numbers and a job that dies half-way has written nothing. No final job is needed: the rows a
chunk re-ranks are the rows it refreshes, and the tick keeps refreshing waiting time as before.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import redis
from rq.job import Job, JobStatus

from triage.bootstrap import Services
from triage.people import service as people
from triage.platform.queue import RESCORE, RESCORE_JOB, enqueue_many
from triage.scoring import relationship

# A run's record and its finished jobs stay readable this long, so the status can tell
# "finished" from "never ran"; failed jobs stay 30 days anyway (queue.FAILURE_TTL).
RUN_TTL_SECONDS = 86400

# RQ job states as the status reports them; a retry waiting its turn is still "queued".
_STATE = {JobStatus.FINISHED: "finished", JobStatus.STARTED: "started",
          JobStatus.FAILED: "failed", JobStatus.STOPPED: "failed", JobStatus.CANCELED: "failed"}


@dataclasses.dataclass(frozen=True, slots=True)
class Progress:
    """A re-rank run: how many items and jobs, and how many jobs are in each state."""

    items: int = 0
    jobs: int = 0
    queued: int = 0
    started: int = 0
    finished: int = 0
    failed: int = 0
    started_at: str | None = None
    by: str | None = None

    @property
    def done(self) -> bool:
        return self.finished + self.failed >= self.jobs

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "done": self.done}


class RescoreRuns:
    """The latest re-rank of all open items: its job ids under one key, their states from RQ."""

    key = "triage:rescore:latest"  # JSON: items, job ids, when and by whom

    def __init__(self, conn: redis.Redis):
        self.conn = conn

    def start(self, *, ids: Sequence[int], retries: int, by: str, now: datetime) -> Progress:
        """Queue one job per chunk and remember them as the latest run, both or neither.

        A new run replaces the record; jobs of an earlier one still run, which is harmless:
        every job applies the policy in force when it runs.
        """
        with self.conn.pipeline() as pipe:  # MULTI/EXEC: no worker sees a job before the record
            jobs = _enqueue(pipe, self.conn, ids, retries=retries)
            pipe.set(self.key, json.dumps({"items": len(ids), "jobs": [j.id for j in jobs],
                                           "started_at": now.isoformat(), "by": by}),
                     ex=RUN_TTL_SECONDS)
            pipe.execute()
        return Progress(items=len(ids), jobs=len(jobs), queued=len(jobs),
                        started_at=now.isoformat(), by=by)

    def progress(self) -> Progress:
        """The latest run's jobs by state; an empty Progress when none ran in the last day."""
        raw = self.conn.get(self.key)
        if raw is None:
            return Progress()
        run = json.loads(raw)
        states = Counter(
            # A job gone before its run's record was deleted by hand: its work is not known done.
            _STATE.get(job.get_status(refresh=False), "queued") if job is not None else "failed"
            for job in Job.fetch_many(run["jobs"], connection=self.conn))
        return Progress(items=run["items"], jobs=len(run["jobs"]), queued=states["queued"],
                        started=states["started"], finished=states["finished"],
                        failed=states["failed"], started_at=run["started_at"], by=run["by"])


def _enqueue(pipe: redis.client.Pipeline, conn: redis.Redis, ids: Sequence[int], *,
             retries: int) -> list[Job]:
    size = relationship.RESCORE_CHUNK
    return enqueue_many(pipe, conn, RESCORE, RESCORE_JOB,
                        [(list(ids[i:i + size]),) for i in range(0, len(ids), size)],
                        retries=retries, result_ttl=RUN_TTL_SECONDS)


def start_open(*, services: Services, by: str) -> Progress:
    """Queue the re-ranking of every open item under the active policy; returns what was queued."""
    with services.db() as session:
        ids = relationship.open_ids(session=session)
    return RescoreRuns(services.redis).start(ids=ids, retries=services.settings.job_retries,
                                             by=by, now=services.clock.now())


def start_people(*, services: Services, author_ids: Iterable[int]) -> dict[str, int]:
    """Queue the re-ranking of these identities' open items (after a link commits): items, jobs."""
    with services.db() as session:
        ids = people.open_message_ids(session=session, author_ids=sorted(set(author_ids)))
    with services.redis.pipeline() as pipe:
        jobs = _enqueue(pipe, services.redis, ids, retries=services.settings.job_retries)
        pipe.execute()
    return {"items": len(ids), "jobs": len(jobs)}


def progress(*, services: Services) -> Progress:
    """Where the latest re-rank of all open items stands."""
    return RescoreRuns(services.redis).progress()


def rescore(*, services: Services, ids: Sequence[int]) -> int:
    """One chunk, as the job runs it: re-rank `ids` and refresh their priorities now."""
    return relationship.rescore_chunk(db=services.db, conn=services.redis, ids=ids,
                                      now=services.clock.now())


def rescore_people(*, db, conn: redis.Redis, author_ids: Iterable[int], now: datetime) -> int:
    """Re-rank the open items of these identities with their person's history, here and now (CLI).

    The API queues the same chunks as jobs instead (`rescoring.start_people`).
    """
    with db() as session:
        ids = people.open_message_ids(session=session, author_ids=sorted(set(author_ids)))
    return relationship.rescore_ids(db=db, conn=conn, ids=ids, now=now)


