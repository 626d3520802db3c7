"""Routing metrics as Prometheus scrapes them from /metrics after real routing passes: counters from
the pass, and the team's gauges (per person, limits, waits, gaps) read from the database at scrape
time by the process that serves the live gauges."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from tests.integration.helpers import add_user, bearer
from tests.integration.scheduling.test_scheduling_breaks_claims import worked
from tests.integration.scheduling_support import NOW, at, person, scored, set_rules
from triage.api.app import create_app
from triage.core.clock import FixedClock
from triage.platform import tables as t
from triage.platform.db import transaction
from triage.scheduling import routing


def scrape(client: TestClient, headers: dict[str, str]) -> dict[tuple[str, frozenset], float]:
    body = client.get("/metrics", headers=headers).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_a_routing_pass_is_visible_in_the_metrics(services):
    alex = person(services, "Alex", login="alex", shift=(-6, 2))
    # Owl speaks Spanish (a page needs the item's language) and starts 12 h on (a page keeps the rest)
    owl = person(services, "Owl", login="owl", languages=("es",), shift=(12, 20), on_call=(-1, 8))
    set_rules(services, pages_per_night=1, pages_per_week=1, warn_fraction=0.5)
    worked(services, "alex", [(-6 + 0.75 * i, -6 + 0.75 * i + 2 / 3) for i in range(7)])  # 4.7 h today
    scored(services, ("n1", "normal"), ("n2", "normal"))
    scored(services, ("fr", "normal"), language="fr")  # nobody speaks French
    scored(services, ("es1", "critical"), ("es2", "critical"), language="es")  # one page, one gap
    services.clock = FixedClock(NOW)
    headers = bearer(add_user(services, "lena", "lead"))
    with TestClient(create_app(services)) as client:
        before = scrape(client, headers)
        report = routing.run_once(services=services)
        after = scrape(client, headers)

    assert (report.assigned, report.pages, report.gaps) == (2, 1, 1)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("triage_route_assignments_total", kind="freshest_fit") == 2
    assert delta("triage_route_assignments_total", kind="relationship") == 0
    assert delta("triage_route_pages_total") == 1
    assert delta("triage_route_pass_duration_seconds_count", phase="total") == 1
    assert delta("triage_route_pass_duration_seconds_count", phase="decide") == 1
    assert value(after, "triage_route_waiting_items", kind="no_skill") == 1
    assert value(after, "triage_route_waiting_items", kind="coverage_gap") == 1
    assert value(after, "triage_route_waiting_items", kind="off_shift") == 0
    assert value(after, "triage_coverage_gaps_open") == 1
    assert value(after, "triage_staff_near_limit", limit="daily_hours") == 1
    assert value(after, "triage_staff_near_limit", limit="weekly_pages") == 1  # Owl's page, just sent
    assert round(value(after, "triage_staff_hours_week", staff_id=str(alex)), 1) == 4.7
    assert value(after, "triage_staff_pages_week", staff_id=str(owl)) == 1
    # Load against capacity, from the database: Alex holds two normal items, Owl the paged critical one.
    assert value(after, "triage_staff_open_effort", staff_id=str(alex)) == 2 * 1.0
    assert value(after, "triage_staff_open_effort", staff_id=str(owl)) == 3.0
    assert value(before, "triage_staff_open_effort", staff_id=str(alex)) == 0
    assert value(after, "triage_staff_limit", limit="open_effort") > 0
    people = {dict(labels)["staff_id"] for (name, labels) in after if name == "triage_staff_hours_week"}
    assert people == {str(alex), str(owl)}  # staff ids: one series per active person, no names


def test_the_team_gauges_follow_the_database_between_passes(services):
    """Resolving an item shows at the next scrape, with no routing pass in between."""
    alex = person(services, "Alex", login="alex", shift=(-6, 2))
    scored(services, ("n1", "normal"))
    headers = bearer(add_user(services, "lena", "lead"))
    with TestClient(create_app(services)) as client:
        assert routing.run_once(services=services).assigned == 1
        held = value(scrape(client, headers), "triage_staff_open_effort", staff_id=str(alex))
        with transaction(services.db) as session:
            session.execute(update(t.Message).values(status="resolved"))
        assert held > 0
        assert value(scrape(client, headers), "triage_staff_open_effort", staff_id=str(alex)) == 0


def test_releases_are_counted_by_reason(services):
    person(services, "Alex", login="alex", shift=(-6, 2))
    scored(services, ("n1", "normal"))
    headers = bearer(add_user(services, "lena", "lead"))
    with TestClient(create_app(services)) as client:
        assert routing.run_once(services=services).assigned == 1
        before = scrape(client, headers)
        services.clock = FixedClock(at(1))  # untouched for an hour: back to the pool
        assert routing.run_once(services=services).releases == 1
        after = scrape(client, headers)
    untouched = ("triage_route_releases_total", frozenset({("reason", "untouched")}))
    assert after.get(untouched, 0) - before.get(untouched, 0) == 1
