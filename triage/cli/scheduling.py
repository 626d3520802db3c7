"""`triage staff`, `triage shifts`, `triage rules` and `triage route`: the scheduler from the shell."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from triage.config import get_settings
from triage.core.errors import DomainError
from triage.scheduling.domain.errors import RuleConflict, SchedulingError

console = Console()
staff_app = typer.Typer(help="Staff members: add, list, import from YAML/JSON.", no_args_is_help=True)
shifts_app = typer.Typer(help="Shifts (regular or on call).", no_args_is_help=True)
rules_app = typer.Typer(help="Staffing rules: show the version in force, set a new one from a file.",
                        no_args_is_help=True)


def _services():
    from triage.bootstrap import build_services

    return build_services(get_settings())


def _fail(exc: Exception) -> None:
    conflicts = getattr(exc, "conflicts", [])
    console.print(f"[red]error:[/red] {'staffing rules cannot be satisfied:' if conflicts else exc}")
    for conflict in conflicts:
        console.print(f"  - {conflict}")
    raise typer.Exit(code=2)


def _load(path: Path) -> Any:
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        import yaml

        return yaml.safe_load(text)
    return json.loads(text)


def _when(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO date-time like 2026-11-23T08:00+00:00") from None
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r} has no time zone; add +00:00 or Z")
    return moment


@staff_app.command("add")
def staff_add(name: str, login: str = typer.Option(None, help="link this username"),
              timezone: str = "UTC", languages: str = typer.Option("", help="comma separated"),
              contract_hours: float = 40.0, on_call: bool = False) -> None:
    """Add one staff member."""
    from triage.platform.db import transaction
    from triage.scheduling import staffing

    services = _services()
    try:
        with transaction(services.db) as session:
            row = staffing.create_staff(session=session, actor="cli", now=services.clock.now(), data={
                "name": name, "username": login, "timezone": timezone, "contract_hours": contract_hours,
                "on_call": on_call,
                "skills": {"languages": [x.strip() for x in languages.split(",") if x.strip()]}})
            console.print(f"staff {row.id}: {row.name}")
    except (SchedulingError, DomainError) as exc:
        _fail(exc)


@staff_app.command("list")
def staff_list() -> None:
    """Everyone on staff, with login, skills and contract."""
    from triage.scheduling import team

    services = _services()
    with services.db() as session:
        logins = team.logins(session=session)
        table = Table("id", "name", "login", "skills", "time zone", "contract", "on call", "active")
        for s in team.list_staff(session=session, active_only=False):
            skills = ", ".join(v for vals in (s.skills or {}).values() for v in vals)
            table.add_row(str(s.id), s.name, logins.get(s.id, "-"), skills, s.timezone,
                          f"{s.contract_hours:g} h", "yes" if s.on_call else "no",
                          "yes" if s.active else "no")
    console.print(table)


@staff_app.command("import")
def staff_import(path: Path) -> None:
    """Import staff (with optional shifts and time_off lists) from a YAML or JSON file; all or nothing."""
    from triage.platform.db import transaction
    from triage.scheduling import staffing

    raw = _load(path)
    people = raw.get("staff", []) if isinstance(raw, dict) else raw
    services = _services()
    now = services.clock.now()
    try:
        with transaction(services.db) as session:
            for i, entry in enumerate(people, 1):
                try:
                    row = staffing.create_staff(session=session, actor="cli", now=now, data={
                        **entry, "username": entry.get("login") or entry.get("username")})
                    for s in entry.get("shifts", []):
                        staffing.add_shift(session=session, staff_id=row.id, start=_when(str(s["start"])),
                                           end=_when(str(s["end"])), kind=s.get("kind", "regular"))
                    for s in entry.get("time_off", []):
                        staffing.add_time_off(session=session, staff_id=row.id, start=_when(str(s["start"])),
                                              end=_when(str(s["end"])), reason=s.get("reason"))
                except (SchedulingError, DomainError, typer.BadParameter, KeyError) as exc:
                    raise SchedulingError(f"entry {i} ({entry.get('name')!r}): {exc}") from None
    except SchedulingError as exc:
        _fail(exc)
    console.print(f"imported {len(people)} staff from {path}")


@shifts_app.command("add")
def shifts_add(staff_id: int, start: str, end: str, kind: str = "regular") -> None:
    """Add a shift: START and END as ISO date-times with a zone (kind: regular or on_call)."""
    from triage.platform.db import transaction
    from triage.scheduling import staffing

    services = _services()
    try:
        with transaction(services.db) as session:
            row = staffing.add_shift(session=session, staff_id=staff_id, start=_when(start), end=_when(end),
                                     kind=kind)
            console.print(f"shift {row.id} added")
    except (SchedulingError, DomainError) as exc:
        _fail(exc)


@shifts_app.command("list")
def shifts_list(days: int = typer.Option(7, help="from now, this many days ahead")) -> None:
    """Shifts from now on, per person."""
    from triage.scheduling import team

    services = _services()
    now = services.clock.now()
    with services.db() as session:
        names = {s.id: s.name for s in team.list_staff(session=session, active_only=False)}
        table = Table("id", "person", "kind", "start", "end")
        for s in team.shifts_between(session=session, start=now, end=now + timedelta(days=days)):
            table.add_row(str(s.id), names.get(s.staff_id, str(s.staff_id)), s.kind,
                          f"{s.start:%a %Y-%m-%d %H:%M}", f"{s.end:%a %H:%M}")
    console.print(table)


@rules_app.command("show")
def rules_show() -> None:
    """Print the rules in force as JSON (version 0: built-in defaults)."""
    from triage.scheduling import staffing
    from triage.scheduling.domain.rules import rules_as_dict

    services = _services()
    with services.db() as session:
        rules, _, row = staffing.current_rule_set(session=session)
    console.print_json(json.dumps({**rules_as_dict(rules), "version": row.version if row else 0}))


@rules_app.command("set")
def rules_set(path: Path, note: str = typer.Option(None, help="why, for the audit log")) -> None:
    """Store the rules in a YAML/JSON file as a new version; conflicts are listed by name."""
    from triage.platform.db import transaction
    from triage.scheduling import staffing

    raw = _load(path) or {}
    templates = raw.pop("templates", None)
    services = _services()
    try:
        with transaction(services.db) as session:
            row = staffing.set_rules(session=session, raw=raw, templates=templates, actor="cli",
                                     now=services.clock.now(), note=note)
            console.print(f"rules version {row.version} in force")
    except RuleConflict as exc:
        _fail(exc)


def register(app: typer.Typer) -> None:
    """Add the scheduler's commands to the `triage` CLI."""
    app.add_typer(staff_app, name="staff")
    app.add_typer(shifts_app, name="shifts")
    app.add_typer(rules_app, name="rules")

    @app.command()
    def route() -> None:
        """Run the router once now and print what it did."""
        from triage.scheduling import routing

        report = routing.run_once(services=_services())
        console.print(f"assigned {report.assigned}, paged {report.pages}, released {report.releases},"
                      f" {report.waiting} waiting, {report.gaps} new coverage gaps"
                      f" (rules v{report.rules_version})")
        for reason, count in sorted(report.reasons.items(), key=lambda kv: -kv[1]):
            console.print(f"  {count:>4} waiting: {reason}")
