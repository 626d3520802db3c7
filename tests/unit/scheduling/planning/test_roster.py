from datetime import datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from triage.scheduling.domain.rules import ShiftTemplate, StaffingRules
from triage.scheduling.domain.staff import Interval, Preferences, Skills, Staff
from triage.scheduling.planning.roster import plan_roster
from triage.scheduling.planning.roster_model import ANY, RosterHistory, RosterRequest

MONDAY = datetime(2026, 3, 2, tzinfo=ZoneInfo("UTC"))
TEMPLATES = (ShiftTemplate("early", time(6), 8), ShiftTemplate("late", time(14), 8),
             ShiftTemplate("night", time(22), 8))
RULES = StaffingRules()


def people(n: int, **kw) -> list[Staff]:
    kw = {"night_opt_in": True, **kw}  # these teams may work nights; local-night rules are tested apart
    return [Staff(id=f"p{i}", name=f"P{i}", skills=Skills(languages=frozenset({"en"})), **kw)
            for i in range(n)]


def around_the_clock(n: int) -> dict[str, list[int]]:
    return {ANY: [n] * 168}


def solve(staff, demand=None, **kw):
    request = RosterRequest(MONDAY, staff, TEMPLATES, demand or around_the_clock(2), RULES, **kw)
    return request, plan_roster(request, time_limit=10)


def assert_hard_rules(request: RosterRequest, roster) -> None:
    rules = request.rules
    for person in request.staff:
        mine = sorted(roster.shifts_of(person.id), key=lambda s: s.start)
        assert sum((s.end - s.start for s in mine), timedelta(0)) <= timedelta(
            hours=min(rules.max_hours_per_week, person.contract_hours))
        for a, b in pairwise(mine):
            assert b.start - a.end >= rules.min_rest
        for s in mine:
            assert not person.is_away(Interval(s.start, s.end))
        days = {s.day for s in mine}
        assert not any(all(d + k in days for k in range(rules.max_consecutive_days + 1)) for d in range(7))
        hist = request.history.get(person.id, RosterHistory())
        assert sum(s.night for s in mine) + hist.nights_prev_3_weeks <= rules.max_nights_per_4_weeks
        weekends = sum(s.weekend for s in mine) + hist.weekends_prev_3_weeks
        assert weekends <= rules.max_weekend_shifts_per_4_weeks


def test_a_roster_for_a_small_team_keeps_every_hard_rule():
    request, roster = solve(people(12))
    assert roster.status in ("OPTIMAL", "FEASIBLE") and roster.shifts
    assert_hard_rules(request, roster)


def test_uncovered_demand_is_reported_hour_by_hour_instead_of_breaking_a_rule():
    request, roster = solve(people(2))  # two people cannot staff 2 seats 24/7
    assert_hard_rules(request, roster)
    uncovered = roster.uncovered[ANY]
    assert sum(uncovered) > 0
    assert all(u + p >= 2 for u, p in zip(uncovered, roster.planned[ANY], strict=False))


def test_nobody_is_rostered_during_time_off():
    away = Interval(MONDAY, MONDAY + timedelta(days=7))
    staff = people(6) + [Staff(id="off", name="Off", time_off=(away,))]
    _, roster = solve(staff)
    assert roster.shifts_of("off") == []


def test_nights_worked_in_the_previous_three_weeks_count_against_the_limit():
    history = {f"p{i}": RosterHistory(nights_prev_3_weeks=RULES.max_nights_per_4_weeks) for i in range(6)}
    _, roster = solve(people(6), history=history)
    assert not any(s.night for s in roster.shifts)


def test_a_shift_right_after_last_weeks_late_night_is_not_planned():
    history = {"p0": RosterHistory(last_shift_end=MONDAY + timedelta(hours=6))}
    _, roster = solve(people(6), history=history)
    assert all(s.start - (MONDAY + timedelta(hours=6)) >= RULES.min_rest for s in roster.shifts_of("p0"))


def test_nights_are_spread_fairly():
    request, roster = solve(people(10), demand={ANY: [1] * 168})
    nights = [sum(s.night for s in roster.shifts_of(p.id)) for p in request.staff]
    assert max(nights) - min(nights) <= 1


def test_on_call_nights_go_to_eligible_people_spread_out():
    staff = people(4) + [Staff(id=f"oc{i}", name="OC", on_call_eligible=True) for i in range(3)]
    _, roster = solve(staff, demand={ANY: [1 if 8 <= h % 24 < 18 else 0 for h in range(168)]})
    holders = [p for p, _ in roster.on_call]
    assert len(holders) == 7 and set(holders) <= {"oc0", "oc1", "oc2"}
    assert max(holders.count(p) for p in set(holders)) <= 3


def test_a_shift_someone_asked_to_avoid_is_left_out_when_others_can_cover():
    no_nights = Preferences(avoid_templates=frozenset({"night"}))
    staff = people(5) + [Staff(id="ana", name="Ana", preferences=no_nights)]
    _, roster = solve(staff, demand={ANY: [1] * 168})
    assert not any(s.night for s in roster.shifts_of("ana"))
    assert sum(roster.uncovered[ANY]) == 0


def test_history_for_unknown_staff_is_rejected():
    import pytest

    from triage.scheduling.domain.errors import UnknownStaff
    with pytest.raises(UnknownStaff, match="'ghost'"):
        solve(people(2), history={"ghost": RosterHistory()})


def test_the_same_request_gives_the_same_roster_every_time():
    request = RosterRequest(MONDAY, people(8), TEMPLATES, around_the_clock(2), RULES)
    first = plan_roster(request, time_limit=2)
    second = plan_roster(request, time_limit=2)
    assert first.shifts == second.shifts and first.on_call == second.on_call
    assert first.objective == second.objective


def test_a_local_template_starts_at_that_hour_in_each_persons_zone():
    local = (ShiftTemplate("day", time(9), 8, local=True),)
    staff = [Staff(id="ana", name="Ana", timezone="Europe/Paris"),
             Staff(id="ken", name="Ken", timezone="Asia/Tokyo")]
    request = RosterRequest(MONDAY, staff, local, {ANY: [1] * 168}, RULES, on_call=False)
    roster = plan_roster(request, time_limit=5)
    for s in roster.shifts:
        zone = ZoneInfo(next(p.timezone for p in staff if p.id == s.person_id))
        assert s.start.astimezone(zone).hour == 9


def test_nobody_who_did_not_opt_in_gets_a_shift_in_their_local_night():
    staff = [Staff(id="ken", name="Ken", timezone="Asia/Tokyo"),
             Staff(id="owl", name="Owl", timezone="Asia/Tokyo", night_opt_in=True)]
    request = RosterRequest(MONDAY, staff, TEMPLATES, {ANY: [1] * 168}, RULES, on_call=False)
    roster = plan_roster(request, time_limit=5)
    tokyo = ZoneInfo("Asia/Tokyo")
    # UTC 06:00/14:00/22:00 start at 15:00/23:00/07:00 in Tokyo: only the 14:00 one is a Tokyo night
    ken = roster.shifts_of("ken")
    assert ken and all(s.start.astimezone(tokyo).hour != 23 for s in ken)
    assert any(s.start.astimezone(tokyo).hour == 23 for s in roster.shifts_of("owl"))


def test_the_solve_is_budgeted_in_deterministic_work_not_seconds():
    request = RosterRequest(MONDAY, people(8), TEMPLATES, around_the_clock(2), RULES)
    runs = [plan_roster(request, time_limit=2) for _ in range(2)]
    assert all(r.work > 0 for r in runs)
    cut = [r for r in runs if any("safety net" in n for n in r.notes)]
    # The same roster on every run, unless a run says the wall-clock net cut it short (a machine
    # so busy that 2 units of work took over 8 s; then its roster may differ, and the notes say so).
    # Not the same `work` figure: under load CP-SAT's count varied (0.63-1.90) for one roster.
    if not cut:
        assert runs[0].shifts == runs[1].shifts and runs[0].objective == runs[1].objective


def test_a_solve_the_wall_clock_safety_net_cuts_short_says_its_roster_may_differ(monkeypatch):
    from triage.scheduling.planning import roster_solve

    monkeypatch.setattr(roster_solve, "WALL_SAFETY", 1e-6)
    request = RosterRequest(MONDAY, people(8), TEMPLATES, around_the_clock(2), RULES)
    roster = plan_roster(request, time_limit=2)
    assert any("safety net" in n and "may differ from run to run" in n for n in roster.notes), roster.notes
