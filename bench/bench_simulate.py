"""Two-week simulation at 20,000 messages/day for 10 and 50 people in five zones (target: under 60 s
for 50), the scheduler beside the 24/7 round-robin baseline in the same run. (Round-robin on shift,
the helpdesk default, hands each person's whole queue back at every break and shift end; under this
overload that is hundreds of thousands of items a day, and its replay takes many minutes: it is a
comparison of outcomes, which `triage simulate` makes on the scenario files, not a timing reference.)

Usage: python -m bench.bench_simulate [DAYS] [--teams=10,50] [--profile]  (DAYS defaults to 14;
--teams picks the team sizes; --profile prints the 25 hottest functions by cumulative time, from the
standard library's cProfile).
"""

from __future__ import annotations

import cProfile
import pstats
import resource
import sys
import time
from datetime import timedelta

from triage.scheduling.planning.baselines import ROUND_THE_CLOCK
from triage.scheduling.planning.metrics import outcome
from triage.scheduling.planning.plan import build_plan
from triage.scheduling.planning.scenario import arrivals, scenario_from_dict
from triage.scheduling.planning.simulate import SCHEDULER, run_policies

PER_DAY = 20_000
TEAMS = (10, 50)
ZONES = {"Europe/Berlin": 0.3, "America/New_York": 0.25, "America/Los_Angeles": 0.15, "Asia/Manila": 0.15,
         "Asia/Tokyo": 0.15}
TARGET_SECONDS = 60.0  # for 50 people


def scenario(count: int, days: int):
    return scenario_from_dict({
        "name": f"bench {count}", "start": "2026-03-02", "days": days, "seed": 11,
        "team_timezone": "Europe/Berlin", "tick_minutes": 2, "history_weeks": 2,
        "templates": [{"name": "early", "start": "07:00 local", "hours": 8},
                      {"name": "day", "start": "10:00 local", "hours": 8}],
        "staff": {"generate": {"count": count, "languages": {"en": 1.0, "es": 0.35, "de": 0.25},
                               "on_call_share": 0.3, "timezones": ZONES}},
        "traffic": {"per_day": PER_DAY, "authors": 50_000, "sick_calls_per_day": count / 40,
                    "storm": {"duplicate_share": 0.9}}})


def run(count: int, days: int, profile: bool) -> tuple[float, float]:
    sc = scenario(count, days)
    t0 = time.perf_counter()
    plan = build_plan(sc, time_limit=10)
    traffic = arrivals(sc.traffic, sc.start, 24 * days, seed=sc.seed,
                       storm_day=sc.traffic.storm_day if days > 9 else None)
    print(f"{count} people: {len(traffic):,} messages over {days} days; forecast + rosters"
          f" {time.perf_counter() - t0:.1f} s")
    prof = cProfile.Profile() if profile else None
    if prof:
        prof.enable()
    logs = run_policies(sc, plan, traffic, policies=(SCHEDULER, ROUND_THE_CLOCK))
    if prof:
        prof.disable()
    end = sc.start + timedelta(days=days)
    for log in logs:
        o = outcome(log, plan, sc.rules, sc.start, end)
        print(f"  {log.policy:<22} replay {log.seconds:6.1f} s ({len(traffic) / log.seconds:,.0f} msgs/s);"
              f" critical SLA {o.sla_text('critical')}, high {o.sla_text('high')}, breaches"
              f" {o.total_breaches}, pages {o.pages}, gaps {o.coverage_gaps}, deferred {o.deferred}")
        if log.policy == SCHEDULER and o.total_breaches:
            print("    own breach accounting:", {k: v for k, v in o.breaches.items() if v})
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    return logs[0].seconds, logs[1].seconds


def _load() -> str:
    """The 1-minute load average, printed beside timings (the box is shared)."""
    try:
        with open("/proc/loadavg") as fh:
            return fh.read().split()[0]
    except OSError:
        return "n/a"


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    days = int(args[0]) if args else 14
    print(f"load average at start: {_load()}")
    teams = next((tuple(int(n) for n in a.split("=", 1)[1].split(",")) for a in sys.argv[1:]
                  if a.startswith("--teams=")), TEAMS)
    seconds = {count: run(count, days, "--profile" in sys.argv) for count in teams}
    for count, (sched, base) in seconds.items():
        print(f"{count} people: scheduler replay {sched:.1f} s = {sched / base:.2f}x the 24/7 round-robin"
              f" baseline's {base:.1f} s in the same run")
    if 50 in seconds:
        verdict = "met" if seconds[50][0] < TARGET_SECONDS else "MISSED"
        print(f"scheduler replay, 50 people: {seconds[50][0]:.1f} s (target {TARGET_SECONDS:g} s: {verdict})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"load average at end: {_load()}; peak memory {peak:,} MB")


if __name__ == "__main__":
    main()
