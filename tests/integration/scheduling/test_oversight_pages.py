"""The team board, my week, the break banner, the rules form and the roster's two clocks, over HTTP."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.helpers import add_user
from tests.integration.scheduling.test_scheduling_api import _sign_in
from tests.integration.scheduling_support import NOW, at, items, person, scored, user_id
from triage.api.app import create_app
from triage.core.clock import FixedClock
from triage.platform import tables as t
from triage.platform.db import transaction
from triage.scheduling import routing, staffing

# The pages read through store functions tested on both databases elsewhere: SQLite is enough here.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def client(services):
    services.clock = FixedClock(NOW)
    with TestClient(create_app(services)) as c:
        yield c


def _tokyo(services) -> None:
    with transaction(services.db) as session:
        staffing.update_staff(session=session, staff_id=session.scalar(
            select(t.Staff.id).where(t.Staff.name == "Kenji")), changes={"timezone": "Asia/Tokyo"},
            actor="test", now=NOW)


def test_the_board_shows_who_is_on_shift_in_their_own_time_with_load_and_gaps(client, services):
    person(services, "Alex", login="alex")  # 10:00-18:00 UTC: on shift
    person(services, "Kenji", login="kenji", shift=(3, 11))  # not yet
    _tokyo(services)
    scored(services, ("c", "critical"), ("n", "normal"))
    assert routing.run_once(services=services).assigned == 2  # both to Alex, the one on shift
    add_user(services, "lena", "lead")
    _sign_in(client, "lena")
    page = client.get("/board")
    assert page.status_code == 200
    alex = re.search(r'<tr class="person state-on-shift".*?</tr>', page.text, re.S).group(0)
    assert "Alex" in alex and "Wed 12:00" in alex and "4 / 6" in alex and "2 items held" in alex
    kenji = re.search(r'<tr class="person state-off".*?</tr>', page.text, re.S).group(0)
    assert "Asia/Tokyo" in kenji and "Wed 21:00" in kenji and "next Thu 00:00" in kenji
    # Business hours 09:00-18:00 UTC: Alex until 18:00 and Kenji from 15:00 to 23:00 cover today;
    # tomorrow 09:00-12:00 nobody does.
    assert "Thu 09:00–12:00" in page.text and "3 h uncovered" in page.text


def test_an_agent_sees_their_week_and_the_inbox_says_until_when_they_are_on_a_break(client, services):
    person(services, "Kenji", login="kenji", shift=(-2, 6))
    _tokyo(services)
    csrf = _sign_in(client, "kenji")
    week = client.get("/my-week")
    assert week.status_code == 200
    assert "Wed 19:00–Thu 03:00" in week.text and "Wed 10:00–18:00" in week.text  # own time, team time
    assert "0.0 / 40 h" in week.text and "0</strong> of 5 pages" in week.text
    assert 'id="break-banner"' not in client.get("/inbox").text
    client.post("/hours/break", data={"csrf_token": csrf})
    assert "You are on a break until <strong>12:30</strong>" in client.get("/inbox").text
    assert "on a break until <strong>21:30</strong>" in client.get("/my-week").text  # Tokyo time
    assert client.get("/board").status_code == 403


def test_the_rules_form_saves_a_version_and_shows_each_problem_beside_its_field(client, services):
    person(services, "Alex", login="alex")
    scored(services, ("a", "normal"), ("b", "normal"), ("c", "normal"))
    assert routing.run_once(services=services).assigned == 3
    with transaction(services.db) as session:
        staffing.set_rules(session=session, raw={}, actor="test", now=NOW)  # a version to change from
    add_user(services, "lena", "lead")
    csrf = _sign_in(client, "lena")
    form = client.get("/staff").text
    assert 'name="max_open_effort" value="6"' in form and "Effort points a critical item weighs" in form

    bad = client.post("/staff/rules", data={"csrf_token": csrf, "pages_per_night": "9", "pages_per_week": "3",
                                            "max_hours_per_day": "lots"})
    assert bad.status_code == 422
    assert re.search(r'id="rule-max_hours_per_day-err">must be a number', bad.text)
    assert 'value="lots"' in bad.text  # what was typed stays in the form
    bad = client.post("/staff/rules",
                      data={"csrf_token": csrf, "pages_per_night": "9", "pages_per_week": "3"})
    assert re.search(r'id="rule-pages_per_night-err">pages_per_night \(9\) exceeds pages_per_week', bad.text)

    ok = client.post("/staff/rules", data={"csrf_token": csrf, "max_open_effort": "3", "effort.normal": "1.5",
                                           "min_rest": "12",
                                           "note": "quieter week"}, follow_redirects=False)
    assert ok.status_code == 303
    rules = staffing.current_rules(session=services.db())
    assert rules.max_open_effort == 3 and rules.effort["normal"] == 1.5
    assert rules.min_rest.total_seconds() == 43200
    # Alex now holds 4.5 effort points against a cap of 3: nothing is taken away.
    assert routing.run_once(services=services).assigned == 0
    alex = user_id(services, "alex")
    assert all(m.assignee_id == alex for m in items(services).values())
    with services.db() as session:
        entry = session.scalars(select(t.AuditLog).where(t.AuditLog.action == "rules.set")
                                .order_by(t.AuditLog.id.desc())).first()
    assert entry.actor == "lena" and entry.detail["note"] == "quieter week"
    assert sorted(entry.detail["changed"]) == ["effort", "max_open_effort", "min_rest"]


def test_the_roster_shows_team_and_local_time_and_on_call_nights_over_four_weeks(client, services):
    person(services, "Kenji", login="kenji", shift=(-2, 6),
           on_call=(7, 11))  # 19:00-23:00 UTC today
    _tokyo(services)
    with transaction(services.db) as session:
        kenji = session.scalar(select(t.Staff.id).where(t.Staff.name == "Kenji"))
        for days in (7, 14):  # two more evenings in the past weeks, one outside the window
            staffing.add_shift(session=session, staff_id=kenji, start=at(7 - 24 * days),
                               end=at(11 - 24 * days), kind="on_call")
        staffing.add_shift(session=session, staff_id=kenji, start=at(7 - 24 * 28), end=at(11 - 24 * 28),
                           kind="on_call")
    add_user(services, "lena", "lead")
    _sign_in(client, "lena")
    page = client.get("/roster").text
    row = re.search(r"<tr><th scope=\"row\">Kenji.*?</tr>", page, re.S).group(0)
    assert "10:00–18:00" in row and "Wed 19:00–Thu 03:00 local" in row
    assert "on call 19:00–23:00" in row and "Thu 04:00–08:00 local" in row
    assert re.search(r'<td class="nights">3', row)
