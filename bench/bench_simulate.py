"""Simulation time for two weeks at 20,000 messages/day (scheduler + both baselines, same run)."""

from __future__ import annotations

import sys
import time
from datetime import timedelta

from triage.scheduling.planning.metrics import outcome
from triage.scheduling.planning.plan import build_plan
from triage.scheduling.planning.scenario import arrivals, scenario_from_dict
from triage.scheduling.planning.simulate import POLICIES, run_policies

PER_DAY = 20_000
STAFF = 800  # ~1,500 msgs/day per 60 people in the default scenario, scaled up


def main() -> None:
    days = int(sys.argv[1]) if len(sys.argv) > 1 else 14
    scenario = scenario_from_dict({
        "name": "bench", "start": "2026-03-02", "days": days, "seed": 11, "team_timezone": "Europe/Berlin",
        "tick_minutes": 2, "history_weeks": 3,
        "staff": {"generate": {"count": STAFF, "languages": {"en": 1.0, "es": 0.35, "de": 0.25},
                               "on_call_share": 0.1}},
        "traffic": {"per_day": PER_DAY, "authors": 50_000, "sick_calls_per_day": 10}})
    t0 = time.perf_counter()
    plan = build_plan(scenario, time_limit=30)
    t_plan = time.perf_counter() - t0
    traffic = arrivals(scenario.traffic, scenario.start, 24 * days, seed=scenario.seed,
                       storm_day=scenario.traffic.storm_day if days > 9 else None)
    weeks = ", ".join(f"{r.status} obj {r.objective:.0f} bound {r.bound:.0f} in {r.wall_seconds:.1f} s,"
                      f" uncovered {sum(sum(v) for v in r.uncovered.values())} person-h" for r in plan.rosters)
    print(f"{len(traffic)} messages over {days} days, {STAFF} staff; forecast + rosters {t_plan:.1f} s"
          f" ({weeks})")
    logs = run_policies(scenario, plan, traffic, policies=POLICIES)
    end = scenario.start + timedelta(days=days)
    for log in logs:
        t1 = time.perf_counter()
        o = outcome(log, plan, scenario.rules, scenario.start, end)
        print(f"{log.policy:<24} replay {log.seconds:6.1f} s ({len(traffic) / log.seconds:,.0f} msgs/s),"
              f" scoring {time.perf_counter() - t1:5.1f} s; critical SLA {o.sla_text('critical')},"
              f" covered-hours critical SLA {o.critical_sla_covered or 0:.1%}, breaches {o.total_breaches},"
              f" pages {o.pages}, gaps {o.coverage_gaps}")


if __name__ == "__main__":
    main()
