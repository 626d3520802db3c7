"""Random teams across zones and random traffic through the whole replay, re-checked independently:
no rule broken in anyone's local time, and no lower priority served ahead of a waiting, more urgent
item the same person could take."""

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.checkers.schedule_checker import check, priority_inversions
from triage.scheduling.planning.plan import build_plan
from triage.scheduling.planning.scenario import arrivals, scenario_from_dict
from triage.scheduling.planning.simulate import SCHEDULER, run_policies

ZONES = ("Europe/Paris", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Asia/Manila",
         "Australia/Sydney")
LANGS = ("en", "es", "ja")


@st.composite
def teams(draw):
    out = []
    for n in range(draw(st.integers(2, 5))):
        langs = ["en"] + draw(st.lists(st.sampled_from(LANGS[1:]), max_size=2, unique=True))
        out.append({"id": f"p{n}", "timezone": draw(st.sampled_from(ZONES)),
                    "on_call_eligible": draw(st.booleans()),
                    "contract_hours": draw(st.sampled_from([32, 40])),
                    "skills": {"languages": langs, "channels": ["email", "chat"]}})
    return out


@st.composite
def scenarios(draw):
    share = draw(st.lists(st.integers(1, 10), min_size=3, max_size=3))
    return {"name": "random", "start": "2026-03-05", "days": 2, "seed": draw(st.integers(0, 999)),
            "team_timezone": draw(st.sampled_from(ZONES)), "history_weeks": 1, "tick_minutes": 10,
            "templates": [{"name": "early", "start": "07:00 local", "hours": 8},
                          {"name": "day", "start": "10:00 local", "hours": 8}],
            "staff": draw(teams()),
            "traffic": {"per_day": draw(st.integers(20, 120)), "authors": 50, "sick_calls_per_day": 0,
                        "languages": dict(zip(LANGS, share, strict=True)), "storm_day": None,
                        "channels": {"email": 0.6, "chat": 0.4},
                        "urgency_mix": {"critical": 0.1, "high": 0.2, "normal": 0.4, "low": 0.3}}}


# Few, small examples and no shrinking: each one is a whole roster and replay.
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(raw=scenarios())
def test_random_teams_and_traffic_break_no_rule_and_serve_by_priority(raw):
    scenario = scenario_from_dict(raw)
    plan = build_plan(scenario, time_limit=10)  # small teams solve to optimality: the same roster each time
    traffic = arrivals(scenario.traffic, scenario.start, 24 * scenario.days, seed=scenario.seed,
                       storm_day=None)
    (log,) = run_policies(scenario, plan, traffic, policies=(SCHEDULER,))
    report = check(log.records)
    assert report.total_breaches == 0, report.summary()
    assert priority_inversions(log.records) == [], repr(raw)
    assert sum(report.answered.values()) + sum(report.unanswered.values()) == len(traffic)
