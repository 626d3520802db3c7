"""Breaks and manual claims in the running product, on real Redis and SQLite/PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.helpers import add_user, bearer
from tests.integration.scheduling_support import NOW, at, items, person, scored, user_id
from triage.accounts import store as users_repo
from triage.api.app import create_app
from triage.core.clock import FixedClock
from triage.platform import tables as t
from triage.platform.db import transaction
from triage.scheduling import routing


@pytest.fixture
def client(services):
    services.clock = FixedClock(NOW)
    with TestClient(create_app(services)) as c:
        yield c


def token(services, username: str) -> dict[str, str]:
    """A bearer header for a login `person()` created."""
    with transaction(services.db) as session:
        user = users_repo.get_by_username(session=session, username=username)
        return bearer(users_repo.issue_token(session=session, user=user, name="test", now=NOW))


def worked(services, username: str, stretches: list[tuple[float, float]]) -> None:
    """Handling history: one claim-resolve pair per (start, end), in hours from NOW."""
    scored(services, ("history", "normal"), received=at(-12))
    with transaction(services.db) as session:
        mid = session.scalar(select(t.Message.id).where(t.Message.external_id == "history"))
        uid = user_id(services, username)
        for start, end in stretches:
            for action, moment in (("claim", start), ("release", end)):
                session.add(t.Assignment(message_id=mid, user_id=uid, action=action, actor=username,
                                         at=at(moment)))
        session.execute(t.Message.__table__.update().where(t.Message.id == mid).values(status="resolved"))


def test_a_break_taken_from_the_api_stops_new_assignments_until_it_ends(client, services):
    person(services, "Alex", login="alex")
    alex = token(services, "alex")
    r = client.post("/api/breaks", headers=alex, json={})
    assert r.status_code == 201 and r.json()["end"].startswith("2026-11-18T12:30")
    assert client.post("/api/breaks", headers=alex, json={}).status_code == 409  # already on one
    scored(services, ("q", "normal"))
    assert routing.run_once(services=services).assigned == 0
    assert items(services)["q"].routing.wait_reason == "all 1 on shift are at a limit: 1 on a break"
    [me] = client.get("/api/hours", headers=alex).json()["people"]
    assert me["on_break_until"].startswith("2026-11-18T12:30")
    assert [(b["kind"], b["minutes"]) for b in me["breaks"]] == [("taken", 30)]

    services.clock = FixedClock(at(0.5))  # the break is over: work flows again
    assert routing.run_once(services=services).assigned == 1


def test_six_hours_of_handling_without_a_break_stop_assignments_until_an_idle_break(client, services):
    person(services, "Alex", login="alex", shift=(-7, 2))
    # From 05:30 to 11:55, with 5-minute pauses: six and a half hours, no break.
    worked(services, "alex", [(-6.5 + i * 0.5, -6.5 + i * 0.5 + 0.42) for i in range(13)])
    scored(services, ("q", "normal"))
    assert routing.run_once(services=services).assigned == 0
    assert "1 due a break" in items(services)["q"].routing.wait_reason

    services.clock = FixedClock(at(0.5))  # half an hour with nothing in hand is the break
    assert routing.run_once(services=services).assigned == 1
    [me] = client.get("/api/hours", headers=token(services, "alex")).json()["people"]
    assert [(b["kind"], b["ongoing"]) for b in me["breaks"]] == [("idle", True)]


def test_the_hours_page_shows_breaks_and_a_take_a_break_button(client, services):
    from tests.integration.scheduling.test_scheduling_api import _sign_in

    person(services, "Alex", login="alex", shift=(-4, 4))
    worked(services, "alex", [(-3, -2.5), (-1.75, -1.25)])  # idle 09:30-10:15, and since 10:45
    csrf = _sign_in(client, "alex")
    page = client.get("/hours").text
    assert "09:30–10:15 (45 min, idle)" in page and "10:45–now (75 min, idle)" in page
    assert 'id="take-break"' in page
    r = client.post("/hours/break", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/hours").text
    assert 'id="on-break"' in page and "On a break until <strong>12:30</strong>" in page
    client.post("/hours/break/end", data={"csrf_token": csrf})
    assert 'id="take-break"' in client.get("/hours").text


def test_an_agent_cannot_take_an_item_the_router_gave_someone_else(client, services):
    person(services, "Alex", login="alex")
    person(services, "Bo", login="bo", shift=(1, 9))  # not on shift yet: Alex gets the item
    scored(services, ("q", "normal"))
    assert routing.run_once(services=services).assigned == 1
    item = items(services)["q"]
    assert item.assignee_id == user_id(services, "alex") and item.status == "open"

    bo = client.post(f"/api/inbox/{item.id}/claim", headers=token(services, "bo"))
    assert bo.status_code == 409
    assert bo.json()["detail"] == ("item is assigned to Alex (alex), who has not started it;"
                                   " only they or a lead can take it")
    assert client.post(f"/api/inbox/{item.id}/claim", headers=token(services, "alex")).status_code == 200
    bo = client.post(f"/api/inbox/{item.id}/claim", headers=token(services, "bo"))
    assert bo.status_code == 409 and "claimed by someone else (Alex (alex))" in bo.json()["detail"]

    lead = bearer(add_user(services, "lena", "lead"))  # not on the staff list: no limits to check
    taken = client.post(f"/api/inbox/{item.id}/claim", headers=lead, json={"note": "Alex is swamped"})
    assert taken.status_code == 200 and taken.json()["assignee"] == "lena"
    with services.db() as session:
        entry = session.scalars(select(t.AuditLog).where(t.AuditLog.action == "claim.reassign")).one()
    assert entry.actor == "lena" and entry.detail == {"from": "Alex (alex)", "note": "Alex is swamped"}


def test_a_claim_past_the_claimers_own_limits_is_refused_with_the_reason(client, services):
    person(services, "Alex", login="alex", shift=(1, 9))
    scored(services, ("c1", "critical"), ("c2", "critical"), ("c3", "critical"))
    got = items(services)
    alex = token(services, "alex")
    off = client.post(f"/api/inbox/{got['c1'].id}/claim", headers=alex)
    assert off.status_code == 409
    assert off.json()["detail"] == ("cannot claim: Alex is off shift; next shift starts 13:00;"
                                    " a lead can take it past the limit with a reason")

    services.clock = FixedClock(at(2))
    for ext in ("c1", "c2"):
        assert client.post(f"/api/inbox/{got[ext].id}/claim", headers=alex).status_code == 200
    full = client.post(f"/api/inbox/{got['c3'].id}/claim", headers=alex)
    assert full.status_code == 409
    assert "Alex is at capacity: open effort 6 + 3 for this critical item is over 6" in full.json()["detail"]
    assert items(services)["c3"].assignee_id is None


def test_a_lead_on_the_staff_list_claims_past_a_limit_only_with_an_audited_reason(client, services):
    person(services, "Lena", login="lena", role="lead", shift=(3, 11))  # off shift now
    scored(services, ("fire", "critical"))
    mid = items(services)["fire"].id
    lena = token(services, "lena")
    refused = client.post(f"/api/inbox/{mid}/claim", headers=lena)
    assert refused.status_code == 409 and refused.json()["detail"].endswith(
        "give a reason (note) to claim past the limit")
    ok = client.post(f"/api/inbox/{mid}/claim", headers=lena, json={"note": "press is calling"})
    assert ok.status_code == 200 and ok.json()["status"] == "claimed"
    with services.db() as session:
        entry = session.scalars(select(t.AuditLog).where(t.AuditLog.action == "claim.limit_override")).one()
    assert entry.detail["limit"] == "off_shift" and entry.detail["reason"] == "press is calling"


def test_claims_outside_the_scheduler_work_as_before(client, services):
    scored(services, ("q", "normal"))  # no staff at all: the inbox is worked by hand
    agent = bearer(add_user(services, "sam"))
    assert client.post(f"/api/inbox/{items(services)['q'].id}/claim", headers=agent).status_code == 200


def test_hours_warn_at_the_fraction_a_lead_sets(client, services):
    from tests.integration.scheduling_support import set_rules

    person(services, "Alex", login="alex", shift=(-6, 2))
    set_rules(services, warn_fraction=0.5)
    worked(services, "alex", [(-6 + 0.75 * i, -6 + 0.75 * i + 2 / 3) for i in range(7)])  # 4.7 h
    body = client.get("/api/hours", headers=token(services, "alex")).json()
    assert body["warn_fraction"] == 0.5
    [me] = body["people"]
    assert me["warnings"] == ["Alex is close to the daily hours limit: 4.7 of 9 h today"]
