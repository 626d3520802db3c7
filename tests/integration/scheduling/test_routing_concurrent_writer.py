"""A routing pass reads, decides, then writes. On SQLite another writer that commits meanwhile
once made the pass fail with "database is locked" (a deferred transaction that has read cannot
take the write lock after someone else wrote). The pass must complete, and so must the writer."""

from __future__ import annotations

import threading

from sqlalchemy import select, update

from tests.integration.scheduling_support import items, person, scored, user_id
from triage.platform import tables as t
from triage.platform.db import transaction
from triage.scheduling import routing


def test_a_write_committed_while_a_pass_decides_neither_fails_the_pass_nor_is_lost(services, monkeypatch):
    person(services, "Alex", login="alex")
    ids = scored(services, ("a", "normal"), ("b", "high"), ("other", "low"))
    deciding, written, errors = threading.Event(), threading.Event(), []
    real = routing.apply_decision

    def slow_apply(*, session, **kwargs):
        session.execute(select(t.Message.id)).all()  # the pass has read in its transaction
        deciding.set()
        written.wait(timeout=1.5)  # on SQLite the writer waits for the pass instead: it times out
        return real(session=session, **kwargs)

    def writer():
        deciding.wait(timeout=10)
        try:
            with transaction(services.db) as session:
                session.execute(update(t.Message).where(t.Message.id == ids[2]).values(text="edited"))
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion
            errors.append(exc)
        written.set()

    monkeypatch.setattr(routing, "apply_decision", slow_apply)
    thread = threading.Thread(target=writer)
    thread.start()
    report = routing.run_once(services=services)
    thread.join(timeout=40)
    assert errors == [] and not report.skipped
    got = items(services)
    alex = user_id(services, "alex")
    assert {ext for ext, m in got.items() if m.assignee_id == alex} >= {"a", "b"}
    assert got["other"].text == "edited"
