"""Tables for staffing: shifts, time off, staffing rules, pages, coverage gaps (scheduler issue)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from triage.platform.tables import Base

SHIFT_KINDS = ("regular", "on_call")


class Shift(Base):
    """A span a staff member works (regular) or can be paged (on_call); half-open [start, end)."""

    __tablename__ = "shifts"
    __table_args__ = (Index("ix_shifts_staff_start", "staff_id", "start"),
                      Index("ix_shifts_end", "end"))
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    start: Mapped[datetime]
    end: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16), default="regular")


class TimeOff(Base):
    """Leave, sickness or any absence; shifts inside it do not count and none may be added."""

    __tablename__ = "time_off"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime]
    end: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(256))


class RuleSet(Base):
    """One version of the staffing rules; exactly one is active, older ones stay for the record."""

    __tablename__ = "staffing_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    templates: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)


class PageEvent(Base):
    """An on-call person paged for a critical item outside every shift."""

    __tablename__ = "pages"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(index=True)


class CoverageGapRow(Base):
    """Work nobody could take within the rules (past the page budget): the lead must see it."""

    __tablename__ = "coverage_gaps"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    hour: Mapped[datetime] = mapped_column(index=True)  # the hour the gap was found, truncated
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    seen_by: Mapped[str | None] = mapped_column(String(64))
    seen_at: Mapped[datetime | None]


class MessageRouting(Base):
    """The router's latest word on one message: why it waits, or why it went to whom."""

    __tablename__ = "message_routing"
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"),
                                            primary_key=True)
    wait_reason: Mapped[str | None] = mapped_column(Text)
    wait_until: Mapped[datetime | None]
    assign_reason: Mapped[str | None] = mapped_column(Text)
    released_from: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    rules_version: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class BreakRow(Base):
    """A break someone took on purpose ("take a break"); idle breaks are derived from the history."""

    __tablename__ = "breaks"
    __table_args__ = (Index("ix_breaks_staff_start", "staff_id", "start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    start: Mapped[datetime]
    end: Mapped[datetime]  # planned end; set to the moment they came back when ended early
    created_by: Mapped[str] = mapped_column(String(64))


class RosterPublication(Base):
    """A planned week turned into shift rows by a lead: what was added, removed, kept and refused."""

    __tablename__ = "roster_publications"
    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[datetime] = mapped_column(index=True)
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime]
    rules_version: Mapped[int] = mapped_column(Integer)
    plan_status: Mapped[str] = mapped_column(String(32))
    added: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    kept: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[list[Any]] = mapped_column(default=list)  # [{"person", "start", "reason"}]
    uncovered_total: Mapped[int] = mapped_column(Integer, default=0)

