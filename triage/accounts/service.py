"""Account administration: deactivate and reactivate users, list and revoke tokens, all audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy.orm import Session

from triage.accounts import store as repo
from triage.accounts.sessions import SessionStore, token_use_due
from triage.core.errors import Conflict, NotFound
from triage.platform import tables as t
from triage.platform.audit import audit


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    user_id: int
    username: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def _info(row: t.ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.user_id, row.user.username, row.name, row.created_at,
                     row.last_used_at, row.revoked)


User = t.User  # the account entity: the edges type against it without importing the tables
ROLES = repo.ROLES


def list_users(*, session: Session) -> list[t.User]:
    return repo.list_users(session=session)


def find_user(*, session: Session, username: str) -> t.User | None:
    """The account with this username, or None (for callers that create it when missing)."""
    return repo.get_by_username(session=session, username=username)


def authenticate(*, session: Session, username: str, password: str) -> t.User | None:
    """The active user with this password, else None; timing alike for unknown names."""
    return repo.authenticate(session=session, username=username, password=password)


def create_user(*, session: Session, username: str, password: str, role: str, now: datetime,
                actor: str | None = None) -> t.User:
    """A new sign-in account (Invalid or Conflict say why not), audited when an actor made it."""
    user = repo.create_user(session=session, username=username, password=password, role=role,
                            now=now)
    if actor:
        audit(session=session, actor=actor, action="user.create", entity="user", entity_id=user.id,
              detail={"username": user.username, "role": user.role}, now=now)
    return user


def issue_token(*, session: Session, user: t.User, name: str, now: datetime,
                actor: str | None = None) -> str:
    """A new bearer token for `user`, returned once (only its digest is kept), audited."""
    token = repo.issue_token(session=session, user=user, name=name, now=now)
    audit(session=session, actor=actor or user.username, action="token.create", entity="user",
          entity_id=user.id, detail={"name": name}, now=now)
    return token


def user_named(*, session: Session, username: str) -> t.User:
    """The account with this username; NotFound if there is none."""
    user = repo.get_by_username(session=session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def list_tokens(*, session: Session, user_id: int | None = None) -> list[TokenInfo]:
    """Every API token (never its secret), optionally one user's, oldest first."""
    return [_info(row) for row in repo.list_tokens(session=session, user_id=user_id)]


def set_active(*, session: Session, sessions: SessionStore, user_id: int, active: bool,
               actor: t.User | str, now: datetime) -> t.User:
    """Deactivate (every session ends now, tokens stop) or reactivate a user; audited."""
    user = repo.get_user(session=session, user_id=user_id)
    actor_name = actor if isinstance(actor, str) else actor.username
    if not active and not isinstance(actor, str) and actor.id == user.id:
        raise Conflict("you cannot deactivate yourself; ask another admin")
    changed = user.active != active
    user.active = active
    ended = sessions.end_all(user.id) if not active else 0
    audit(session=session, actor=actor_name, action="user.deactivate" if not active else "user.reactivate",
          entity="user", entity_id=user.id,
          detail={"username": user.username, "changed": changed, "sessions_ended": ended}, now=now)
    return user


def revoke_token(*, session: Session, token_id: int, actor: str, now: datetime) -> TokenInfo:
    """Revoke an API token at once; revoking a revoked one is harmless and still audited."""
    row = repo.get_token(session=session, token_id=token_id)
    row.revoked = True
    audit(session=session, actor=actor, action="token.revoke", entity="token", entity_id=row.id,
          detail={"user": row.user.username, "name": row.name}, now=now)
    return _info(row)


def user_for_token(*, db, conn: redis.Redis, session: Session, token: str,
                   now: datetime) -> t.User | None:
    """The user behind a bearer token; last use is written at most once a minute, apart.

    The write runs in its own short transaction, so a slow read that follows never holds the
    SQLite write lock (issue 12).
    """
    row = repo.token_for(session=session, token=token)
    if row is None:
        return None
    if token_use_due(conn, row.id):
        with db() as own:
            repo.touch_token(session=own, token_id=row.id, now=now)
            own.commit()
    return row.user
