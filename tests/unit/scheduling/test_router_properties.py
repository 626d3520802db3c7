"""For random staff, rules and backlogs the router never breaks a hard rule (checked independently)."""

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.scheduling.helpers import NOW
from triage.core.scoring import URGENCIES
from triage.scheduling.domain.router import route
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import OpenItem, PersonState, Snapshot, WaitingItem
from triage.scheduling.domain.staff import Interval

SKILLS = ("en", "es", "email", "x")
MIN = timedelta(minutes=1)

rules_st = st.builds(
    StaffingRules,
    max_open_effort=st.sampled_from([3.0, 4.0, 6.0, 9.0]),
    max_hours_per_day=st.sampled_from([4.0, 8.0, 9.0]),
    max_hours_per_week=st.sampled_from([10.0, 40.0]),
    break_after=st.sampled_from([timedelta(hours=2), timedelta(hours=6)]),
    no_new_in_last=st.sampled_from([timedelta(minutes=15), timedelta(minutes=60)]),
    interruptions_per_hour=st.integers(1, 10),
    pages_per_night=st.integers(0, 2),
    pages_per_week=st.integers(2, 5),
    low_batch_size=st.integers(1, 4),
    stale_after=st.sampled_from([timedelta(minutes=20), timedelta(minutes=45)]),
)


@st.composite
def open_items(draw, pid):
    n = draw(st.integers(0, 3))
    out = []
    for k in range(n):
        ago = draw(st.integers(1, 120))
        started = draw(st.booleans())
        out.append(OpenItem(f"{pid}-o{k}", draw(st.sampled_from(URGENCIES)), NOW - ago * MIN,
                            NOW - ago * MIN if started else None, via_page=draw(st.booleans())))
    return tuple(out)


@st.composite
def people(draw):
    out = []
    for n in range(draw(st.integers(1, 6))):
        pid = f"p{n}"
        start = draw(st.integers(-600, 120))
        length = draw(st.sampled_from([240, 480, 540]))
        shifts = (Interval(NOW + start * MIN, NOW + (start + length) * MIN),) if draw(st.booleans()) \
            or start < 0 else ()
        on_call = (Interval(NOW - 60 * MIN, NOW + 600 * MIN),) if draw(st.booleans()) else ()
        brk = draw(st.one_of(st.none(), st.integers(0, 300)))
        out.append(PersonState(
            pid, frozenset(draw(st.sets(st.sampled_from(SKILLS), max_size=4))), shifts,
            draw(open_items(pid)), hours_today=draw(st.floats(0, 9)), hours_week=draw(st.floats(0, 40)),
            assigned_last_hour=draw(st.integers(0, 10)),
            last_break_end=None if brk is None else NOW - brk * MIN,
            on_break_until=NOW + 5 * MIN if draw(st.integers(0, 9)) == 0 else None,
            relationships=frozenset(draw(st.sets(st.sampled_from(["a1", "a2", "a3"]), max_size=2))),
            on_call=on_call, pages_tonight=draw(st.integers(0, 2)), pages_week=draw(st.integers(0, 5))))
    return tuple(out)


@st.composite
def backlogs(draw):
    out = []
    for k in range(draw(st.integers(0, 25))):
        waited = draw(st.integers(0, 300))
        out.append(WaitingItem(f"w{k}", draw(st.sampled_from(URGENCIES)), draw(st.floats(0, 100)),
                               NOW - waited * MIN,
                               frozenset(draw(st.sets(st.sampled_from(SKILLS), max_size=2))),
                               draw(st.sampled_from([None, "a1", "a2", "a3"]))))
    return tuple(out)


def kept_items(person, decision):
    released = {r.item_id for r in decision.releases}
    return [i for i in person.open_items if i.id not in released]


def check_person(person, taken, decision, rules):
    """Every hard rule, recomputed from the snapshot without the router's own helpers."""
    if not taken:
        return
    shift = next(s for s in person.shifts if s.start <= NOW < s.end)  # StopIteration = off shift
    if NOW >= shift.end - rules.no_new_in_last:  # the last minutes: only urgent work that fits in them
        assert all(i.urgency in ("critical", "high") and shift.end - NOW >= rules.handling[i.urgency]
                   for i in taken), taken
    assert person.on_break_until is None or person.on_break_until <= NOW
    since = max(shift.start, person.last_break_end or shift.start)
    assert NOW - since < rules.break_after
    assert person.assigned_last_hour + len(taken) <= rules.interruptions_per_hour
    work = kept_items(person, decision) + taken
    assert sum(rules.effort[i.urgency] for i in work) <= rules.max_open_effort + 1e-9
    hours = sum((rules.handling[i.urgency] for i in work), timedelta(0)) / timedelta(hours=1)
    assert person.hours_today + hours <= rules.max_hours_per_day + 1e-9
    assert person.hours_week + hours <= rules.max_hours_per_week + 1e-9
    for i in taken:
        assert i.required_skills <= person.skills


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rules_st, staff=people(), waiting=backlogs())
def test_the_router_never_breaks_a_hard_rule(rules, staff, waiting):
    decision = route(Snapshot(waiting, staff), rules, NOW)
    everything = {i.id: i for i in waiting}
    for p in staff:
        for i in p.open_items:
            everything[i.id] = i
    by_person = {p.id: p for p in staff}
    taken: dict[str, list] = {p.id: [] for p in staff}
    for a in decision.assignments:
        taken[a.person_id].append(everything[a.item_id])
    for pid, items in taken.items():
        check_person(by_person[pid], items, decision, rules)
    pages = Counter(p.person_id for p in decision.pages)
    for pid, n in pages.items():
        person = by_person[pid]
        assert any(w.contains(NOW) for w in person.on_call)
        assert person.pages_tonight + n <= rules.pages_per_night
        assert person.pages_week + n <= rules.pages_per_week


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rules_st, staff=people(), waiting=backlogs())
def test_every_item_has_one_outcome_and_work_in_hand_is_only_released_for_a_reason(rules, staff, waiting):
    decision = route(Snapshot(waiting, staff), rules, NOW)
    assigned = [a.item_id for a in decision.assignments]
    assert len(assigned) == len(set(assigned))
    released = {r.item_id for r in decision.releases}
    outcomes = (assigned + [i for w in decision.waits for i in w.item_ids]
                + [p.item_id for p in decision.pages] + [g.item_id for g in decision.gaps])
    assert sorted(outcomes) == sorted([i.id for i in waiting] + list(released))
    rank = {u: n for n, u in enumerate(("critical", "high", "normal", "low"))}
    kinds = {r.item_id: r.kind for r in decision.releases}
    # what p was given may be waiting work or work another person let go in this pass
    urgency_of = {i.id: i.urgency for i in waiting} | {o.id: o.urgency for q in staff for o in q.open_items}
    for p in staff:
        on_shift = any(s.contains(NOW) for s in p.shifts)
        urgent_taken = [urgency_of[a.item_id] for a in decision.assignments if a.person_id == p.id]
        for i in p.open_items:
            if i.id not in released:
                continue
            assert not i.via_page
            if kinds[i.id] == "preempted":  # only unstarted work, for a more urgent item given to p
                assert i.started_at is None
                assert any(rank[u] < rank[i.urgency] for u in urgent_taken)
            else:
                assert not on_shift or (i.started_at is None and NOW - i.assigned_at >= rules.stale_after)
    back_to_holder = [a for a in decision.assignments if a.item_id in released
                      and any(r.item_id == a.item_id and r.person_id == a.person_id
                              for r in decision.releases)]
    assert back_to_holder == []


@settings(max_examples=60, deadline=None)
@given(staff=people(), waiting=backlogs())
def test_pages_only_go_to_critical_items_with_nobody_on_shift_who_has_the_skills(staff, waiting):
    decision = route(Snapshot(waiting, staff), StaffingRules(), NOW)
    by_id = {i.id: i for i in waiting} | {i.id: i for p in staff for i in p.open_items}
    for page in decision.pages + decision.gaps:
        wanted = by_id[page.item_id]
        assert wanted.urgency == "critical"
        assert not any(wanted.required_skills <= p.skills and any(s.contains(NOW) for s in p.shifts)
                       for p in staff)


def _fits_instead(person, decision, rules, by_id, drop, add) -> bool:
    """Could `person` have taken `add` in place of `drop`, within every limit the router applies?

    `by_id` holds the waiting items and everyone's open items, so work handed over in this pass
    (another person's shift ended) counts toward the load it adds.
    """
    work = kept_items(person, decision) + [by_id[a.item_id] for a in decision.assignments
                                           if a.person_id == person.id]
    work = [i for i in work if i.id != drop.id] + [add]
    hours = sum(rules.handling_hours[i.urgency] for i in work)
    return (add.required_skills <= person.skills and add.previous_holder != person.id
            and sum(rules.effort[i.urgency] for i in work) <= rules.max_open_effort + 1e-9
            and person.hours_today + hours <= rules.max_hours_per_day + 1e-9
            and person.hours_week + hours <= rules.max_hours_per_week + 1e-9)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rules_st, staff=people(), waiting=backlogs())
def test_nobody_is_given_less_urgent_work_while_more_urgent_work_they_could_take_waits(rules, staff, waiting):
    decision = route(Snapshot(waiting, staff), rules, NOW)
    rank = {u: n for n, u in enumerate(URGENCIES)}
    by_id = {i.id: i for i in waiting}
    left = [by_id[i] for w in decision.waits for i in w.item_ids if i in by_id]
    by_person = {p.id: p for p in staff}
    everything = by_id | {o.id: o for p in staff for o in p.open_items}
    for a in decision.assignments:
        given = by_id.get(a.item_id)
        if given is None:
            continue
        person = by_person[a.person_id]
        for waiting_item in left:
            if rank[waiting_item.urgency] < rank[given.urgency] and waiting_item.priority > given.priority:
                assert not _fits_instead(person, decision, rules, everything, given, waiting_item), (
                    f"{a.person_id} got {given.urgency} {given.id} while {waiting_item.urgency}"
                    f" {waiting_item.id} waited")
