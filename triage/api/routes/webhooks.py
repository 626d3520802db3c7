"""Signed webhooks: verify, parse, buffer durably in Redis, then 202."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from triage.api.deps import ServicesDep
from triage.bootstrap import UnknownSource
from triage.intake import ingest
from triage.intake.connectors.base import PayloadError, SignatureError
from triage.platform import metrics

router = APIRouter(tags=["webhooks"])


async def _read_body(request: Request, limit: int, source: str) -> bytes:
    """The body, refused with 413 as soon as it passes the limit (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        metrics.REJECTED.labels(source=source, reason="too_large").inc()
        raise HTTPException(status_code=413, detail=f"body over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            metrics.REJECTED.labels(source=source, reason="too_large").inc()
            raise HTTPException(status_code=413, detail=f"body over {limit} bytes")
    return bytes(body)


@router.get("/webhooks/{source}")
async def webhook_handshake(source: str, request: Request, services: ServicesDep) -> Response:
    """Platforms verify a webhook URL with a GET challenge before they send anything."""
    try:
        reply = ingest.handshake(services=services, source=source, method="GET",
                                 query=dict(request.query_params), headers=request.headers, body=b"")
    except UnknownSource:
        raise HTTPException(status_code=404, detail=f"no source {source!r} is configured") from None
    except SignatureError as exc:
        raise HTTPException(status_code=401, detail=str(exc)) from None
    except PayloadError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    if reply is None:
        raise HTTPException(status_code=405, detail="this source takes POST deliveries only")
    return Response(content=reply.body, status_code=reply.status, media_type=reply.content_type)


@router.post("/webhooks/{source}", status_code=202)
async def webhook_receive(source: str, request: Request, services: ServicesDep) -> Response:
    """202 only once every message is in Redis; 401 signature, 413 size, 422 payload: none stored."""
    body = await _read_body(request, services.settings.webhook_max_body, source)
    try:
        reply = ingest.handshake(services=services, source=source, method="POST",
                                 query=dict(request.query_params), headers=request.headers, body=body)
        if reply is not None:
            return Response(content=reply.body, status_code=reply.status,
                            media_type=reply.content_type)
        outcome = await run_in_threadpool(ingest.receive_webhook, services=services, source=source,
                                          headers=request.headers, body=body)
    except UnknownSource:
        raise HTTPException(status_code=404, detail=f"no source {source!r} is configured") from None
    except SignatureError as exc:
        raise HTTPException(status_code=401, detail=str(exc)) from None
    except PayloadError as exc:
        raise HTTPException(status_code=422, detail={"field": exc.field, "reason": str(exc)}) from None
    except RedisError:  # nothing was accepted: the platform's retry will find Redis back
        metrics.REJECTED.labels(source=source, reason="buffer_down").inc()
        raise HTTPException(status_code=503, detail="the buffer is unavailable; retry later",
                            headers={"Retry-After": "5"}) from None
    skipped = [{"entry": s.entry_id, "reason": s.reason} for s in outcome.skipped]
    return JSONResponse(status_code=202, content={
        "accepted": outcome.accepted.new, "duplicates": outcome.accepted.duplicates,
        "ignored": outcome.ignored, **({"quarantined": True} if outcome.quarantined else {}),
        **({"skipped": skipped} if skipped else {})})
