"""A routing pass with a poison item in it (SQLite and PostgreSQL): the item is set aside with its
reason and a metric, and every other item is routed; the next passes leave it alone."""

from __future__ import annotations

from prometheus_client import REGISTRY
from rq.registry import FailedJobRegistry
from sqlalchemy import update

from tests.integration.helpers import run_jobs
from tests.integration.scheduling_support import NOW, items, person, scored, user_id
from triage import pipeline
from triage.platform import tables as t
from triage.platform.db import transaction
from triage.platform.queue import ROUTE, enqueue, queue
from triage.scheduling import routing, routing_isolation
from triage.scheduling.domain.snapshot import RoutingDecision, Wait


def quarantined_by_routing() -> float:
    return REGISTRY.get_sample_value("triage_messages_quarantined_total", {"stage": "route"}) or 0.0


def poison(services, message_id: int, **values) -> None:
    """An urgency outside the four (an old label, a custom scorer's): the router has no limits for it."""
    with transaction(services.db) as session:
        session.execute(update(t.Message).where(t.Message.id == message_id).values(
            urgency="urgent", **values))


def test_a_waiting_item_the_router_raises_on_is_set_aside_and_the_rest_are_routed(services):
    person(services, "Alex", login="alex")
    ids = scored(services, ("a", "normal"), ("bad", "normal"), ("c", "high"), ("d", "normal"))
    poison(services, ids[1])
    before = quarantined_by_routing()
    enqueue(services.redis, ROUTE, pipeline.ROUTE_JOB, ids)
    run_jobs(services)

    assert FailedJobRegistry(queue=queue(services.redis, ROUTE)).count == 0  # the job succeeded
    got = items(services)
    alex = user_id(services, "alex")
    assert {ext for ext, m in got.items() if m.assignee_id == alex} == {"a", "c", "d"}
    assert got["bad"].assignee_id is None
    set_aside = services.buffer.quarantined_stored()
    assert set_aside == {ids[1]: {"stage": "route", "error": "KeyError: 'urgent'"}}
    assert quarantined_by_routing() == before + 1
    again = routing.run_once(services=services)  # set aside: no second hunt, no second count
    assert again.set_aside == {} and quarantined_by_routing() == before + 1


def test_a_held_item_the_router_raises_on_does_not_stop_routing_for_everyone(services):
    person(services, "Alex", login="alex")
    person(services, "Bea", login="bea")
    ids = scored(services, ("held", "normal"), ("a", "normal"), ("b", "high"))
    poison(services, ids[0], assignee_id=user_id(services, "alex"), status="claimed")

    report = routing.run_once(services=services)
    assert report.set_aside == {str(ids[0]): "KeyError: 'urgent'"}
    got = items(services)
    assert got["a"].assignee_id is not None and got["b"].assignee_id is not None
    assert got["held"].assignee_id == user_id(services, "alex")  # still theirs, untouched


def test_an_item_whose_writes_fail_is_set_aside_and_the_others_are_written(services):
    # A message deleted while the pass ran (a purge, an admin): its note breaks the foreign key.
    ids = scored(services, ("a", "normal"), ("b", "normal"))
    gone = str(max(ids) + 1000)
    decision = RoutingDecision(waits=(Wait("no one on shift", None, (str(ids[0]), gone, str(ids[1])),
                                            "off_shift"),), rules_version=1)
    with transaction(services.db) as session:
        ctx = routing._Context(user_of={}, unlinked_on_shift=[], notes={})
        report, bad = routing_isolation.apply_isolating(routing.apply_decision, session=session,
                                                        decision=decision, ctx=ctx, now=NOW)
    assert list(bad) == [gone] and "IntegrityError" in bad[gone]
    assert report.waiting == 2 and report.reasons == {"no one on shift": 2}
    got = items(services)
    assert got["a"].routing.wait_reason == got["b"].routing.wait_reason == "no one on shift"
