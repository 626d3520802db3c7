"""Authors and people: look identities up (everyone), link and unlink them (leads and admins).

Links change relationship history, so they are lead decisions and audited; agents see who is who.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from triage.api.deps import LeadDep, ServicesDep, SessionDep, UserDep, csrf_token
from triage.api.routes.pages import templates
from triage.core.errors import Conflict, DomainError, Invalid, NotFound
from triage.people import authors as service
from triage.people import service as people
from triage.scoring import rescoring

router = APIRouter(tags=["authors"])
PER_PAGE = 50


class LinkBody(BaseModel):
    """The person this author is: an existing contact, or whoever another author is."""

    model_config = ConfigDict(extra="forbid")
    contact_id: int | None = Field(default=None, ge=1)
    other_author_id: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> LinkBody:
        if (self.contact_id is None) == (self.other_author_id is None):
            raise ValueError("give exactly one of contact_id or other_author_id")
        return self


def _after(services, session, result: service.LinkResult) -> dict[str, Any]:
    """Commit, then queue re-ranking the open items whose person changed (so did their history)."""
    session.commit()
    queued = rescoring.start_people(services=services, author_ids=result.affected_authors)
    out = {**result.as_dict(), "rescore": queued}
    if result.person_id is not None:
        out["person"] = people.person_view(session=session, contact_id=result.person_id, messages=10)
    return out


@router.get("/api/authors")
def list_authors(session: SessionDep, _user: UserDep, q: str | None = None,
                 source: str | None = None, page: int = Query(1, ge=1),
                 per_page: int = Query(PER_PAGE, ge=1, le=500)) -> dict[str, Any]:
    """Identities matching a handle, name or id fragment, newest first."""
    rows, total = people.search_authors(session=session, query=q, source=source, page=page,
                                        per_page=per_page)
    return {"items": [people.author_public(a) for a in rows], "total": total, "page": page}


@router.get("/api/authors/{author_id}")
def get_author(author_id: int, session: SessionDep, _user: UserDep) -> dict[str, Any]:
    """One identity and the person it belongs to, if any."""
    author = people.get_author(session=session, author_id=author_id)
    person = (people.person_view(session=session, contact_id=author.contact_id, messages=10)
              if author.contact_id else None)
    return {"author": people.author_public(author), "person": person}


@router.post("/api/authors/{author_id}/link")
def link_author(author_id: int, body: LinkBody, services: ServicesDep, session: SessionDep,
                user: LeadDep) -> dict[str, Any]:
    """Same person as a contact or another author; 404 unknown ids, 409 self or conflicting CRM ids."""
    result = service.link(session=session, author_id=author_id, actor=user.username,
                          now=services.clock.now(), contact_id=body.contact_id,
                          other_author_id=body.other_author_id)
    return _after(services, session, result)


@router.post("/api/authors/{author_id}/unlink")
def unlink_author(author_id: int, services: ServicesDep, session: SessionDep,
                  user: LeadDep) -> dict[str, Any]:
    """Undo the link that joined this author to its person (or split it off); 409 if unlinked."""
    result = service.unlink(session=session, author_id=author_id, actor=user.username,
                            now=services.clock.now())
    return _after(services, session, result)


@router.get("/api/people/{contact_id}")
def get_person(contact_id: int, session: SessionDep, _user: UserDep) -> dict[str, Any]:
    """A person: facts, identities, recent messages across channels, link history."""
    return people.person_view(session=session, contact_id=contact_id)


# --- pages ---------------------------------------------------------------------------------------

@router.get("/authors", response_class=HTMLResponse, include_in_schema=False)
def authors_page(request: Request, session: SessionDep, user: UserDep, q: str = "",
                 source: str = "", page: int = 1, error: str | None = None) -> Response:
    """Find identities by handle, name or id; leads link them from here."""
    rows, total = people.search_authors(session=session, query=q or None, source=source or None,
                                        page=max(page, 1), per_page=PER_PAGE)
    ctx = {"user": user, "csrf": csrf_token(request), "authors": rows, "total": total, "q": q,
           "source": source, "page": max(page, 1), "pages": max(1, -(-total // PER_PAGE)),
           "error": error}
    return templates.TemplateResponse(request, "authors.html", ctx)


@router.get("/people/{contact_id}", response_class=HTMLResponse, include_in_schema=False)
def person_page(contact_id: int, request: Request, session: SessionDep, user: UserDep,
                error: str | None = None) -> Response:
    """Who this is: identities on every channel, recent messages, and how they were linked."""
    person = people.person_view(session=session, contact_id=contact_id)
    ctx = {"user": user, "csrf": csrf_token(request), "person": person, "error": error}
    return templates.TemplateResponse(request, "person.html", ctx)


ERROR_STATUS = {NotFound: 404, Conflict: 409, Invalid: 422}


def _failed(request: Request, session, user, exc: DomainError, q: str = "") -> Response:
    """Re-show the authors page with the reason, under the status the API would answer."""
    session.rollback()
    page = authors_page(request, session, user, q=q, error=str(exc))
    page.status_code = next((c for k, c in ERROR_STATUS.items() if isinstance(exc, k)), 400)
    return page


@router.post("/authors/{author_id}/link", include_in_schema=False)
async def link_form(author_id: int, request: Request, services: ServicesDep, session: SessionDep,
                    user: LeadDep) -> Response:
    """The pages' link form: `other` is an author id or source:external_id, or `contact_id`."""
    form = await request.form()
    try:
        contact_id, other_id = _form_target(session, form)
        result = service.link(session=session, author_id=author_id, actor=user.username,
                              now=services.clock.now(), contact_id=contact_id,
                              other_author_id=other_id)
        _after(services, session, result)
    except DomainError as exc:
        return _failed(request, session, user, exc, q=str(form.get("q") or ""))
    return RedirectResponse(f"/people/{result.person_id}", status_code=303)


@router.post("/authors/{author_id}/unlink", include_in_schema=False)
async def unlink_form(author_id: int, request: Request, services: ServicesDep,
                      session: SessionDep, user: LeadDep) -> Response:
    """The person page's unlink button; lands on the person the author came from."""
    try:
        before = people.get_author(session=session, author_id=author_id).contact_id
        result = service.unlink(session=session, author_id=author_id, actor=user.username,
                                now=services.clock.now())
        _after(services, session, result)
    except DomainError as exc:
        return _failed(request, session, user, exc)
    for person_id in (before, result.person_id):
        if person_id is not None and people.person_exists(session=session, contact_id=person_id):
            return RedirectResponse(f"/people/{person_id}", status_code=303)
    return RedirectResponse("/authors", status_code=303)


def _form_target(session, form) -> tuple[int | None, int | None]:
    """(contact id, other author id) from the form; names what is wrong otherwise."""
    contact, other = str(form.get("contact_id") or "").strip(), str(form.get("other") or "").strip()
    if contact:
        if not contact.isdigit():
            raise Invalid(f"person id must be a number, got {contact!r}")
        return int(contact), None
    if not other:
        raise Invalid("name the other author (id or source:external_id) or a person id")
    if other.isdigit():
        return None, int(other)
    return None, people.author_by_ref(session=session, ref=other).id
