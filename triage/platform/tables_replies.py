"""The outbox: every reply a manager (or the holding-reply rule) sends, kept until it has left."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from triage.platform.tables import Base, Message, User


class Reply(Base):
    """One reply on its way out; the row is written before any platform is called, so none is lost.

    queued -> sending -> sent; a temporary error goes back to queued with `next_attempt_at`,
    too many of them end in `dead`; a refusal or a bad credential ends in `failed`. Both of
    those wait for a manager's retry. `deferred` waits for `send_after` (the morning).
    """

    __tablename__ = "replies"
    __table_args__ = (
        Index("ix_replies_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_replies_source_thread_id", "source", "thread_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(256))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: a holding reply
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="reply")  # reply, holding
    status: Mapped[str] = mapped_column(String(16), default="queued")
    keep_open: Mapped[bool] = mapped_column(Boolean, default=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    send_after: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(512))
    # "holding:<source>:<thread>" for holding replies: the unique key makes "once per thread" hold
    # even when two ticks race; NULL for manager replies (NULLs never collide).
    dedupe_key: Mapped[str | None] = mapped_column(String(400), unique=True)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the platform's answer
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    message: Mapped[Message] = relationship()
    author: Mapped[User | None] = relationship()


class CannedReply(Base):
    """A team's stock answer; leads keep the library, anyone may insert one into a reply."""

    __tablename__ = "canned_replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    body: Mapped[str] = mapped_column(Text)  # may hold {author_name}, {agent_name}, {case_link}...
    created_by: Mapped[str] = mapped_column(String(64))
    updated_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
