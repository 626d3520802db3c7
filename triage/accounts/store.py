"""Users, password hashes (Argon2) and API tokens (only their SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.core.errors import Conflict, Invalid
from triage.platform import tables as t

ROLES = ("agent", "lead", "admin")
LAST_USED_RESOLUTION = timedelta(minutes=1)
MIN_PASSWORD = 10  # NIST SP 800-63B asks for at least 8; we ask a little more
_hasher = PasswordHasher()
# Verifying against a dummy hash when the user is unknown keeps response times alike.
_DUMMY = _hasher.hash("not-a-real-password")


def create_user(*, session: Session, username: str, password: str, role: str, now: datetime,
                staff_id: int | None = None) -> t.User:
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"password must be at least {MIN_PASSWORD} characters")
    if session.scalar(select(t.User).where(t.User.username == username)):
        raise Conflict(f"user {username!r} exists already")
    user = t.User(username=username, password_hash=_hasher.hash(password), role=role,
                  staff_id=staff_id, created_at=now)
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, username: str, password: str) -> t.User | None:
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


def user_for_token(*, session: Session, token: str, now: datetime) -> t.User | None:
    row = session.scalar(select(t.ApiToken).where(t.ApiToken.token_hash == _digest(token),
                                                  t.ApiToken.revoked.is_(False)))
    if row is None or not row.user.active:
        return None
    # Record use at most once a minute: a write on every request would contend with the workers.
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
    return row.user


def get_by_username(*, session: Session, username: str) -> t.User | None:
    return session.scalar(select(t.User).where(t.User.username == username))


def list_users(*, session: Session) -> list[t.User]:
    return list(session.scalars(select(t.User).order_by(t.User.username)))
