"""Server-rendered pages: the shared templates, sign-in and sign-out (the inbox is inbox_pages)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from triage.accounts import service as accounts
from triage.api.browser_safety import safe_url
from triage.api.deps import (
    ServicesDep,
    SessionDep,
    UserDep,
    _check_csrf,
    csrf_token,
    login_limiter,
    session_store,
)
from triage.platform.audit import audit

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
templates.env.filters["safe_url"] = safe_url  # every href built from message or author data
router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", {"csrf": csrf_token(request),
                                                              "error": None})


@router.post("/login")
async def login(request: Request, services: ServicesDep, session: SessionDep,
                username: str = Form(..., max_length=256),
                password: str = Form(..., max_length=1024)) -> Response:
    """Sign in; failed attempts are audited and limited per account and per client address."""
    await _check_csrf(request)
    now = services.clock.now()
    address = request.client.host if request.client else "unknown"
    limiter = login_limiter(request)
    refusal = limiter.refusal(username=username, address=address)
    if refusal is not None:
        audit(session=session, actor=username[:64], action="login.throttled", entity="user",
              detail={"address": address, "reason": refusal.reason}, now=now)
        session.commit()
        return templates.TemplateResponse(request, "login.html", {
            "csrf": csrf_token(request), "error": refusal.reason}, status_code=429,
            headers={"Retry-After": str(refusal.retry_after_s)})
    user = accounts.authenticate(session=session, username=username, password=password)
    if user is None:
        limiter.failed(username=username, address=address)
        audit(session=session, actor=username[:64], action="login.failed", entity="user",
              detail={"address": address}, now=now)
        session.commit()
        return templates.TemplateResponse(request, "login.html", {
            "csrf": csrf_token(request), "error": "Wrong username or password."}, status_code=401)
    request.session.clear()  # a fresh session on sign-in: no fixation
    request.session["user_id"] = user.id
    request.session["sid"] = session_store(services).start(user.id)
    audit(session=session, actor=user.username, action="login", entity="user", entity_id=user.id,
          detail={"address": address}, now=now)
    session.commit()
    return RedirectResponse("/inbox", status_code=303)


@router.post("/logout")
async def logout(request: Request, services: ServicesDep, _user: UserDep) -> RedirectResponse:
    """Sign out: the server-side session ends, so a copy of the cookie is worthless too."""
    session_store(services).end(request.session.get("sid"))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
