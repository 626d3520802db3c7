"""Publishing a planned week: shift rows the router reads, never rewriting the past, audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.helpers import add_user, bearer
from tests.integration.scheduling_support import NOW, at, history, items, person, scored, user_id
from triage.api.app import create_app
from triage.core.clock import FixedClock
from triage.core.errors import Conflict
from triage.platform import tables as t
from triage.platform import tables_scheduling as ts
from triage.platform.db import transaction
from triage.scheduling import publish, routing
from triage.scheduling import store as repo

MONDAY = datetime(2026, 11, 16, tzinfo=NOW.tzinfo)  # the week NOW (Wednesday noon) is in


def shifts(services, staff_id: int) -> list[tuple[datetime, datetime, str]]:
    with services.db() as session:
        return [(s.start, s.end, s.kind) for s in repo.shifts_between(
            session=session, start=MONDAY - timedelta(weeks=1), end=MONDAY + timedelta(weeks=3),
            staff_ids=[staff_id])]


def plan(*spans: tuple[int, float, float], on_call: tuple[tuple[int, float, float], ...] = ()) -> dict:
    """A plan for this week: (staff id, start, end) in hours from NOW."""
    return {"week_start": MONDAY.isoformat(), "status": "FEASIBLE", "uncovered_total": 3,
            "shifts": [{"person_id": str(p), "start": at(a).isoformat(), "end": at(b).isoformat()}
                       for p, a, b in spans],
            "on_call": [{"person_id": str(p), "start": at(a).isoformat(), "end": at(b).isoformat()}
                        for p, a, b in on_call]}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the solver does not care about the DB
def test_a_lead_plans_next_week_and_publishes_it_as_shifts(services):
    alex = person(services, "Alex", login="alex", shift=None)
    lead = bearer(add_user(services, "lena", "lead"))
    services.clock = FixedClock(NOW)
    with TestClient(create_app(services)) as client:
        planned = client.post("/api/roster/plan", headers=lead,
                              json={"demand": [1] * 168, "time_limit": 3}).json()
        assert planned["shifts"]
        r = client.post("/api/roster/publish", headers=lead)
        assert r.status_code == 200
        done = r.json()
        assert done["added"] == len(planned["shifts"]) + len(planned["on_call"])
        assert (done["removed"], done["kept"], done["skipped"]) == (0, 0, [])
        again = client.post("/api/roster/publish", headers=lead).json()  # the same plan replaces itself
        assert (again["added"], again["removed"]) == (done["added"], done["added"])
        assert client.post("/api/roster/publish", headers=bearer(add_user(services, "ag"))).status_code == 403

    written = [(s, e) for s, e, k in shifts(services, alex) if k == "regular"]
    assert written == sorted((datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]))
                             for s in planned["shifts"])
    with services.db() as session:
        audits = session.scalars(select(t.AuditLog).where(t.AuditLog.action == "roster.publish")).all()
        rows = session.scalars(select(ts.RosterPublication)).all()
    assert [a.actor for a in audits] == ["lena", "lena"] and len(rows) == 2
    assert rows[0].week_start == MONDAY + timedelta(weeks=1)


def test_publishing_keeps_shifts_worked_or_in_progress_and_refuses_to_rewrite_the_past(services):
    alex = person(services, "Alex", login="alex", shift=(-2, 6))  # in progress
    bo = person(services, "Bo", login="bo", shift=(20, 28))  # tomorrow: not started, replaced
    with transaction(services.db) as session:
        session.add(ts.Shift(staff_id=bo, start=at(-50), end=at(-42), kind="regular"))  # Monday: worked
    services.clock = FixedClock(NOW)
    with transaction(services.db) as session:
        done = publish.publish_plan(session=session, now=NOW, actor="lena", plan=plan(
            (alex, -26, -18),  # yesterday: the past cannot change
            (alex, 4, 12),  # overlaps the running shift
            (alex, 22, 30),  # tomorrow, 16 h after the running shift ends: fine
            (bo, 44, 52), on_call=((bo, 33, 41),)))
    assert (done.added, done.removed, done.kept) == (3, 1, 2)
    reasons = [s["reason"] for s in done.skipped]
    assert reasons[0] == "starts before publishing: the plan cannot change the past"
    assert reasons[1].startswith("Alex already has a regular shift") and "overlapping" in reasons[1]
    assert shifts(services, alex) == [(at(-2), at(6), "regular"), (at(22), at(30), "regular")]
    assert shifts(services, bo) == [(at(-50), at(-42), "regular"), (at(33), at(41), "on_call"),
                                    (at(44), at(52), "regular")]


def test_a_planned_shift_too_close_to_a_kept_one_is_refused_by_the_rest_rule(services):
    alex = person(services, "Alex", login="alex", shift=(-2, 6))
    with transaction(services.db) as session:
        done = publish.publish_plan(session=session, now=NOW, actor="lena", plan=plan((alex, 12, 20)))
    assert done.added == 0
    assert done.skipped[0]["reason"].startswith("Alex would rest less than min_rest (11 h)")


def test_an_on_call_window_ending_less_than_three_hours_before_a_day_shift_is_refused(services):
    bo = person(services, "Bo", login="bo", shift=None)
    with transaction(services.db) as session:
        done = publish.publish_plan(session=session, now=NOW, actor="lena", plan=plan(
            (bo, 20, 28), (bo, 44, 52), on_call=((bo, 10, 18), (bo, 34, 39))))
    assert done.added == 3 and len(done.skipped) == 1
    assert done.skipped[0]["kind"] == "on_call"
    assert done.skipped[0]["reason"] == ("Bo's on-call would end 2.0 h before their shift at"
                                         f" {at(20):%a %H:%M}: on-call must end 3 h before a day shift")


def test_publishing_never_takes_work_in_hand_and_the_router_hands_off_at_shift_end(services):
    alex = person(services, "Alex", login="alex", shift=(-2, 2))
    scored(services, ("q", "normal"))
    assert routing.run_once(services=services).assigned == 1
    with transaction(services.db) as session:  # the plan drops Alex's later shifts this week
        publish.publish_plan(session=session, now=NOW, actor="lena", plan=plan())
    assert routing.run_once(services=services).releases == 0
    assert items(services)["q"].assignee_id == user_id(services, "alex")

    services.clock = FixedClock(at(2.5))  # Alex's (kept) shift is over: the router hands the item back
    assert routing.run_once(services=services).releases == 1
    assert history(services, "handoff")[0].note.startswith("handoff from Alex: shift ended")
    assert shifts(services, alex) == [(at(-2), at(2), "regular")]


def test_a_week_that_is_over_or_no_plan_at_all_is_refused(services):
    with transaction(services.db) as session, pytest.raises(Conflict, match="is over"):
        publish.publish_plan(session=session, now=NOW + timedelta(weeks=1), actor="lena", plan=plan())
    with pytest.raises(Conflict, match="no plan to publish"):
        publish.publish(services=services, plan=None, actor="lena")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_triage_plan_publish_writes_next_weeks_shifts(services, monkeypatch):
    from typer.testing import CliRunner

    from triage.cli.main import app

    alex = person(services, "Alex", login="alex", shift=None)
    services.clock = FixedClock(NOW)
    monkeypatch.setattr("triage.bootstrap.build_services", lambda *_a, **_k: services)
    monkeypatch.setattr("triage.config.get_settings", lambda: services.settings)
    result = CliRunner().invoke(app, ["plan", "--publish", "--seconds", "3"])
    assert result.exit_code == 0, result.output
    assert "week of 23 Nov 2026" in result.output and "published:" in result.output
    next_week = [s for s in shifts(services, alex) if s[0] >= MONDAY + timedelta(weeks=1)]
    assert next_week and all(s[0] < MONDAY + timedelta(weeks=2) for s in next_week)
    with services.db() as session:
        assert session.scalars(select(ts.RosterPublication)).one().published_by == "cli"
