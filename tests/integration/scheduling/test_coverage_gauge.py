"""The coverage-gap gauge counts on-call cover the way the router does: where the gauge sees a gap,
a critical item becomes a coverage gap; where it sees cover, the item is paged."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.scheduling_support import at, history, person, scored, user_id
from triage.core.clock import FixedClock
from triage.scheduling import routing
from triage.scheduling.coverage import uncovered_seconds

HORIZON = timedelta(hours=2)  # NOW is a Wednesday noon: all of it business hours


def gaps(services, hours: float) -> dict[str, float]:
    with services.db() as session:
        return uncovered_seconds(session=session, now=at(hours), horizon=HORIZON)


def test_someone_on_call_with_the_language_counts_as_cover(services):
    person(services, "Alex", login="alex", shift=(-2, 1))  # 12:00-13:00, no languages
    person(services, "Owl", login="owl", languages=("es",), shift=None, on_call=(0.5, 3))  # 12:30-15:00
    person(services, "Nolan", login=None, languages=("fr",), shift=(-2, 6))  # no login: cannot be routed

    found = gaps(services, 0)
    # any item: Alex until 13:00, then Owl on call (before, 13:00-14:00 counted as a gap)
    assert found["any"] == 0
    assert found["es"] == 30 * 60  # nobody with Spanish until Owl's on-call starts at 12:30
    assert "fr" not in found  # a language only someone without a login speaks is not routable


def test_the_gauge_and_the_router_agree_on_a_critical_item(services):
    person(services, "Alex", login="alex", shift=(-2, 1))
    person(services, "Owl", login="owl", languages=("es",), shift=None, on_call=(0.5, 3))
    scored(services, ("es1", "critical"), language="es")

    assert gaps(services, 0)["es"] > 0
    report = routing.run_once(services=services)  # at NOW: nobody with Spanish on shift or on call
    assert (report.gaps, report.pages) == (1, 0)

    services.clock = FixedClock(at(0.75))
    assert gaps(services, 0.75)["es"] == 0
    scored(services, ("es2", "critical"), language="es")
    services.clock = FixedClock(at(0.75))
    report = routing.run_once(services=services)
    assert report.pages >= 1 and report.gaps == 0
    assert {a.user_id for a in history(services, "page")} == {user_id(services, "owl")}
