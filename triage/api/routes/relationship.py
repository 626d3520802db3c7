"""Relationship policy over JSON and as a page (leads), and re-ranking open items under it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from triage.api.deps import LeadDep, ServicesDep, SessionDep, csrf_token
from triage.api.routes.pages import templates
from triage.core.errors import Invalid
from triage.core.scoring import INTENTS
from triage.scoring import relationship as service
from triage.scoring import rescoring
from triage.scoring.domain.relationship import DEFAULT_SIGNALS, GROUPS

router = APIRouter(tags=["relationship"])


class PolicyUpdate(BaseModel):
    """A new policy version; sections left out keep their defaults."""

    model_config = ConfigDict(extra="forbid")
    group_weights: dict[str, float] = Field(default_factory=dict)
    tier_bonus: dict[str, float] = Field(default_factory=dict)
    intent_bonus: dict[str, float] = Field(default_factory=dict)
    signals: dict[str, float] = Field(default_factory=dict)
    cap: float = 1.0
    note: str | None = Field(default=None, max_length=500)


def _public(session) -> dict[str, Any]:
    return service.policy_public(session=session)


def _save(services, session, user, doc: dict[str, Any], note: str | None) -> int:
    version, policy = service.save_policy(session=session, doc=doc, actor=user.username, note=note,
                                          now=services.clock.now())
    session.commit()
    service.PolicyCache.publish(services.redis, version, policy)  # workers reload on next batch
    return version


@router.get("/api/policy")
def get_policy(session: SessionDep, _user: LeadDep) -> dict[str, Any]:
    """The active relationship policy and its version history."""
    return _public(session)


@router.put("/api/policy")
def put_policy(body: PolicyUpdate, services: ServicesDep, session: SessionDep,
               user: LeadDep) -> dict[str, Any]:
    """Validate and activate a new policy version; it applies to new scores (rescore for open ones)."""
    _save(services, session, user, body.model_dump(exclude={"note"}), body.note)
    return _public(session)


STATUS_URL = "/api/policy/rescore/status"


@router.post("/api/policy/rescore", status_code=202)
def rescore(services: ServicesDep, user: LeadDep) -> dict[str, Any]:
    """Queue the re-ranking of open items under the active policy: 202, items and jobs queued."""
    run = rescoring.start_open(services=services, by=user.username)
    return {**run.as_dict(), "status_url": STATUS_URL}


@router.get(STATUS_URL)
def rescore_status(services: ServicesDep, _user: LeadDep) -> dict[str, Any]:
    """The latest re-rank: items, and its jobs queued, started, finished or failed (from RQ)."""
    return rescoring.progress(services=services).as_dict()


@router.get("/policy", response_class=HTMLResponse, include_in_schema=False)
def policy_page(request: Request, services: ServicesDep, session: SessionDep, user: LeadDep,
                error: str | None = None, saved: int | None = None) -> Response:
    ctx = {"user": user, "csrf": csrf_token(request), "error": error, "saved": saved,
           "rescore": rescoring.progress(services=services), "groups": GROUPS, "intents": INTENTS,
           "signals": tuple(DEFAULT_SIGNALS), **_public(session)}
    return templates.TemplateResponse(request, "policy.html", ctx,
                                      status_code=422 if error else 200)


@router.post("/policy", include_in_schema=False)
async def policy_form(request: Request, services: ServicesDep, session: SessionDep,
                      user: LeadDep) -> Response:
    """The page's form: fields named section.key; CSRF is checked by the user dependency."""
    form = await request.form()
    doc: dict[str, Any] = {"group_weights": {}, "tier_bonus": {}, "intent_bonus": {}, "signals": {}}
    try:
        for name, raw in form.items():
            section, _, key = name.partition(".")
            if section in doc and key and str(raw).strip():
                doc[section][key] = _number(name, raw)
        if str(form.get("new_tier", "")).strip():
            doc["tier_bonus"][str(form["new_tier"])] = _number("new tier", form.get("new_tier_bonus"))
        doc["cap"] = _number("cap", form.get("cap", "1"))
        version = _save(services, session, user, doc, str(form.get("note") or "") or None)
    except Invalid as exc:
        session.rollback()
        return policy_page(request, services, session, user, error=str(exc))
    if form.get("rescore"):  # queued: the page shows its progress
        rescoring.start_open(services=services, by=user.username)
    return RedirectResponse(f"/policy?saved={version}", status_code=303)


def _number(name: str, raw: Any) -> float:
    try:
        return float(str(raw))
    except ValueError:
        raise Invalid(f"{name} must be a number, got {raw!r}") from None
