"""Staffing over HTTP: staff, shifts and time off with clear errors, versioned rules, hours, roster plan."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.helpers import PASSWORD, add_user, bearer
from tests.integration.scheduling_support import NOW, at, history, items, person, scored, user_id
from triage.platform import tables as t
from triage.platform.db import transaction
from triage.scheduling import routing


@pytest.fixture
def lead(services):
    return bearer(add_user(services, "lena", "lead"))


def _sign_in(client: TestClient, username: str) -> str:
    """Sign in through the form like a browser; returns the session's CSRF token."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    return re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/hours").text).group(1)


def test_staff_shifts_and_time_off_give_clear_errors(client, lead):
    typo = client.post("/api/staff", json={"name": "Ana", "timezone": "Europe/Pari"}, headers=lead)
    assert typo.status_code == 422 and "did you mean 'Europe/Paris'" in typo.json()["detail"]["message"]
    ana = client.post("/api/staff", json={"name": "Ana", "timezone": "Europe/Madrid",
                                          "skills": {"languages": ["es"]}}, headers=lead)
    assert ana.status_code == 201 and ana.json()["skills"]["languages"] == ["es"]
    sid = ana.json()["id"]
    assert client.post("/api/staff/9999/shifts", json={"start": at(0).isoformat(), "end": at(8).isoformat()},
                       headers=lead).json() == {"detail": "unknown staff id 9999"}
    away = {"start": at(24).isoformat(), "end": at(72).isoformat(), "reason": "holiday"}
    assert client.post(f"/api/staff/{sid}/time-off", json=away, headers=lead).status_code == 201
    again = client.post(f"/api/staff/{sid}/time-off", json={"start": at(48).isoformat(),
                                                            "end": at(96).isoformat()}, headers=lead)
    assert again.status_code == 422 and "overlaps existing time off" in again.json()["detail"]["message"]
    during = client.post(f"/api/staff/{sid}/shifts", json={"start": at(30).isoformat(),
                                                           "end": at(38).isoformat()}, headers=lead)
    assert during.status_code == 422 and "time off" in during.json()["detail"]["message"]
    reversed_ = client.post(f"/api/staff/{sid}/shifts", json={"start": at(8).isoformat(),
                                                              "end": at(0).isoformat()}, headers=lead)
    assert reversed_.status_code == 422 and "before it starts" in reversed_.json()["detail"]["message"]


def test_agents_read_only_their_own_staff_record(client, services, lead):
    mine = person(services, "Alex", login="alex")
    person(services, "Bo", login="bo")
    agent = bearer(add_user(services, "alex-token-holder"))
    with transaction(services.db) as session:  # the token's user is Alex's login
        session.get(t.User, user_id(services, "alex-token-holder")).staff_id = mine
    assert [s["name"] for s in client.get("/api/staff", headers=agent).json()["staff"]] == ["Alex"]
    assert client.get(f"/api/staff/{mine + 1}", headers=agent).status_code == 403
    assert client.post("/api/staff", json={"name": "X"}, headers=agent).status_code == 403
    assert len(client.get("/api/staff", headers=lead).json()["staff"]) == 2


def test_rule_changes_are_validated_versioned_and_audited(client, services, lead):
    assert client.get("/api/rules", headers=lead).json()["version"] == 0
    bad = client.put("/api/rules", headers=lead, json={"rules": {
        "max_hours_per_day": 6, "pages_per_night": 9, "pages_per_week": 3, "bogus": 1}})
    assert bad.status_code == 422
    assert bad.json()["detail"]["conflicts"] == ["unknown rule 'bogus'"]
    bad = client.put("/api/rules", headers=lead, json={"rules": {"max_hours_per_day": 6,
                                                                 "pages_per_night": 9, "pages_per_week": 3}})
    conflicts = bad.json()["detail"]["conflicts"]
    assert any(c.startswith("pages_per_night (9) exceeds pages_per_week (3)") for c in conflicts)
    assert any(c.startswith("max_hours_per_day (6 h) is below one 'early' shift") for c in conflicts)
    ok = client.put("/api/rules", headers=lead, json={"rules": {"max_open_effort": 4}, "note": "calmer"})
    assert ok.status_code == 200 and ok.json()["version"] == 1
    assert ok.json()["rules"]["max_open_effort"] == 4 and ok.json()["set_by"] == "lena"
    with services.db() as session:
        entry = session.scalars(select(t.AuditLog).where(t.AuditLog.action == "rules.set")).one()
    assert entry.actor == "lena" and entry.detail["changed"]["max_open_effort"] == 4


def test_a_rule_change_never_takes_work_already_in_hand(client, services, lead):
    person(services, "Alex", login="alex")
    scored(services, *[(f"n{i}", "normal") for i in range(4)])
    assert routing.run_once(services=services).assigned == 4
    r = client.put("/api/rules", headers=lead, json={"rules": {"max_open_effort": 3}})
    assert r.status_code == 200
    scored(services, ("late", "normal"))
    report = routing.run_once(services=services)
    assert report.releases == 0 and report.assigned == 0
    got = items(services)
    assert sum(m.assignee_id == user_id(services, "alex") for m in got.values()) == 4
    assert "1 at capacity" in got["late"].routing.wait_reason
    assert history(services, "handoff") == []


def test_hours_show_each_week_against_the_limits_with_a_warning_before_the_limit(client, services, lead):
    alex = person(services, "Alex", login="alex", shift=(-11, 1))
    person(services, "Bo", login="bo")
    scored(services, ("done", "normal"))
    with transaction(services.db) as session:
        mid = session.scalar(select(t.Message.id))
        for h in range(11):  # eleven 45-minute stretches today: 8.25 h of a 9 h day
            start = NOW.replace(hour=1) + timedelta(hours=h)
            session.add(t.Assignment(message_id=mid, user_id=user_id(services, "alex"), action="claim",
                                     actor="alex", at=start))
            session.add(t.Assignment(message_id=mid, user_id=user_id(services, "alex"), action="release",
                                     actor="alex", at=start + timedelta(minutes=45)))
    body = client.get("/api/hours", headers=lead).json()
    people = {p["name"]: p for p in body["people"]}
    assert people["Alex"]["hours_today"] == 8.25 and people["Alex"]["max_hours_per_day"] == 9.0
    assert people["Alex"]["warnings"] == ["Alex is close to the daily hours limit: 8.2 of 9 h today"]
    assert people["Bo"]["hours_week"] == 0 and people["Bo"]["warnings"] == []
    agent = bearer(add_user(services, "alex2"))
    with transaction(services.db) as session:
        session.get(t.User, user_id(services, "alex2")).staff_id = alex
    assert [p["name"] for p in client.get("/api/hours", headers=agent).json()["people"]] == ["Alex"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the solver does not care about the DB
def test_the_roster_plan_reports_uncovered_hours_when_demand_exceeds_the_team(client, services, lead):
    person(services, "Alex", login="alex", shift=None)
    r = client.post("/api/roster/plan", headers=lead, json={"demand": [2] * 168, "time_limit": 3})
    assert r.status_code == 200
    plan = r.json()
    assert plan["status"] in ("OPTIMAL", "FEASIBLE") and plan["shifts"]
    assert plan["uncovered_total"] >= 168  # one person can never be two
    assert plan["uncovered_hours"][0]["missing"] >= 1
    agent = bearer(add_user(services, "ag"))
    assert client.post("/api/roster/plan", headers=agent, json={}).status_code == 403


def test_pages_render_for_a_lead_and_lead_pages_refuse_an_agent(client, services):
    person(services, "Alex", login="alex")
    add_user(services, "lena", "lead")
    csrf = _sign_in(client, "lena")
    staff = client.get("/staff")
    assert staff.status_code == 200 and "Alex" in staff.text and "Staffing rules" in staff.text
    roster = client.get("/roster")
    assert roster.status_code == 200 and 'class="heat"' in roster.text and "uncovered" in roster.text
    hours = client.get("/hours")
    assert hours.status_code == 200 and "Team hours" in hours.text and "Alex" in hours.text
    bad = client.post("/staff/rules",
                      data={"pages_per_night": "9", "pages_per_week": "3", "csrf_token": csrf})
    assert bad.status_code == 422 and "pages_per_night (9) exceeds pages_per_week (3)" in bad.text
    client.post("/logout", data={"csrf_token": csrf})
    _sign_in(client, "alex")
    assert client.get("/staff").status_code == 403 and client.get("/roster").status_code == 403
    mine = client.get("/hours")
    assert mine.status_code == 200 and "My hours" in mine.text
