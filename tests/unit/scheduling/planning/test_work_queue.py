"""A person's queue hands out the same next item as a scan of the queue would, in any sequence of
appends, pages, hand-backs and takes (the heap only makes it cheap): paged first, then the most urgent
in the order given."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.staff import Interval, Staff
from triage.scheduling.planning.scenario import Arrival
from triage.scheduling.planning.sim_people import URGENCY_RANK, SimItem, SimPerson, WorkQueue

T0 = datetime(2026, 3, 2, tzinfo=UTC)
URGENCIES = tuple(URGENCY_RANK)


def _item(n: int, urgency: str, minute: int, paged: bool) -> SimItem:
    item = SimItem(Arrival(f"m{n}", T0 + timedelta(minutes=minute), urgency, "en", "a", 0.3, 5.0), 5.0)
    item.via_page = paged
    return item


def _reference_next(order: list[SimItem]) -> SimItem | None:
    """First paged item in order, else the first of the most urgent in order."""
    for item in order:
        if item.via_page:
            return item
    best = None
    for item in order:
        if best is None or URGENCY_RANK[item.arrival.urgency] < URGENCY_RANK[best.arrival.urgency]:
            best = item
    return best


ops = st.lists(st.tuples(st.sampled_from(["add", "add", "add", "page", "remove", "take", "clear"]),
                         st.sampled_from(URGENCIES), st.integers(0, 30), st.integers(0, 10_000)),
               max_size=80)


@settings(max_examples=300, deadline=None)
@given(ops)
def test_the_next_item_is_what_a_scan_of_the_queue_would_pick(steps):
    queue, order, pool = WorkQueue(), [], []  # `pool`: items handed back, which may be given again
    for n, (op, urgency, minute, pick) in enumerate(steps):
        if op == "add":
            item = pool.pop(pick % len(pool)) if pool and pick % 3 == 0 else _item(n, urgency, minute, False)
            queue.append(item)
            order.append(item)
        elif op == "page":
            item = _item(n, "critical", minute, True)
            queue.appendleft(item)
            order.insert(0, item)
        elif op == "remove" and order:
            item = order.pop(pick % len(order))
            queue.remove(item)
            pool.append(item)
        elif op == "take":
            expected = _reference_next(order)
            got = queue.paged() or queue.most_urgent()
            assert got is expected
            if expected is not None:
                queue.remove(got)
                order.remove(expected)
        elif op == "clear":
            queue.clear()
            order.clear()
        assert list(queue) == order and len(queue) == len(order)
        assert all(i in queue for i in order) and not any(i in queue for i in pool)


def test_removing_an_item_that_is_not_there_is_an_error_as_for_a_deque():
    queue = WorkQueue([_item(1, "high", 0, False)])
    try:
        queue.remove(_item(2, "high", 0, False))
    except ValueError:
        return
    raise AssertionError("no error")


def test_an_item_given_back_again_waits_behind_its_equals_given_meanwhile():
    a, b = _item(1, "high", 5, False), _item(2, "high", 9, False)
    queue = WorkQueue([a, b])
    queue.remove(a)  # handed back, then given to the same person again
    queue.append(a)
    assert queue.most_urgent() is b and list(queue) == [b, a]


def test_a_person_given_a_late_critical_and_a_fresh_one_starts_the_fresh_one_first():
    """The router hands out a critical that can still meet its target before one already late, and its
    soonest-start estimate counts on that order; oldest first would start the late one and miss both."""
    now = T0 + timedelta(hours=13)
    fresh, late = _item(1, "critical", 13 * 60 - 2, False), _item(2, "critical", 8 * 60, False)
    shift = Interval(T0 + timedelta(hours=12), now + timedelta(hours=7))
    person = SimPerson(Staff(id="eva", name="Eva"), [shift], [])
    person.queue.append(fresh)  # the router's order: savable first
    person.queue.append(late)
    person.work(now, now + timedelta(minutes=2), rules=StaffingRules(), always=False)
    assert person.current is fresh and fresh.started_at == now and late.started_at is None
