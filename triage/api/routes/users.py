"""Users and API tokens: admins manage people, anyone signed in can mint their own token."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from triage.accounts import store as repo
from triage.api.deps import AdminDep, ServicesDep, SessionDep, UserDep
from triage.platform.audit import audit

router = APIRouter(prefix="/api", tags=["users"])


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=repo.MIN_PASSWORD, max_length=256)
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
    return [UserPublic(id=u.id, username=u.username, role=u.role, active=u.active)
            for u in repo.list_users(session=session)]


@router.post("/users", status_code=201)
def create_user(body: UserCreate, services: ServicesDep, session: SessionDep,
                admin: AdminDep) -> UserPublic:
    now = services.clock.now()
    u = repo.create_user(session=session, username=body.username, password=body.password,
                         role=body.role, now=now)
    audit(session=session, actor=admin.username, action="user.create", entity="user",
          entity_id=u.id, detail={"username": u.username, "role": u.role}, now=now)
    session.commit()
    return UserPublic(id=u.id, username=u.username, role=u.role, active=u.active)


@router.post("/tokens", status_code=201)
def create_token(body: TokenCreate, services: ServicesDep, session: SessionDep,
                 user: UserDep) -> dict:
    """A bearer token for a machine client, shown once."""
    now = services.clock.now()
    token = repo.issue_token(session=session, user=user, name=body.name, now=now)
    audit(session=session, actor=user.username, action="token.create", entity="user",
          entity_id=user.id, detail={"name": body.name}, now=now)
    session.commit()
    return {"token": token, "name": body.name}
