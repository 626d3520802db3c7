"""The audit journal: who did what to which entity, and when; every feature writes through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from triage.platform import tables as t


def audit(*, session: Session, actor: str, action: str, entity: str, entity_id: Any = None,
          detail: dict[str, Any] | None = None, now: datetime) -> None:
    """Journal one change (the caller's transaction commits it with the change itself)."""
    session.add(t.AuditLog(actor=actor, action=action, entity=entity,
                           entity_id=None if entity_id is None else str(entity_id),
                           detail=detail or {}, at=now))


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Who (actor), what (an action like `rules.set`, or its family `rules`) and when ([since, until))."""

    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    per_page: int = 50


def _where(flt: AuditFilter) -> list[Any]:
    where: list[Any] = []
    if flt.actor:
        where.append(t.AuditLog.actor == flt.actor)
    if flt.action:
        where.append(or_(t.AuditLog.action == flt.action, t.AuditLog.action.like(f"{flt.action}.%")))
    if flt.since:
        where.append(t.AuditLog.at >= flt.since)
    if flt.until:
        where.append(t.AuditLog.at < flt.until)
    return where


def search(*, session: Session, flt: AuditFilter) -> tuple[list[t.AuditLog], int]:
    """One page of journal entries matching the filter, newest first, and how many match in all."""
    where = _where(flt)
    total = session.scalar(select(func.count()).select_from(t.AuditLog).where(*where)) or 0
    rows = session.scalars(select(t.AuditLog).where(*where)
                           .order_by(t.AuditLog.at.desc(), t.AuditLog.id.desc())
                           .offset((flt.page - 1) * flt.per_page).limit(flt.per_page))
    return list(rows), total


def choices(*, session: Session) -> tuple[list[str], list[str]]:
    """The actors and actions the journal holds, for the filter's drop-downs."""
    actors = session.scalars(select(t.AuditLog.actor).distinct().order_by(t.AuditLog.actor))
    actions = session.scalars(select(t.AuditLog.action).distinct().order_by(t.AuditLog.action))
    return list(actors), list(actions)
