"""Users and API tokens: admins manage people and tokens, anyone signed in can mint their own token."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from triage.accounts import service as accounts
from triage.accounts.domain import MAX_PASSWORD, MIN_PASSWORD
from triage.api.deps import (
    MAX_ID,
    AdminDep,
    ItemId,
    ServicesDep,
    SessionDep,
    UserDep,
    session_store,
)

router = APIRouter(prefix="/api", tags=["users"])


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)
    role: Literal["agent", "lead", "admin"] = "agent"


class UserPublic(BaseModel):
    id: int
    username: str
    role: str
    active: bool


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64)


@router.get("/me")
def me(user: UserDep) -> UserPublic:
    return UserPublic(id=user.id, username=user.username, role=user.role, active=user.active)


@router.get("/users")
def list_users(session: SessionDep, _admin: AdminDep) -> list[UserPublic]:
    return [_public(u) for u in accounts.list_users(session=session)]


@router.post("/users", status_code=201)
def create_user(body: UserCreate, services: ServicesDep, session: SessionDep,
                admin: AdminDep) -> UserPublic:
    now = services.clock.now()
    u = accounts.create_user(session=session, username=body.username, password=body.password,
                             role=body.role, now=now, actor=admin.username)
    session.commit()
    return UserPublic(id=u.id, username=u.username, role=u.role, active=u.active)


@router.post("/tokens", status_code=201)
def create_token(body: TokenCreate, services: ServicesDep, session: SessionDep,
                 user: UserDep) -> dict:
    """A bearer token for a machine client, shown once."""
    now = services.clock.now()
    token = accounts.issue_token(session=session, user=user, name=body.name, now=now)
    session.commit()
    return {"token": token, "name": body.name}


class TokenPublic(BaseModel):
    id: int
    user_id: int
    username: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def _public(u) -> UserPublic:
    return UserPublic(id=u.id, username=u.username, role=u.role, active=u.active)


@router.post("/users/{user_id}/deactivate")
def deactivate_user(user_id: ItemId, services: ServicesDep, session: SessionDep,
                    admin: AdminDep) -> UserPublic:
    """Deactivate a user: their sessions end and their tokens stop on the next request."""
    u = accounts.set_active(session=session, sessions=session_store(services), user_id=user_id,
                            active=False, actor=admin, now=services.clock.now())
    session.commit()
    return _public(u)


@router.post("/users/{user_id}/reactivate")
def reactivate_user(user_id: ItemId, services: ServicesDep, session: SessionDep,
                    admin: AdminDep) -> UserPublic:
    """Let a deactivated user sign in again (revoked tokens stay revoked)."""
    u = accounts.set_active(session=session, sessions=session_store(services), user_id=user_id,
                            active=True, actor=admin, now=services.clock.now())
    session.commit()
    return _public(u)


@router.get("/tokens")
def list_tokens(session: SessionDep, _admin: AdminDep,
                user_id: int | None = Query(None, ge=1, le=MAX_ID)) -> list[TokenPublic]:
    """Every API token, or one user's: names and use, never the secret."""
    return [TokenPublic(**asdict(info)) for info in accounts.list_tokens(session=session,
                                                                          user_id=user_id)]


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: ItemId, services: ServicesDep, session: SessionDep,
                 admin: AdminDep) -> TokenPublic:
    """Revoke a token: the next request that carries it gets a 401."""
    info = accounts.revoke_token(session=session, token_id=token_id, actor=admin.username,
                                 now=services.clock.now())
    session.commit()
    return TokenPublic(**asdict(info))

