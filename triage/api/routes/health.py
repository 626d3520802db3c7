"""Liveness and readiness for load balancers, compose healthchecks and monitors (no auth)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from triage.api.deps import ServicesDep
from triage.bootstrap import without_retries
from triage.periodic import ingest_health
from triage.platform.queue import IngestBuffer

router = APIRouter(tags=["health"])


@router.get("/health")
def health(services: ServicesDep) -> JSONResponse:
    """503 when the database or Redis is down, ingestion is stalled or the tick stopped beating."""
    checks = {}
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:  # report, don't raise: the body says which part is down
        checks["database"] = f"down: {type(exc).__name__}"
    fast = without_retries(services.redis)
    try:
        fast.ping()
        checks["redis"] = "ok"
        numbers = ingest_health(services, fast)
        checks["ingestion"] = ("ok" if not numbers["stalled"] else
                               f"stalled: oldest buffered message waited "
                               f"{numbers['oldest_buffered_seconds']:.0f} s")
        since = numbers["tick_heartbeat_age_seconds"]
        if since > services.settings.tick_stale_seconds:
            checks["tick"] = f"down: no heartbeat for {since:.0f} s"
        notes = {"tick_heartbeat": "none yet" if since < 0 else f"{since:.0f} s ago",
                 "buffered": IngestBuffer(fast).depth()}
    except RedisError as exc:  # connection, timeout and server errors alike
        checks["redis"] = f"down: {type(exc).__name__}"
        notes = {}
    finally:
        fast.close()
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(status_code=200 if ok else 503,
                        content={"status": "ok" if ok else "degraded", **checks, **notes})


@router.get("/livez")
def livez() -> JSONResponse:
    """Liveness: the process answers. Restart it only when this fails, never for a slow database."""
    return JSONResponse(content={"status": "ok"})


@router.get("/readyz")
def readyz(services: ServicesDep) -> JSONResponse:
    """Readiness: the database answers and has our schema, and Redis answers; 503 says which not."""
    checks = {}
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1 FROM alembic_version"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:  # unreachable, or reachable but not migrated yet
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        services.redis.ping()
        checks["redis"] = "ok"
    except RedisError as exc:
        checks["redis"] = f"down: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(status_code=200 if ok else 503,
                        content={"status": "ready" if ok else "not ready", **checks})
