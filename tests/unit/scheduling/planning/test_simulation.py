from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.checkers.schedule_checker import check
from triage.scheduling.domain.errors import InvalidStaff, RuleConflict, SchedulingError
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.planning.baselines import LEAST_LOADED, ROUND_ROBIN, ROUND_THE_CLOCK
from triage.scheduling.planning.breaches import check_breaches
from triage.scheduling.planning.metrics import outcome
from triage.scheduling.planning.plan import build_plan
from triage.scheduling.planning.scenario import arrivals, load_scenario, scenario_from_dict
from triage.scheduling.planning.simulate import POLICIES, run_policies

SCENARIOS = Path(__file__).resolve().parents[4] / "scenarios"
TINY = {"name": "tiny", "start": "2026-03-02", "days": 2, "seed": 5, "team_timezone": "Europe/Berlin",
        "history_weeks": 1, "tick_minutes": 5,
        "staff": {"generate": {"count": 16, "languages": {"en": 1.0, "es": 0.5}, "on_call_share": 0.4}},
        "traffic": {"per_day": 250, "languages": {"en": 0.8, "es": 0.2}, "storm_day": 1, "storm_factor": 6,
                    "storm": {"duplicate_share": 0.9, "urgency": {"high": 1}},
                    "sick_calls_per_day": 1, "authors": 300}}


@pytest.fixture(scope="module")
def tiny_run():
    scenario = scenario_from_dict(TINY)
    plan = build_plan(scenario, time_limit=5)
    traffic = arrivals(scenario.traffic, scenario.start, 24 * scenario.days, seed=scenario.seed,
                       storm_day=scenario.traffic.storm_day)
    logs = run_policies(scenario, plan, traffic)
    end = scenario.start + timedelta(days=scenario.days)
    return scenario, logs, [outcome(log, plan, scenario.rules, scenario.start, end) for log in logs], traffic


def test_the_scheduler_breaks_no_rule_in_a_replay(tiny_run):
    _, _, outcomes, _ = tiny_run
    assert outcomes[0].policy == POLICIES[0]
    assert outcomes[0].total_breaches == 0


def test_the_independent_checker_finds_no_breach_in_the_schedulers_log(tiny_run):
    _, logs, _, _ = tiny_run
    report = check(logs[0].records)
    assert report.total_breaches == 0, report.summary()
    assert report.breaches["page without the skill"] == 0
    assert sum(report.answered.values()) + sum(report.unanswered.values()) > 0


def test_the_independent_checker_catches_the_round_the_clock_baseline(tiny_run):
    _, logs, _, _ = tiny_run
    report = check(_by_policy(logs, ROUND_THE_CLOCK).records)
    assert report.breaches["worked off shift"] > 0 and report.breaches["rest"] > 0


def test_the_round_the_clock_baseline_is_caught_working_off_shift(tiny_run):
    _, _, outcomes, _ = tiny_run
    assert _by_policy(outcomes, ROUND_THE_CLOCK).breaches.get("worked off shift", 0) > 0


def _by_policy(runs, policy):
    return next(r for r in runs if r.policy == policy)


def test_every_message_is_accounted_for_under_each_policy(tiny_run):
    _, logs, _, _ = tiny_run
    assert len({len(log.items) for log in logs}) == 1
    assert all(any(r["type"] == "rules" for r in log.records) for log in logs)


def test_the_breach_checker_finds_an_assignment_outside_any_shift():
    rules = StaffingRules()
    t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    records = [{"type": "shift", "person": "ana", "start": t.isoformat(),
                "end": (t + timedelta(hours=8)).isoformat()},
               {"type": "assignment", "item": "m1", "urgency": "normal", "person": "ana", "via_page": False,
                "assigned": (t + timedelta(hours=9)).isoformat(),
                "started": (t + timedelta(hours=9)).isoformat(),
                "resolved": (t + timedelta(hours=9, minutes=5)).isoformat(), "released": None}]
    found = check_breaches(records, rules)
    assert found["assigned off shift"] == 1 and found["worked off shift"] == 1


def test_the_breach_checker_finds_too_little_rest_between_shifts():
    t = datetime(2026, 3, 2, 14, tzinfo=UTC)
    records = [{"type": "shift", "person": "ana", "start": t.isoformat(),
                "end": (t + timedelta(hours=8)).isoformat()},
               {"type": "shift", "person": "ana", "start": (t + timedelta(hours=16)).isoformat(),
                "end": (t + timedelta(hours=24)).isoformat()}]
    assert check_breaches(records, StaffingRules())["rest between shifts"] == 1


def test_the_breach_checker_counts_pages_past_the_nightly_budget():
    night = datetime(2026, 3, 2, 23, tzinfo=UTC)
    records = [{"type": "page", "person": "ana", "time": (night + timedelta(hours=k)).isoformat(),
                "item": f"c{k}"} for k in range(3)]
    assert check_breaches(records, StaffingRules(team_timezone="UTC"))["pages per night"] == 1


def test_the_example_scenarios_load():
    assert load_scenario(SCENARIOS / "two-weeks-default.yaml").days == 14
    small = load_scenario(SCENARIOS / "small-team.json")
    assert {s.id for s in small.staff} >= {"ana", "luis"}


def test_a_scenario_with_a_time_zone_typo_is_rejected():
    with pytest.raises(InvalidStaff, match="Europe/Madrid"):
        scenario_from_dict({"staff": [{"id": "ana", "timezone": "Europe/Madird"}]})


def test_a_scenario_with_unsatisfiable_rules_is_rejected_naming_them():
    with pytest.raises(RuleConflict, match="max_hours_per_day"):
        scenario_from_dict({"rules": {"max_hours_per_day": 4}})


def test_a_storms_near_duplicates_become_one_item_through_the_live_grouping(tiny_run):
    _, logs, _, traffic = tiny_run
    copies = [a for a in traffic if a.incident not in (None, a.id)]
    assert len(copies) > 100 and len({a.incident for a in copies}) <= 3
    leaders = {a.id for a in traffic if a.incident == a.id}
    assert {a.incident for a in copies} <= leaders
    for log in logs:
        assert len(log.items) == len(traffic) - len(copies)
    report = check(logs[0].records)
    assert sum(report.answered.values()) + sum(report.unanswered.values()) == len(traffic) - len(copies)


@pytest.mark.parametrize("policy", [ROUND_ROBIN, LEAST_LOADED])
def test_the_on_shift_baselines_give_work_only_to_skilled_people_on_shift(tiny_run, policy):
    _, logs, _, _ = tiny_run
    report = check(_by_policy(logs, policy).records)
    assert report.breaches["item given to someone without its language or channel"] == 0
    assert report.breaches["worked off shift"] == 0
    assert sum(report.answered.values()) > 0


def test_the_summary_reports_utilisation_continuity_pages_and_gap_hours(tiny_run):
    _, _, outcomes, _ = tiny_run
    sched = outcomes[0]
    assert sched.utilisation and all(0.0 <= v <= 1.0 for v in sched.utilisation.values())
    same, n = sched.continuity
    assert 0 < same <= n
    assert set(sched.gap_hours) >= {"en", "es"} and all(v >= 0 for v in sched.gap_hours.values())


def test_a_storm_with_an_out_of_range_duplicate_share_is_rejected_naming_the_field():
    with pytest.raises(SchedulingError, match="traffic.storm.duplicate_share"):
        scenario_from_dict({"traffic": {"storm": {"duplicate_share": 1.5}}})


def test_the_breach_checker_counts_nights_in_each_persons_own_zone():
    # 09:00-17:00 in Tokyo is 01:00-09:00 in Paris: a day shift for ken, a night in team time.
    rules = StaffingRules(team_timezone="Europe/Paris")
    days = [datetime(2026, 3, 2, 0, tzinfo=UTC) + timedelta(days=d) for d in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)]
    shifts = [{"type": "shift", "person": "ken", "start": d.isoformat(),
               "end": (d + timedelta(hours=8)).isoformat()} for d in days]
    assert len(days) > rules.max_nights_per_4_weeks
    assert check_breaches(shifts, rules)["nights per 4 weeks"] > 0  # no zone known: team time
    person = {"type": "person", "person": "ken", "timezone": "Asia/Tokyo"}
    assert check_breaches([person, *shifts], rules)["nights per 4 weeks"] == 0



def test_no_work_is_given_at_or_after_the_end_of_the_run():
    # Tokyo's 08:00 shifts start exactly when the Berlin-time run ends. Work given at that last tick
    # sat on shifts the log leaves out: the product's own count called it "assigned off shift".
    scenario = scenario_from_dict({
        "name": "ends as Tokyo starts", "start": "2026-03-02", "days": 1, "seed": 3,
        "team_timezone": "Europe/Berlin", "history_weeks": 1, "tick_minutes": 5,
        "templates": [{"name": "day", "start": "08:00 local", "hours": 8}],
        "staff": {"generate": {"count": 4, "languages": {"en": 1.0}, "timezones": {"Asia/Tokyo": 1.0}}},
        "traffic": {"per_day": 400, "languages": {"en": 1.0}, "authors": 100}})
    plan = build_plan(scenario, time_limit=5)
    traffic = arrivals(scenario.traffic, scenario.start, 24, seed=scenario.seed, storm_day=None)
    end = scenario.start + timedelta(days=1)
    assert any(s.start == end for r in plan.rosters for s in r.shifts)  # the case this test is about
    for log in run_policies(scenario, plan, traffic):
        late = [r for r in log.records
                if r["type"] == "assignment" and datetime.fromisoformat(r["assigned"]) >= end]
        assert late == [], (log.policy, late[:2])


def test_the_week_befores_sunday_night_is_not_counted_in_the_runs_nights():
    # The plan is cyclic: the log holds a copy of the week before's Sunday night, for the first Monday
    # morning. The roster counted it in that week, like the rest of that week, which the log does not hold.
    rules = StaffingRules(team_timezone="Europe/Berlin")
    start = datetime(2026, 3, 1, 23, tzinfo=UTC)  # Monday 00:00 in Berlin
    nights = [start + timedelta(days=d) for d in range(-1, rules.max_nights_per_4_weeks)]  # the copy first
    shifts = [{"type": "shift", "person": "ana", "start": n.isoformat(),
               "end": (n + timedelta(hours=8)).isoformat()} for n in nights]
    person = {"type": "person", "person": "ana", "timezone": "Europe/Berlin"}
    assert check_breaches([person, *shifts], rules)["nights per 4 weeks"] == 1  # no run record: all count
    run = {"type": "run", "start": start.isoformat(), "end": (start + timedelta(days=14)).isoformat()}
    assert check_breaches([run, person, *shifts], rules)["nights per 4 weeks"] == 0
