"""`triage plan` without a scenario: plan the live team's next week, and publish it on request."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table


def plan_live(console: Console, *, seconds: float, publish: bool) -> None:
    """Plan next week from the database (as the roster page does); with `publish`, write its shifts."""
    from triage.bootstrap import build_services
    from triage.config import get_settings
    from triage.core.errors import DomainError
    from triage.scheduling import publish as publish_service
    from triage.scheduling import roster as roster_service
    from triage.scheduling import staffing
    from triage.scheduling.domain.errors import SchedulingError

    services = build_services(get_settings())
    with services.db() as session:
        rules, templates, _ = staffing.current_rule_set(session=session)
        try:
            with console.status("forecasting and rostering next week..."):
                result = roster_service.plan_week(session=session, rules=rules, templates=templates,
                                                  now=services.clock.now(), time_limit=seconds)
        except SchedulingError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=2) from None
    roster_service.remember(services.redis, result)
    plan = result.as_dict()
    console.print(f"week of {result.week_start:%d %b %Y}: {plan['status']}, {len(plan['shifts'])} shifts,"
                  f" {plan['uncovered_total']} uncovered person-hours ({result.source})")
    for gap in plan["skill_gaps"]:
        console.print(f"  {gap['text']}", markup=False)
    if not publish:
        console.print("not published: run `triage plan --publish` or use the roster page to publish")
        return
    try:
        done = publish_service.publish(services=services, plan=plan, actor="cli")
    except DomainError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    console.print(f"published: {done.added} shifts added, {done.removed} not-yet-started shifts replaced,"
                  f" {done.kept} worked or in progress kept")
    if done.skipped:
        table = Table("person", "kind", "start", "not written because")
        for s in done.skipped:
            table.add_row(s["person"], s["kind"], s["start"][:16].replace("T", " "), s["reason"])
        console.print(table)
