"""Users, password hashes (Argon2) and API tokens (only their SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from triage.accounts.domain import password_problem
from triage.core.errors import Conflict, Invalid, NotFound
from triage.platform import tables as t

ROLES = ("agent", "lead", "admin")
_hasher = PasswordHasher()
# Verifying against a dummy hash when the user is unknown keeps response times alike.
_DUMMY = _hasher.hash("not-a-real-password")


def create_user(*, session: Session, username: str, password: str, role: str, now: datetime,
                staff_id: int | None = None) -> t.User:
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    if problem := password_problem(password, username=username):
        raise Invalid(problem)
    if session.scalar(select(t.User).where(t.User.username == username)):
        raise Conflict(f"user {username!r} exists already")
    user = t.User(username=username, password_hash=_hasher.hash(password), role=role,
                  staff_id=staff_id, created_at=now)
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, username: str, password: str) -> t.User | None:
    """The active user with this password, else None (timing alike for unknown names)."""
    user = session.scalar(select(t.User).where(t.User.username == username, t.User.active))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerifyMismatchError, VerificationError):
        return None
    if user and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, session: Session, user: t.User, name: str, now: datetime) -> str:
    """A new bearer token, shown once; the database keeps only its hash."""
    token = "trg_" + secrets.token_urlsafe(32)
    session.add(t.ApiToken(user_id=user.id, name=name, token_hash=_digest(token), created_at=now))
    session.flush()
    return token


def token_for(*, session: Session, token: str) -> t.ApiToken | None:
    """The live token row for a bearer token (not revoked, its user active); reads only."""
    row = session.scalar(select(t.ApiToken).where(t.ApiToken.token_hash == _digest(token),
                                                  t.ApiToken.revoked.is_(False)))
    if row is None or not row.user.active:
        return None
    return row


def touch_token(*, session: Session, token_id: int, now: datetime) -> None:
    """Record a token's use; callers throttle this and run it in its own short transaction."""
    session.execute(update(t.ApiToken).where(t.ApiToken.id == token_id).values(last_used_at=now))


def list_tokens(*, session: Session, user_id: int | None = None) -> list[t.ApiToken]:
    query = select(t.ApiToken).order_by(t.ApiToken.user_id, t.ApiToken.id)
    if user_id is not None:
        query = query.where(t.ApiToken.user_id == user_id)
    return list(session.scalars(query))


def get_token(*, session: Session, token_id: int) -> t.ApiToken:
    row = session.get(t.ApiToken, token_id)
    if row is None:
        raise NotFound(f"no API token {token_id}")
    return row


def get_user(*, session: Session, user_id: int) -> t.User:
    user = session.get(t.User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def get_by_username(*, session: Session, username: str) -> t.User | None:
    return session.scalar(select(t.User).where(t.User.username == username))


def list_users(*, session: Session) -> list[t.User]:
    return list(session.scalars(select(t.User).order_by(t.User.username)))
