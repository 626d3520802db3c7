"""Channel sources: status, poll schedule and "poll now", over JSON and on the /sources page (leads)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from triage.api.deps import LeadDep, ServicesDep, csrf_token
from triage.api.routes.pages import templates
from triage.bootstrap import Services, UnknownSource
from triage.intake import polling
from triage.intake.source_status import list_statuses

router = APIRouter(tags=["sources"])


class SourcePublic(BaseModel):
    """A source's health and schedule; cursor, options and secrets are never part of it."""

    slug: str
    channel: str
    kind: Literal["poller", "webhook"]
    status: str
    last_error: str | None
    last_ok_at: datetime | None
    last_polled_at: datetime | None
    next_poll_at: datetime | None
    taken: int
    failures: int
    interval_seconds: float | None
    in_flight: bool
    note: str


class PollQueued(BaseModel):
    slug: str
    queued: bool


@router.get("/api/sources", response_model=list[SourcePublic])
def list_sources(services: ServicesDep, _user: LeadDep) -> list[dict]:
    """Every configured source: pollers with status, last error, last success and next poll."""
    return [s.public() for s in list_statuses(services=services)]


@router.post("/api/sources/{slug}/poll", status_code=202, response_model=PollQueued)
def poll_now(slug: str, services: ServicesDep, _user: LeadDep) -> PollQueued:
    """Queue a poll of one source now, ahead of its schedule (also after an expired login)."""
    if not _queue_poll(services, slug):
        raise HTTPException(status_code=409, detail=f"a poll of {slug!r} is already queued or running")
    return PollQueued(slug=slug, queued=True)


@router.get("/sources", response_class=HTMLResponse, include_in_schema=False)
def sources_page(request: Request, services: ServicesDep, user: LeadDep,
                 polled: str | None = None, busy: str | None = None) -> Response:
    return templates.TemplateResponse(request, "sources.html", {
        "user": user, "csrf": csrf_token(request), "sources": list_statuses(services=services),
        "polled": polled, "busy": busy, "now": services.clock.now()})


@router.post("/sources/{slug}/poll", include_in_schema=False)
def sources_poll(slug: str, services: ServicesDep, _user: LeadDep) -> Response:
    """The page's "Poll now" button (CSRF-checked by the user dependency)."""
    flag = "polled" if _queue_poll(services, slug) else "busy"
    return RedirectResponse(f"/sources?{flag}={slug}", status_code=303)


def _queue_poll(services: Services, slug: str) -> bool:
    try:
        return polling.request_poll(services=services, source=slug)
    except UnknownSource:
        raise HTTPException(status_code=404, detail=f"no source {slug!r} is configured") from None
    except polling.NotAPoller as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
