"""Canned reply rows: list, get, add, update, delete."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.core.errors import NotFound
from triage.platform.tables_replies import CannedReply


def all_(*, session: Session) -> list[CannedReply]:
    return list(session.scalars(select(CannedReply).order_by(CannedReply.name)))


def get(*, session: Session, canned_id: int) -> CannedReply:
    row = session.get(CannedReply, canned_id)
    if row is None:
        raise NotFound(f"no canned reply {canned_id}")
    return row


def by_name(*, session: Session, name: str) -> CannedReply | None:
    return session.scalars(select(CannedReply).where(CannedReply.name == name)).first()


def add(*, session: Session, row: CannedReply) -> CannedReply:
    session.add(row)
    session.flush()
    return row


def delete(*, session: Session, row: CannedReply) -> None:
    session.delete(row)
    session.flush()
