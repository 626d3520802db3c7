"""/metrics for Prometheus: counters from every process plus queue and backlog read live."""

from __future__ import annotations

from fastapi import APIRouter, Response
from rq.registry import FailedJobRegistry

from triage.api.deps import ServicesDep, UserDep
from triage.api.routes.health import ingest_health
from triage.bootstrap import Services
from triage.inbox.store import backlog_by_urgency
from triage.intake.source_status import counts_by_status
from triage.platform import metrics
from triage.platform.queue import STAGES, queue
from triage.replies import store as replies_repo

router = APIRouter(tags=["metrics"])


def live_numbers(services: Services) -> dict[str, dict[str, float]]:
    depth: dict[str, float] = {"buffer": services.buffer.depth()}
    failed: dict[str, float] = {}
    for name in STAGES:
        q = queue(services.redis, name)
        depth[name] = q.count
        failed[name] = FailedJobRegistry(queue=q).count
    with services.db() as session:
        backlog = backlog_by_urgency(session=session, now=services.clock.now())
        outbox = replies_repo.depth_by_status(session=session)
    quarantine = {"ingest": float(services.redis.llen(services.buffer.quarantine_key))}
    return {"queue_depth": depth, "failed_jobs": failed,
            "backlog": {k or "unscored": v for k, v in backlog.items()}, "quarantine": quarantine,
            "outbox": outbox, "ingest_health": ingest_health(services)}


@router.get("/metrics")
def prometheus(services: ServicesDep, _user: UserDep) -> Response:
    body, content_type = metrics.render(metrics.LiveCollector(
        lambda: {**live_numbers(services), "sources": counts_by_status(services=services)}))
    return Response(content=body, media_type=content_type)
