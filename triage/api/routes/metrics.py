"""/metrics for Prometheus: this process's counters, plus the team-wide gauges where configured."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from triage import gauges
from triage.api.deps import ServicesDep, SessionDep, current_user
from triage.platform import metrics

router = APIRouter(tags=["metrics"])


async def scraper(request: Request, services: ServicesDep, session: SessionDep) -> None:
    """Prometheus's own bearer token (TRIAGE_METRICS_TOKEN) or any signed-in user or API token."""
    token = services.settings.metrics_token
    sent = request.headers.get("authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(
            sent.removeprefix("Bearer ").encode(), token.get_secret_value().encode()):
        return
    await current_user(request, services, session)


@router.get("/metrics")
def prometheus(services: ServicesDep, _auth: Annotated[None, Depends(scraper)]) -> Response:
    """This process's metrics in Prometheus text format, plus the live gauges when configured."""
    live = gauges.collector(services) if services.settings.live_metrics else None
    body, content_type = metrics.render(live)
    return Response(content=body, media_type=content_type)
