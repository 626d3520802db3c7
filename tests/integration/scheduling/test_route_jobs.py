"""Route jobs coalesce on real Redis: a busy runner takes over others' work, nothing waits for the tick."""

from __future__ import annotations

import pytest

from tests.integration.scheduling_support import items, person, scored, user_id
from triage.platform.queue import ROUTE, queue
from triage.scheduling import route_jobs, routing
from triage.scheduling.routing_report import RoutingReport


def test_a_job_that_finds_a_runner_busy_leaves_its_work_flagged_for_that_runner(services):
    person(services, "Alex", login="alex")
    scored(services, ("where is my order", "normal"))
    busy = services.redis.lock(route_jobs.RUNNER_KEY, timeout=60)
    assert busy.acquire(blocking=False)
    assert route_jobs.run_passes(services=services) == []  # one Redis round trip, no pass
    assert services.redis.exists(route_jobs.DIRTY_KEY)
    assert all(m.assignee_id is None for m in items(services).values())

    busy.release()  # the runner finishes its pass and looks at the flag again
    reports = route_jobs.run_passes(services=services)
    assert len(reports) == 1 and reports[0].assigned == 1
    assert not services.redis.exists(route_jobs.DIRTY_KEY)
    assert {m.assignee_id for m in items(services).values()} == {user_id(services, "alex")}


def test_work_flagged_during_a_pass_gets_one_more_pass(services, monkeypatch):
    passes = []

    def one_pass(*, services):
        passes.append(1)
        if len(passes) == 1:  # another job's batch lands while this pass runs
            services.redis.set(route_jobs.DIRTY_KEY, "1")
        return RoutingReport()

    monkeypatch.setattr(routing, "run_once", one_pass)
    assert len(route_jobs.run_passes(services=services)) == 2
    assert not services.redis.exists(route_jobs.DIRTY_KEY)
    assert not services.redis.exists(route_jobs.RUNNER_KEY)  # released for the next job


def test_a_runner_at_its_cap_hands_the_rest_to_a_fresh_job(services, monkeypatch):
    def busy_pass(*, services):
        services.redis.set(route_jobs.DIRTY_KEY, "1")  # work keeps arriving
        return RoutingReport()

    monkeypatch.setattr(routing, "run_once", busy_pass)
    before = queue(services.redis, ROUTE).count
    assert len(route_jobs.run_passes(services=services, max_passes=3)) == 3
    assert queue(services.redis, ROUTE).count == before + 1  # nothing flagged is left to the tick
    assert not services.redis.exists(route_jobs.RUNNER_KEY)


def test_between_passes_the_runner_rests_twice_as_long_as_the_last_pass_took(services, monkeypatch):
    now, rests = [0.0], []

    def pass_taking(seconds):
        def one_pass(*, services):
            now[0] += seconds.pop(0)
            if seconds:  # work keeps arriving while this pass runs
                services.redis.set(route_jobs.DIRTY_KEY, "1")
            return RoutingReport()
        return one_pass

    def sleep(seconds):
        rests.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(routing, "run_once", pass_taking([0.02, 1.0, 4.0]))
    reports = route_jobs.run_passes(services=services, clock=lambda: now[0], sleep=sleep)
    assert len(reports) == 3
    # no rest after the last pass: nothing else was flagged; a long pass rests at most MAX_REST
    assert rests == pytest.approx([0.04, 2.0])
    monkeypatch.setattr(routing, "run_once", pass_taking([4.0, 0.5]))
    rests.clear()
    route_jobs.run_passes(services=services, clock=lambda: now[0], sleep=sleep)
    assert rests == [route_jobs.MAX_REST]
