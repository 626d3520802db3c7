"""The audit journal: who did what to which entity, and when; every feature writes through here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from triage.platform import tables as t


def audit(*, session: Session, actor: str, action: str, entity: str, entity_id: Any = None,
          detail: dict[str, Any] | None = None, now: datetime) -> None:
    session.add(t.AuditLog(actor=actor, action=action, entity=entity,
                           entity_id=None if entity_id is None else str(entity_id),
                           detail=detail or {}, at=now))
