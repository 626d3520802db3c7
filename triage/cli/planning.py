"""`triage plan` and `triage simulate`: roster a scenario's weeks, or replay two weeks against baselines."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from triage.core.scoring import URGENCIES
from triage.scheduling.domain.errors import SchedulingError

console = Console()
ScenarioArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="scenario YAML or JSON")]


def _load(path: Path, days: int | None):
    from triage.scheduling.planning.scenario import load_scenario
    try:
        scenario = load_scenario(path)
    except (SchedulingError, TypeError, ValueError) as exc:
        console.print(f"[red]error in {path}:[/red] {exc}")
        raise typer.Exit(code=2) from None
    return dataclasses.replace(scenario, days=days) if days else scenario


OptionalScenario = Annotated[Path | None, typer.Argument(
    exists=True, dir_okay=False, help="scenario YAML or JSON; without one, plan the live team's next week")]


def plan(scenario: OptionalScenario = None,
         out: Annotated[Path, typer.Option(help="output folder")] = Path("out/plan"),
         seconds: Annotated[float, typer.Option(help="solver time limit per week")] = 20.0,
         publish: Annotated[bool, typer.Option(
             "--publish", help="live team only: write the planned week as its shifts")] = False) -> None:
    """Forecast demand per hour and roster each week with CP-SAT; write roster JSON and a heatmap.

    Without a scenario it plans the live team's next week (as the roster page does) and, with
    --publish, turns it into that week's shifts.
    """
    from triage.scheduling.planning.plan import build_plan
    from triage.scheduling.planning.report import coverage_chart
    from triage.scheduling.planning.roster_gaps import skill_gaps

    if scenario is None:
        from triage.scheduling.planning.live import plan_live

        plan_live(console, seconds=seconds, publish=publish)
        return
    if publish:
        console.print("[red]error:[/red] --publish writes the live team's shifts; drop the scenario")
        raise typer.Exit(code=2)
    sc = _load(scenario, None)
    with console.status("forecasting and rostering..."):
        result = build_plan(sc, time_limit=seconds)
    out.mkdir(parents=True, exist_ok=True)
    table = Table("week", "status", "shifts", "gap", "uncovered person-hours", "seconds")
    for i, roster in enumerate(result.rosters):
        (out / f"roster-week{i + 1}.json").write_text(json.dumps(roster.as_dict(), indent=1))
        table.add_row(str(i + 1), roster.status, str(len(roster.shifts)), f"{roster.gap:.2%}",
                      str(sum(sum(v) for v in roster.uncovered.values())), f"{roster.wall_seconds:.1f}")
    coverage_chart(result, out / "coverage.png")
    console.print(table)
    for i, roster in enumerate(result.rosters):
        gaps = skill_gaps(roster.uncovered, roster.planned, week_start=sc.start + timedelta(weeks=i),
                          zone=sc.rules.team_timezone)
        for gap in gaps:
            console.print(f"week {i + 1} {gap.text}", markup=False)
    for f in result.forecasts.values():
        if f.mae is not None:
            console.print(f"forecast {f.skill}: {f.model}, held-back week MAE {f.mae:.2f}/h"
                          + (f", MAPE {f.mape:.1%}" if f.mape is not None else ""))
    console.print(f"written to {out}/")


def simulate(scenario: ScenarioArg,
             out: Annotated[Path, typer.Option(help="output folder")] = Path("out/simulate"),
             days: Annotated[int, typer.Option(help="override the scenario's number of days")] = 0,
             roster_seconds: Annotated[float, typer.Option(help="solver time limit per week")] = 20.0,
             ) -> None:
    """Replay the scenario through the scheduler and two baselines; write charts, logs, report.html."""
    from triage.scheduling.planning.replay import cut_short, replay

    sc = _load(scenario, days or None)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, int] = {}

        def tick(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=1.0)
            bar.update(tasks[stage], completed=fraction)

        result = replay(sc, out, roster_seconds=roster_seconds, progress=tick)
    table = Table("", *[o.policy for o in result.outcomes])
    for u in URGENCIES:
        table.add_row(f"SLA {u}", *[o.sla_text(u) for o in result.outcomes])
    for u in URGENCIES:
        table.add_row(f"{u} answered / unanswered", *[f"{o.answered_by[u][0]} / {o.answered_by[u][1]}"
                                                      for o in result.outcomes])
    table.add_row("low deferred", *[str(o.deferred) for o in result.outcomes])
    table.add_row("critical SLA, covered hours", *[f"{o.critical_sla_covered:.1%}" if o.critical_sla_covered
                                                   is not None else "n/a" for o in result.outcomes])
    table.add_row("rule breaches", *[str(o.total_breaches) for o in result.outcomes])
    table.add_row("pages", *[str(o.pages) for o in result.outcomes])
    table.add_row("pages per person", *[", ".join(f"{k} {v}" for k, v in sorted(o.pages_per_person.items()))
                                        or "-" for o in result.outcomes])
    table.add_row("coverage gaps", *[str(o.coverage_gaps) for o in result.outcomes])
    table.add_row("utilisation while work waits", *[_spread(o.utilisation) for o in result.outcomes])
    table.add_row("follow-ups to the same person", *[f"{s / n:.1%} ({s}/{n})" if n else "n/a"
                                                      for s, n in (o.continuity for o in result.outcomes)])
    table.add_row("hours nobody covers, by skill",
                  *[", ".join(f"{k} {v:g}" for k, v in o.gap_hours.items() if v) or "none"
                    for o in result.outcomes])
    table.add_row("busiest person-week (h)", *[f"{max(o.max_week_hours.values(), default=0):.1f}"
                                               for o in result.outcomes])
    console.print(table)
    for warning in cut_short(result.plan):
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"{result.messages} messages; report: {result.report}")


def _spread(shares: dict[str, float]) -> str:
    """'mean 81% (min 62% ana, max 97% kai)' for per-person utilisation."""
    if not shares:
        return "n/a"
    low, high = min(shares, key=shares.get), max(shares, key=shares.get)
    mean = sum(shares.values()) / len(shares)
    return f"mean {mean:.0%} (min {shares[low]:.0%} {low}, max {shares[high]:.0%} {high})"


def register(app: typer.Typer) -> None:
    """Add the top-level `plan` and `simulate` commands to the main Typer app."""
    app.command("plan")(plan)
    app.command("simulate")(simulate)


standalone = typer.Typer(help="Roster planning and simulation.", no_args_is_help=True)
register(standalone)

if __name__ == "__main__":
    standalone()

