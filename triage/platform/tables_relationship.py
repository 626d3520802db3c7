"""Tables for relationship value and storms: CRM identities, relationship policies, incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from triage.platform.tables import Base


class ContactIdentity(Base):
    """How a CRM contact shows up on a channel: an author id, a handle or an email address.

    Kept apart from `authors` so a contact imported before their first message still gets
    linked when that message arrives.
    """

    __tablename__ = "contact_identities"
    __table_args__ = (Index("ix_contact_identities_kind_value", "kind", "value"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # id, handle, email
    source: Mapped[str | None] = mapped_column(String(64))  # None: any source
    value: Mapped[str] = mapped_column(String(320))  # normalised: lower case, no leading @


class RelationshipPolicyVersion(Base):
    """One version of the leads' relationship policy; the highest version is the active one."""

    __tablename__ = "relationship_policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    doc: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Incident(Base):
    """Near-duplicate messages handled as one item; its id is the id of its first message."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_status_last_seen", "status", "last_seen"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    topic: Mapped[str] = mapped_column(String(280))  # a text sample to show
    text_key: Mapped[str] = mapped_column(String(40), index=True)  # normalised-text hash
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)  # float32 leader vector
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, resolved
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    # Distinct people among its members and the priority their number and value add to its item.
    people: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lift: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    # Their summed weight (core.priority.person_weight), so a batch adds to it; None: count afresh.
    people_weight: Mapped[float | None] = mapped_column(Float)
