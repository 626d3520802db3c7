"""Charts (PNG, matplotlib Agg), the HTML report and the raw JSONL event logs of a simulation."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: reports are written by workers and CI, never shown on a screen
import matplotlib.pyplot as plt

from triage.core.scoring import URGENCIES
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.planning.metrics import Outcome
from triage.scheduling.planning.plan import Plan
from triage.scheduling.planning.roster_model import ANY
from triage.scheduling.planning.simulate import RunLog


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def write_event_logs(logs: Sequence[RunLog], out: Path) -> list[Path]:
    """One JSONL file per policy: rules, shifts, assignments, breaks, pages; re-checkable by anyone."""
    paths = []
    for log in logs:
        path = out / f"events-{slug(log.policy)}.jsonl"
        with path.open("w") as fh:
            for record in log.records:
                fh.write(json.dumps(record, default=str) + "\n")
        paths.append(path)
    return paths


def backlog_chart(logs: Sequence[RunLog], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(11, 4))
    for log in logs:
        ax.plot([t for t, _, _ in log.backlog], [o for _, _, o in log.backlog], label=f"{log.policy}: open")
    sched = logs[0]
    ax.plot([t for t, _, _ in sched.backlog], [w for _, w, _ in sched.backlog], ":",
            label=f"{sched.policy}: unassigned")
    ax.set_ylabel("items")
    ax.set_title("Backlog over time")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def hours_chart(outcomes: Sequence[Outcome], rules: StaffingRules, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=False)
    for ax, attr, limit, title in ((axes[0], "max_week_hours", rules.max_hours_per_week, "busiest week"),
                                   (axes[1], "max_day_hours", rules.max_hours_per_day, "busiest day")):
        for o in outcomes:
            values = sorted(getattr(o, attr).values(), reverse=True)
            ax.plot(range(len(values)), values, label=o.policy)
        ax.axhline(limit, color="red", linestyle="--", label=f"limit {limit:g} h")
        ax.set_title(f"Hours worked per person, {title}")
        ax.set_xlabel("people, most loaded first")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def coverage_chart(plan: Plan, path: Path) -> Path:
    """Heatmap of planned minus needed people per hour (week 1, any skill): red is uncovered."""
    roster, demand = plan.rosters[0], plan.demand[0][ANY]
    diff = [[roster.planned[ANY][d * 24 + h] - demand[d * 24 + h] for h in range(24)] for d in range(7)]
    fig, ax = plt.subplots(figsize=(11, 3.2))
    bound = max(1, max(abs(v) for row in diff for v in row))
    im = ax.imshow(diff, cmap="RdYlGn", vmin=-bound, vmax=bound, aspect="auto")
    ax.set_yticks(range(7), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    ax.set_xticks(range(0, 24, 2))
    ax.set_title("Coverage, week 1: planned minus needed people per hour")
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _table(outcomes: Sequence[Outcome]) -> str:
    head = "".join(f"<th>{html.escape(o.policy)}</th>" for o in outcomes)
    rows = [("SLA " + u, [o.sla_text(u) for o in outcomes]) for u in URGENCIES]
    rows += [(f"{u}: answered / unanswered",
              [f"{o.answered_by[u][0]} / {o.answered_by[u][1]}" for o in outcomes]) for u in URGENCIES]
    rows += [("low items deferred (capacity went to more urgent work)", [str(o.deferred) for o in outcomes])]
    rows += [("critical SLA where roster covers demand",
              [f"{o.critical_sla_covered:.1%}" if o.critical_sla_covered is not None else "n/a"
               for o in outcomes]),
             ("answered / unanswered", [f"{o.answered} / {o.unanswered}" for o in outcomes]),
             ("rule breaches (from the event log)", [str(o.total_breaches) for o in outcomes]),
             ("pages", [str(o.pages) for o in outcomes]),
             ("coverage gaps (critical, nobody to page)", [str(o.coverage_gaps) for o in outcomes]),
             ("work outside shifts (hours)", [f"{o.after_hours_minutes / 60:.1f}" for o in outcomes]),
             ("busiest person-week (h)",
              [f"{max(o.max_week_hours.values(), default=0):.1f}" for o in outcomes]),
             ("busiest person-day (h)",
              [f"{max(o.max_day_hours.values(), default=0):.1f}" for o in outcomes]),
             ("replay time (s)", [f"{o.seconds:.1f}" for o in outcomes])]
    body = "".join(f"<tr><th>{html.escape(k)}</th>" + "".join(f"<td>{v}</td>" for v in vs) + "</tr>"
                   for k, vs in rows)
    return f"<table><tr><th></th>{head}</tr>{body}</table>"


def _breach_table(outcomes: Sequence[Outcome]) -> str:
    kinds = sorted({k for o in outcomes for k in o.breaches})
    head = "".join(f"<th>{html.escape(o.policy)}</th>" for o in outcomes)
    body = "".join(f"<tr><th>{html.escape(k)}</th>"
                   + "".join(f"<td>{o.breaches.get(k, 0)}</td>" for o in outcomes) + "</tr>"
                   for k in kinds)
    return f"<table><tr><th>rule</th>{head}</tr>{body}</table>"


def write_html(*, out: Path, title: str, outcomes: Sequence[Outcome], plan: Plan, charts: Sequence[Path],
               logs: Sequence[Path], notes: Sequence[str]) -> Path:
    """The report page: side-by-side outcomes, breaches per rule, forecast error, charts, raw logs."""
    forecast = "".join(f"<li>{html.escape(f.skill)}: {f.model}, held-back week MAE {f.mae:.2f}/h"
                       f"{f', MAPE {f.mape:.1%}' if f.mape is not None else ''}</li>"
                       for f in plan.forecasts.values() if f.mae is not None)
    rosters = "".join(f"<li>week {i + 1}: {r.status}, {len(r.shifts)} shifts, gap {r.gap:.2%}, "
                      f"{sum(sum(v) for v in r.uncovered.values())} uncovered person-hours,"
                      f" solved in {r.wall_seconds:.1f} s</li>" for i, r in enumerate(plan.rosters))
    reasons = "".join(f"<li>{html.escape(r)} ({n} item-ticks)</li>" for r, n in outcomes[0].top_wait_reasons)
    raw_logs = "".join(f'<li><a href="{html.escape(p.name)}">{html.escape(p.name)}</a></li>' for p in logs)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}th{{text-align:left}}</style></head><body>
<h1>{html.escape(title)}</h1>
<ul>{''.join(f'<li>{html.escape(n)}</li>' for n in notes)}</ul>
<h2>Outcomes, same traffic and roster</h2>{_table(outcomes)}
<h2>Rule breaches, re-checked from each event log</h2>{_breach_table(outcomes)}
<h2>Why items waited (scheduler)</h2><ul>{reasons}</ul>
<h2>Forecast</h2><ul>{forecast}</ul><h2>Rosters</h2><ul>{rosters}</ul>
{''.join(f'<p><img src="{html.escape(c.name)}" alt="{html.escape(c.stem)}"></p>' for c in charts)}
<h2>Raw event logs</h2><ul>{raw_logs}</ul>
</body></html>"""
    path = out / "report.html"
    path.write_text(page)
    return path
