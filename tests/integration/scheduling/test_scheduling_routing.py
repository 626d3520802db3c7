"""The routing job on real Redis and SQLite/PostgreSQL: assignments within limits, waits with reasons."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from tests.integration.helpers import run_jobs
from tests.integration.scheduling_support import (
    NOW,
    at,
    history,
    items,
    person,
    scored,
    set_rules,
    user_id,
)
from triage import pipeline
from triage.core.clock import FixedClock
from triage.platform.db import transaction
from triage.platform.queue import ROUTE, enqueue, queue
from triage.scheduling import routing, staffing


def test_the_route_job_assigns_within_capacity_and_records_the_reason(services):
    person(services, "Alex", login="alex")
    set_rules(services, max_open_effort=3.0)  # three normal items at once, no more
    ids = scored(services, *[(f"n{i}", "normal") for i in range(5)])
    enqueue(services.redis, ROUTE, pipeline.ROUTE_JOB, ids)
    run_jobs(services)

    got = items(services)
    alex = user_id(services, "alex")
    held = [m for m in got.values() if m.assignee_id == alex]
    assert len(held) == 3 and all(m.stage == "routed" and m.status == "open" for m in held)
    waiting = [m for m in got.values() if m.assignee_id is None]
    assert len(waiting) == 2
    assert all("at a limit: 1 at capacity" in m.routing.wait_reason for m in waiting)
    assigns = history(services, "assign")
    assert len(assigns) == 3 and {a.actor for a in assigns} == {"router"}
    assert all("freshest fit on shift" in a.note for a in assigns)


def test_an_item_in_a_language_nobody_on_shift_speaks_waits_until_the_next_shift(services):
    person(services, "Alex", login="alex", languages=("en",))
    person(services, "Bea", login="bea", languages=("es",), shift=(20, 28))  # starts 08:00 tomorrow
    scored(services, ("hola", "normal"), language="es")
    report = routing.run_once(services=services)

    assert report.assigned == 0 and report.waiting == 1
    reason = items(services)["hola"].routing.wait_reason
    assert reason == "no one on shift with skill 'es' until Thu 08:00"


def test_nobody_gets_work_outside_their_shift_and_work_in_hand_is_handed_off_at_shift_end(services):
    person(services, "Early", login="early", shift=(-9, -1))  # ended an hour ago
    person(services, "Later", login="later", shift=(3, 11))
    scored(services, ("a", "high"), ("b", "normal"))
    assert routing.run_once(services=services).assigned == 0
    assert all(m.assignee_id is None for m in items(services).values())

    services.clock = FixedClock(at(4))  # Later is on shift now: takes both
    assert routing.run_once(services=services).assigned == 2
    services.clock = FixedClock(at(11.5))  # Later's shift is over: the unfinished work goes back
    report = routing.run_once(services=services)
    assert report.releases == 2 and report.assigned == 0
    handoffs = history(services, "handoff")
    assert len(handoffs) == 2 and all(h.note.startswith("handoff from Later: shift ended") for h in handoffs)
    assert all(m.assignee_id is None for m in items(services).values())


def test_staff_without_a_login_cannot_be_assigned_and_the_wait_says_so(services):
    person(services, "Nolan")  # on shift, but no login to receive work
    scored(services, ("x", "normal"))
    report = routing.run_once(services=services)
    assert report.assigned == 0
    assert "Nolan on shift without a login, so cannot be assigned" in items(services)["x"].routing.wait_reason


def test_passes_are_idempotent_and_safe_when_run_concurrently(services):
    person(services, "Alex", login="alex")
    person(services, "Bo", login="bo")
    scored(services, *[(f"n{i}", "normal") for i in range(6)])
    threads = [threading.Thread(target=routing.run_once, kwargs={"services": services}) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    routing.run_once(services=services)

    assigns = history(services, "assign")
    per_item = Counter(a.message_id for a in assigns)
    assert len(per_item) == 6 and set(per_item.values()) == {1}
    assert Counter(a.user_id for a in assigns) == {user_id(services, "alex"): 3, user_id(services, "bo"): 3}


def test_a_critical_item_outside_every_shift_pages_on_call_then_becomes_a_gap(services):
    person(services, "Owl", login="owl", shift=(12, 20), on_call=(-1, 8))  # 12 h on: a page keeps the rest
    set_rules(services, pages_per_night=1, pages_per_week=1)
    scored(services, ("fire1", "critical"), ("fire2", "critical"))
    report = routing.run_once(services=services)

    assert report.pages == 1 and report.gaps == 1
    got = items(services)
    paged = [m for m in got.values() if m.assignee_id == user_id(services, "owl")]
    assert len(paged) == 1 and len(history(services, "page")) == 1
    gap = next(m for m in got.values() if m.assignee_id is None)
    assert "page budget spent" in gap.routing.wait_reason


def test_a_page_never_goes_to_someone_without_the_items_language(services):
    person(services, "Owl", login="owl", languages=("en",), shift=(12, 20), on_call=(-1, 8))
    scored(services, ("fuego", "critical"), language="es")
    report = routing.run_once(services=services)
    assert report.pages == 0 and report.gaps == 1
    gap = next(iter(items(services).values()))
    assert gap.assignee_id is None and "with 'es'" in gap.routing.wait_reason


def test_resolving_frees_capacity_and_queues_a_routing_pass(services):
    from fastapi.testclient import TestClient

    from tests.integration.helpers import add_user, bearer
    from triage.api.app import create_app

    person(services, "Alex", login="alex")
    set_rules(services, max_open_effort=3.0)
    scored(services, ("h1", "high"), ("n1", "normal"), ("n2", "normal"))
    routing.run_once(services=services)
    got = items(services)
    assert got["h1"].assignee_id and got["n1"].assignee_id and got["n2"].assignee_id is None
    lead = add_user(services, "lena", "lead")
    with TestClient(create_app(services)) as client:
        r = client.post(f"/api/inbox/{got['h1'].id}/resolve", headers=bearer(lead))
        assert r.status_code == 200
    assert queue(services.redis, ROUTE).count == 1
    services.clock = FixedClock(NOW + timedelta(minutes=1))
    run_jobs(services)
    assert items(services)["n2"].assignee_id == user_id(services, "alex")


def test_work_a_person_claimed_themselves_is_not_taken_back_at_shift_end(services):
    from triage.inbox import service as inbox_service
    from triage.platform import tables as t
    from triage.platform.db import transaction

    person(services, "Alex", login="alex", shift=(-7, 1))
    scored(services, ("mine", "normal"))
    with transaction(services.db) as session:
        inbox_service.act(session=session, item_id=items(services)["mine"].id, action="claim", now=NOW,
                          user=session.get(t.User, user_id(services, "alex")))
    services.clock = FixedClock(at(2))  # Alex's shift is over
    assert routing.run_once(services=services).releases == 0
    assert items(services)["mine"].assignee_id == user_id(services, "alex")


def test_a_page_counts_the_shift_already_worked_today_toward_the_daily_limit(services):
    person(services, "Owl", login="owl", shift=(-11, -2), on_call=(-1, 8))  # 9 h at work today already
    set_rules(services, max_hours_per_day=9)
    scored(services, ("fire", "critical"))
    report = routing.run_once(services=services)

    assert report.pages == 0 and report.gaps == 1
    assert "daily hours (time at work)" in items(services)["fire"].routing.wait_reason


def test_a_page_that_would_make_a_seventh_working_day_in_a_row_becomes_a_gap(services):
    def worked_days_before(days: int) -> int:
        owl = person(services, f"Owl{days}", login=f"owl{days}", shift=None, on_call=(-1, 8))
        with transaction(services.db) as session:
            for k in range(1, days + 1):  # a 3-hour morning shift on each of the days before today
                staffing.add_shift(session=session, staff_id=owl, start=at(-24 * k - 5), end=at(-24 * k - 2))
        return owl

    worked_days_before(6)
    set_rules(services, max_consecutive_days=6)
    scored(services, ("fire", "critical"))
    report = routing.run_once(services=services)
    assert report.pages == 0 and report.gaps == 1
    assert "working days in a row" in items(services)["fire"].routing.wait_reason

    worked_days_before(5)  # for this one a page makes a 6th day: allowed
    scored(services, ("fire2", "critical"))
    report = routing.run_once(services=services)
    holders = {m.assignee_id for m in items(services).values()}
    assert report.pages >= 1 and user_id(services, "owl5") in holders
    assert user_id(services, "owl6") not in holders
