"""Canned replies: the library over JSON, its lead page, and the filled-in list the reply box inserts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from triage.api.deps import ItemId, LeadDep, ServicesDep, SessionDep, UserDep, csrf_token
from triage.api.routes.pages import templates
from triage.core.errors import DomainError
from triage.replies import canned
from triage.replies.canned_domain import MAX_BODY, MAX_NAME, VARIABLES

router = APIRouter(tags=["canned replies"])


class CannedBody(BaseModel):
    name: str = Field(max_length=MAX_NAME * 2)
    body: str = Field(max_length=MAX_BODY * 2)


@router.get("/api/canned")
def list_canned(session: SessionDep, _user: UserDep) -> dict:
    """The team's canned replies, by name, with the variables a body may use."""
    return {"canned": canned.library(session=session), "variables": VARIABLES}


@router.post("/api/canned", status_code=201)
def create_canned(body: CannedBody, services: ServicesDep, session: SessionDep,
                  user: LeadDep) -> dict:
    """A new canned reply (leads and admins); 422 names unknown variables, 409 a taken name."""
    row = canned.create(session=session, user=user, name=body.name, body=body.body,
                        now=services.clock.now())
    session.commit()
    return canned.public(row)


@router.put("/api/canned/{canned_id}")
def update_canned(canned_id: ItemId, body: CannedBody, services: ServicesDep,
                  session: SessionDep, user: LeadDep) -> dict:
    row = canned.update(session=session, user=user, canned_id=canned_id, name=body.name,
                        body=body.body, now=services.clock.now())
    session.commit()
    return canned.public(row)


@router.delete("/api/canned/{canned_id}", status_code=204)
def delete_canned(canned_id: ItemId, services: ServicesDep, session: SessionDep,
                  user: LeadDep) -> Response:
    canned.remove(session=session, user=user, canned_id=canned_id, now=services.clock.now())
    session.commit()
    return Response(status_code=204)


@router.get("/api/messages/{message_id}/canned")
def canned_for(message_id: ItemId, request: Request, services: ServicesDep, session: SessionDep,
               user: UserDep) -> dict:
    """The library filled in for a reply to this message by the caller (plain text)."""
    return {"canned": canned.rendered(session=session, settings=services.settings,
                                      message_id=message_id, user=user,
                                      base_url=str(request.base_url))}


# --- the page: leads edit, agents read ---

def _page(request: Request, session, user, error: str | None = None,
          status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, "canned.html", {
        "user": user, "csrf": csrf_token(request), "canned": canned.library(session=session),
        "variables": VARIABLES, "error": error, "may_edit": user.role in ("lead", "admin")},
        status_code=status_code)


@router.get("/canned", response_class=HTMLResponse, include_in_schema=False)
def canned_page(request: Request, session: SessionDep, user: UserDep) -> Response:
    return _page(request, session, user)


async def _form(request: Request, services, session, user, canned_id: int | None,
                delete: bool = False) -> Response:
    """Create, edit or delete from the page; an error comes back on the page with a 4xx."""
    form = await request.form()
    now = services.clock.now()
    name, body = str(form.get("name") or ""), str(form.get("body") or "")
    try:
        if canned_id is None:
            canned.create(session=session, user=user, name=name, body=body, now=now)
        elif delete:
            canned.remove(session=session, user=user, canned_id=canned_id, now=now)
        else:
            canned.update(session=session, user=user, canned_id=canned_id, name=name, body=body,
                          now=now)
        session.commit()
    except DomainError as exc:
        session.rollback()
        code = {"Forbidden": 403, "NotFound": 404, "Conflict": 409}.get(type(exc).__name__, 422)
        return _page(request, session, user, str(exc), code)
    return RedirectResponse("/canned", status_code=303)


@router.post("/canned", response_class=HTMLResponse, include_in_schema=False)
async def canned_create(request: Request, services: ServicesDep, session: SessionDep,
                        user: LeadDep) -> Response:
    return await _form(request, services, session, user, None)


@router.post("/canned/{canned_id}", response_class=HTMLResponse, include_in_schema=False)
async def canned_edit(canned_id: ItemId, request: Request, services: ServicesDep,
                      session: SessionDep, user: LeadDep) -> Response:
    return await _form(request, services, session, user, canned_id)


@router.post("/canned/{canned_id}/delete", response_class=HTMLResponse, include_in_schema=False)
async def canned_delete(canned_id: ItemId, request: Request, services: ServicesDep,
                        session: SessionDep, user: LeadDep) -> Response:
    return await _form(request, services, session, user, canned_id, delete=True)
