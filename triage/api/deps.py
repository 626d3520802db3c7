"""Dependencies every route shares: services, a database session, the signed-in user, CSRF."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from triage.accounts import store as users_repo
from triage.bootstrap import Services
from triage.platform import tables as t

ROLE_RANK = {"agent": 1, "lead": 2, "admin": 3}
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(Exception):
    """Raised for pages, so the handler can redirect to /login instead of answering 401."""


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_session(services: Annotated[Services, Depends(get_services)]) -> Iterator[Session]:
    """One session per request; routes that write commit before they answer (read-your-writes)."""
    with services.db() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use; forms and htmx send it back."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def _check_csrf(request: Request) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get("csrf_token")
    expected = request.session.get("csrf")
    if not expected or not sent or not hmac.compare_digest(str(sent), expected):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong; reload the page")


async def current_user(request: Request,
                       services: Annotated[Services, Depends(get_services)],
                       session: Annotated[Session, Depends(get_session)]) -> t.User:
    """The caller: a bearer token (machine clients) or the session cookie (people, CSRF-checked)."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = users_repo.user_for_token(session=session, token=auth[7:].strip(),
                                         now=services.clock.now())
        if user is None:
            raise HTTPException(status_code=401, detail="invalid or revoked API token",
                                headers={"WWW-Authenticate": "Bearer"})
        return user
    user_id = request.session.get("user_id")
    user = session.get(t.User, user_id) if user_id else None
    if user is None or not user.active:
        if request.url.path.startswith(("/api/", "/metrics")):
            raise HTTPException(status_code=401, detail="sign in or send a bearer token",
                                headers={"WWW-Authenticate": "Bearer"})
        raise LoginRequired()
    if request.method not in SAFE_METHODS:
        await _check_csrf(request)
    return user


def require(role: str):
    """A dependency that admits the role given and any above it (agent < lead < admin)."""

    def check(user: Annotated[t.User, Depends(current_user)]) -> t.User:
        if ROLE_RANK.get(user.role, 0) < ROLE_RANK[role]:
            raise HTTPException(status_code=403, detail=f"needs the {role} role")
        return user

    return check


ServicesDep = Annotated[Services, Depends(get_services)]
SessionDep = Annotated[Session, Depends(get_session)]
UserDep = Annotated[t.User, Depends(current_user)]
LeadDep = Annotated[t.User, Depends(require("lead"))]
AdminDep = Annotated[t.User, Depends(require("admin"))]
