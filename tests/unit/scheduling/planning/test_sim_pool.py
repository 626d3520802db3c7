"""The replay shows the router the items it would rank first, not merely the oldest."""

from datetime import UTC, datetime, timedelta

from triage.scheduling.planning.scenario import Arrival
from triage.scheduling.planning.sim_people import SimItem
from triage.scheduling.planning.sim_pool import Pool

NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)
DUE = {"high": NOW - timedelta(hours=2)}  # received before this, a high item is past its target


def high(iid: str, minutes_ago: float) -> SimItem:
    return SimItem(Arrival(iid, NOW - timedelta(minutes=minutes_ago), "high", "en", "a1", 0.3, 12.0), 12.0)


def heads(pool: Pool, n: int) -> list[str]:
    ((_, head, behind),) = list(pool.heads(lambda _: n, DUE))
    return [i.arrival.id for i in head] + [f"+{behind}"]


def test_items_that_can_still_meet_their_target_come_first_closest_to_it_first():
    pool = Pool()
    for iid, ago in (("old1", 300), ("old2", 200), ("f1", 100), ("f2", 60), ("f3", 10)):
        pool.add(high(iid, ago))
    assert heads(pool, 2) == ["f1", "f2", "+3"]
    assert heads(pool, 4) == ["f1", "f2", "f3", "old1", "+1"]


def test_items_that_left_or_came_back_are_counted_once_in_their_place():
    pool = Pool()
    items = {iid: high(iid, ago) for iid, ago in (("old1", 300), ("f1", 100), ("f2", 60), ("f3", 10))}
    for item in items.values():
        pool.add(item)
    pool.remove("f1")
    assert heads(pool, 2) == ["f2", "f3", "+1"]
    pool.add(items["f1"])  # handed back: still inside its target
    pool.remove("f3")
    assert heads(pool, 2) == ["f2", "f1", "+1"]  # the one past its target waits
    assert len(pool) == 3


def test_an_urgency_without_a_due_time_shows_its_oldest():
    pool = Pool()
    for iid, ago in (("old", 3000), ("new", 10)):
        pool.add(SimItem(Arrival(iid, NOW - timedelta(minutes=ago), "normal", "en", "a1", 0.3, 6.0), 6.0))
    ((_, head, behind),) = list(pool.heads(lambda _: 1, DUE))
    assert [i.arrival.id for i in head] == ["old"] and behind == 1
