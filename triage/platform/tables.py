"""The relational schema; Alembic migrations under platform/migrations create and evolve it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from triage.platform.types import JSONDoc, UTCDateTime

# Named constraints so Alembic migrations are stable on both SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSONDoc, list[Any]: JSONDoc, datetime: UTCDateTime}


class Source(Base):
    """A configured account of a channel; pollers keep their cursor and health here."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="ok")
    last_error: Mapped[str | None] = mapped_column(Text)
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    # Poll schedule (migration 0004; policy in triage/intake/domain.py).
    next_poll_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_ok_at: Mapped[datetime | None]
    last_polled_at: Mapped[datetime | None]
    taken: Mapped[int] = mapped_column(Integer, default=0)
    config_digest: Mapped[str | None] = mapped_column(String(64))  # credentials changed since?


class Contact(Base):
    """A person, who may write to us from several channel identities (authors)."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    crm_id: Mapped[str | None] = mapped_column(String(128), index=True)
    group: Mapped[str] = mapped_column(String(32), default="public")
    crm_tier: Mapped[str | None] = mapped_column(String(32))
    lifetime_value: Mapped[float] = mapped_column(Float, default=0.0)
    community_role: Mapped[str | None] = mapped_column(String(64))
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Author(Base):
    """One identity on one channel; linked to a contact so history follows the person."""

    __tablename__ = "authors"
    __table_args__ = (UniqueConstraint("source", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(256))
    handle: Mapped[str | None] = mapped_column(String(256))
    name: Mapped[str | None] = mapped_column(String(256))
    followers: Mapped[int | None] = mapped_column(Integer)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    first_seen: Mapped[datetime]
    contact: Mapped[Contact | None] = relationship()


class Message(Base):
    """A stored message; (source, external_id) is unique so a re-delivery is stored once."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_messages_status_priority", "status", "priority"),
        Index("ix_messages_stage_received", "stage", "received_at"),
        # The inbox's first page in its own order, and the counts without the wide rows (0010).
        Index("ix_messages_inbox_order", "priority", "due_at"),
        Index("ix_messages_inbox_filter", "status", "stage", "incident_id", "snoozed_until",
              "assignee_id", "urgency"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(256))
    thread_id: Mapped[str] = mapped_column(String(256), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime]
    received_at: Mapped[datetime]
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Pipeline stage: received -> scored -> routed. The tick re-enqueues anything stuck.
    stage: Mapped[str] = mapped_column(String(16), default="received")
    # Inbox state: open -> claimed -> resolved; snoozed until snoozed_until.
    status: Mapped[str] = mapped_column(String(16), default="open")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    snoozed_until: Mapped[datetime | None]
    # Denormalised from the current score so the inbox sorts with one index.
    urgency: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    due_at: Mapped[datetime | None]
    # The storm incident this message belongs to (incidents.id = its first message's id); the
    # inbox shows one item per incident. No foreign key: incidents and messages point at each other.
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    author: Mapped[Author] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    score: Mapped[Score | None] = relationship(back_populates="message", uselist=False)
    # The router's latest note (tables_scheduling.MessageRouting), read with each inbox item.
    routing: Mapped[MessageRouting | None] = relationship(  # noqa: F821  (mapped by name)
        "MessageRouting", uselist=False, lazy="selectin", viewonly=True)


class Score(Base):
    """The current score of a message with its reasons; one per message (scored exactly once)."""

    __tablename__ = "scores"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    model: Mapped[str] = mapped_column(String(64))
    urgency: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str] = mapped_column(String(32))
    sentiment: Mapped[str] = mapped_column(String(16))
    relationship_value: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(16))
    priority: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    probabilities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scored_at: Mapped[datetime]
    message: Mapped[Message] = relationship(back_populates="score")


class Correction(Base):
    """A manager's correction of a label: training data for the next model."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(String(64))
    new_value: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]


class Staff(Base):
    """A person who answers messages; shifts and limits live with the scheduler."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(320))
    team: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    skills: Mapped[dict[str, Any]] = mapped_column(default=dict)
    contract_hours: Mapped[float] = mapped_column(Float, default=40.0)
    on_call: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    """A login: agent, lead or admin; an agent is usually also a staff member."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A machine client's bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    user: Mapped[User] = relationship()


class Assignment(Base):
    """Every change of who holds a message, kept as history (assign, claim, release, resolve...)."""

    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(index=True)


class AuditLog(Base):
    """Who changed what and when: logins, users, tokens, rules, policies."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),  # a person's link journal
                      Index("ix_audit_log_actor_at", "actor", "at"),  # the audit page's filters
                      Index("ix_audit_log_action_at", "action", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(index=True)
