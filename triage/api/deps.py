"""Dependencies every route shares: services, a database session, the signed-in user, CSRF."""

from __future__ import annotations

import hmac
import math
import secrets
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from triage.accounts import service as accounts
from triage.accounts.sessions import LoginLimiter, SessionStore
from triage.bootstrap import Services

ROLE_RANK = {"agent": 1, "lead": 2, "admin": 3}
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
QUERY_TIME_LIMIT_S = 15.0  # a request's statement running past this is cancelled: a 503, not a stuck worker
PROGRESS_STEPS = 1_000  # SQLite VM steps between deadline checks: well under a millisecond
MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL; a bigger one can only be a 404 or worse
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="a row id")]


class LoginRequired(Exception):
    """Raised for pages, so the handler can redirect to /login instead of answering 401."""


def get_services(request: Request) -> Services:
    return request.app.state.services


@event.listens_for(Session, "after_begin")
def _limit_statements(session: Session, _transaction, connection) -> None:
    """Time-limit each statement of a request session (per statement: a slow plan is no query)."""
    if not session.info.get("time_limited"):
        return
    limit = QUERY_TIME_LIMIT_S
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(limit * 1000))}")
    elif connection.dialect.name == "sqlite":
        info = connection.connection.info
        info["progress_handler"] = True
        connection.connection.dbapi_connection.set_progress_handler(
            lambda: int(time.monotonic() - info.get("statement_started", math.inf) > limit),
            PROGRESS_STEPS)


@event.listens_for(Engine, "before_cursor_execute")
@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _statement_started(conn, *_args) -> None:
    if "progress_handler" in conn.info:  # a commit after a long computation gets its own time too
        conn.info["statement_started"] = time.monotonic()


@event.listens_for(Pool, "checkin")
def _clear_limit(dbapi_connection, record) -> None:
    if record is not None and record.info.pop("progress_handler", False):
        record.info.pop("statement_started", None)
        dbapi_connection.set_progress_handler(None, 0)


def _timed_out(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "interrupted" in text or "statement timeout" in text


def get_session(services: Annotated[Services, Depends(get_services)]) -> Iterator[Session]:
    """One session per request, its statements time-limited; routes that write commit first."""
    with services.db() as session:
        session.info["time_limited"] = True
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if _timed_out(exc):
                raise HTTPException(status_code=503, detail="the query took too long; narrow "
                                    "the filters or try again", headers={"Retry-After": "5"}) from exc
            raise
        except (OverflowError, DataError) as exc:  # a huge id or number: SQLite cannot bind it,
            session.rollback()                      # PostgreSQL says "integer out of range"
            raise HTTPException(status_code=422,
                                detail="a number in the request is out of range") from exc
        except BaseException:
            session.rollback()
            raise


def session_store(services: Services) -> SessionStore:
    """Sign-in sessions in Redis, as long-lived as the cookie."""
    return SessionStore(services.redis, max_age_s=services.settings.session_max_age)


def login_limiter(request: Request) -> LoginLimiter:
    """One limiter per app (it keeps its Redis scripts loaded)."""
    limiter = getattr(request.app.state, "login_limiter", None)
    if limiter is None:
        limiter = request.app.state.login_limiter = LoginLimiter(request.app.state.services.redis)
    return limiter


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
                       session: Annotated[Session, Depends(get_session)]) -> accounts.User:
    """The caller: a bearer token (machine clients) or the session cookie (people, CSRF-checked)."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = accounts.user_for_token(db=services.db, conn=services.redis, session=session,
                                       token=auth[7:].strip(), now=services.clock.now())
        if user is None:
            raise HTTPException(status_code=401, detail="invalid or revoked API token",
                                headers={"WWW-Authenticate": "Bearer"})
        return user
    # The cookie names a server-side session: sign-out or deactivation ends it here, so a copied
    # cookie stops working at once.
    user_id = request.session.get("user_id")
    live = session_store(services).user_id(request.session.get("sid"))
    user = session.get(accounts.User, user_id) if user_id and live == user_id else None
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

    def check(user: Annotated[accounts.User, Depends(current_user)]) -> accounts.User:
        if ROLE_RANK.get(user.role, 0) < ROLE_RANK[role]:
            raise HTTPException(status_code=403, detail=f"needs the {role} role")
        return user

    return check


ServicesDep = Annotated[Services, Depends(get_services)]
SessionDep = Annotated[Session, Depends(get_session)]
UserDep = Annotated[accounts.User, Depends(current_user)]
LeadDep = Annotated[accounts.User, Depends(require("lead"))]
AdminDep = Annotated[accounts.User, Depends(require("admin"))]
