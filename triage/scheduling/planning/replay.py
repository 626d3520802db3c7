"""The whole `triage simulate` run: plan, replay under three policies, score, write the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from triage.scheduling.planning.metrics import Outcome, outcome
from triage.scheduling.planning.plan import Plan, build_plan
from triage.scheduling.planning.report import (
    backlog_chart,
    coverage_chart,
    hours_chart,
    write_event_logs,
    write_html,
)
from triage.scheduling.planning.roster import CUT_SHORT
from triage.scheduling.planning.scenario import Scenario, arrivals
from triage.scheduling.planning.simulate import POLICIES, run_policies


def cut_short(plan: Plan) -> list[str]:
    """The weeks whose roster the wall-clock net stopped: their figures may differ from run to run."""
    return [f"week {i + 1}: {note}" for i, r in enumerate(plan.rosters) for note in r.notes
            if note.startswith(CUT_SHORT)]


@dataclass(frozen=True)
class ReplayResult:
    plan: Plan
    outcomes: list[Outcome]
    report: Path
    messages: int


def replay(scenario: Scenario, out: Path, *, roster_seconds: float = 20.0,
           progress: Callable[[str, float], None] | None = None) -> ReplayResult:
    """Plan the weeks, replay the traffic through each policy, write charts, logs and report.html."""
    out.mkdir(parents=True, exist_ok=True)
    if progress:
        progress("forecast and roster", 0.0)
    plan = build_plan(scenario, time_limit=roster_seconds)
    traffic = arrivals(scenario.traffic, scenario.start, 24 * scenario.days, seed=scenario.seed,
                       storm_day=scenario.traffic.storm_day)
    logs = run_policies(scenario, plan, traffic, policies=POLICIES, progress=progress)
    end = scenario.start + timedelta(days=scenario.days)
    outcomes = [outcome(log, plan, scenario.rules, scenario.start, end) for log in logs]
    charts = [backlog_chart(logs, out / "backlog.png"),
              hours_chart(outcomes, scenario.rules, out / "hours.png"),
              coverage_chart(plan, out / "coverage.png")]
    paths = write_event_logs(logs, out)
    storm = scenario.traffic.storm_day
    notes = [(f"{len(traffic)} messages over {scenario.days} days, {len(scenario.staff)} staff,"
              f" rules version {scenario.rules.version}, team time zone {scenario.rules.team_timezone}"),
             (f"storm on day {storm + 1 if storm is not None else '-'} (x{scenario.traffic.storm_factor:g}),"
              f" ~{scenario.traffic.sick_calls_per_day:g} sick calls a day"),
             ("baselines work whenever they hold items (the 24/7 habit); the scheduler only inside shifts"
              " and on pages")]
    notes += cut_short(plan)
    report = write_html(out=out, title=f"Simulation: {scenario.name}", outcomes=outcomes, plan=plan,
                        charts=charts, logs=paths, notes=notes)
    return ReplayResult(plan, outcomes, report, len(traffic))
