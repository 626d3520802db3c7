"""Builders for the scheduling tests: staff with logins and shifts, scored messages at a chosen time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from tests.integration.helpers import PASSWORD
from triage import pipeline
from triage.accounts import store as users_repo
from triage.core import message as dm
from triage.core.clock import FixedClock
from triage.core.priority import due_in
from triage.platform import tables as t
from triage.platform.db import transaction
from triage.scheduling import staffing

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday noon, UTC team
PRIORITY = {"critical": 90.0, "high": 70.0, "normal": 40.0, "low": 10.0}


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def person(services, name: str, *, login: str | None = None, role: str = "agent",
           languages: tuple[str, ...] = (), shift: tuple[float, float] | None = (-2, 6),
           on_call: tuple[float, float] | None = None) -> int:
    """A staff member (with a login unless `login` is None) on a shift given in hours from NOW."""
    with transaction(services.db) as session:
        row = staffing.create_staff(session=session, actor="test", now=NOW, data={
            "name": name, "skills": {"languages": list(languages)}, "on_call": on_call is not None})
        if login:
            users_repo.create_user(session=session, username=login, password=PASSWORD, role=role,
                                   now=NOW, staff_id=row.id)
        if shift:
            staffing.add_shift(session=session, staff_id=row.id, start=at(shift[0]), end=at(shift[1]))
        if on_call:
            staffing.add_shift(session=session, staff_id=row.id, start=at(on_call[0]),
                               end=at(on_call[1]), kind="on_call")
        return row.id


def scored(services, *specs: tuple[str, str], received: datetime | None = None,
           language: str | None = None, author: str | None = None) -> list[int]:
    """Store messages (external id, urgency) as scored, received at `received` (default 5 min ago)."""
    received = received or NOW - timedelta(minutes=5)
    docs = [dm.Message(source="test", external_id=ext, text=f"message {ext}", created_at=received,
                       language=language, author=dm.Author(id=author or f"a-{ext}")) for ext, _ in specs]
    with transaction(services.db) as session:
        pipeline.store_messages(session=session, messages=docs, now=received)  # as the drain does
        ids = dict(session.execute(select(t.Message.id, t.Message.external_id).where(
            t.Message.external_id.in_([ext for ext, _ in specs]))).all())
        for mid, ext in ids.items():
            urgency = dict(specs)[ext]
            session.execute(update(t.Message).where(t.Message.id == mid).values(
                stage="scored", urgency=urgency, priority=PRIORITY[urgency],
                due_at=received + due_in(urgency)))
    services.clock = FixedClock(NOW)
    return sorted(ids)


def items(services) -> dict[str, t.Message]:
    """Every message by external id, with its routing note loaded."""
    with services.db() as session:
        return {m.external_id: m for m in session.scalars(select(t.Message))}


def history(services, action: str | None = None) -> list[t.Assignment]:
    with services.db() as session:
        q = select(t.Assignment).order_by(t.Assignment.id)
        if action:
            q = q.where(t.Assignment.action == action)
        return list(session.scalars(q))


def user_id(services, username: str) -> int:
    with services.db() as session:
        return users_repo.get_by_username(session=session, username=username).id


def set_rules(services, **rules) -> None:
    with transaction(services.db) as session:
        staffing.set_rules(session=session, raw=rules, actor="test", now=NOW)
