"""The `triage` command: run the service, import data, manage users and jobs, make demo traffic."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from triage.config import Settings, get_settings

app = typer.Typer(help="Community-manager triage service.", no_args_is_help=True,
                  pretty_exceptions_show_locals=False)
users_app = typer.Typer(help="Sign-in accounts and API tokens.", no_args_is_help=True)
jobs_app = typer.Typer(help="Failed jobs and quarantined messages: list, retry, replay.",
                       no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(jobs_app, name="jobs")
console = Console()


def _services(settings: Settings | None = None):
    from triage.bootstrap import build_services

    return build_services(settings or get_settings())


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code=2)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to the newest migration."""
    from triage.storage.db import migrate as run_migrations

    settings = get_settings()
    run_migrations(settings.sqlalchemy_url)
    console.print(f"schema up to date at {settings.sqlalchemy_url.split('@')[-1]}")


@app.command()
def api(host: str | None = None, port: int | None = None, workers: int = 1,
        log_level: str = "info") -> None:
    """Serve the API and pages (uvicorn); several workers share nothing but Redis and the DB."""
    import uvicorn

    settings = get_settings()
    uvicorn.run("triage.api.app:app_from_env", factory=True, host=host or settings.host,
                port=port or settings.port, workers=workers, log_level=log_level)


@app.command()
def worker(queues: Annotated[list[str] | None, typer.Option("--queue")] = None,
           fork: bool = typer.Option(False, help="fork a work-horse per job (isolation, ~25 ms more a job)"),
           burst: bool = typer.Option(False, help="exit when the queues are empty"),
           rules_only: bool = typer.Option(False, help="score with keyword rules, load no model"),
           log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING...")) -> None:
    """Run an RQ worker on the pipeline queues; start as many as the load needs."""
    from workers.run import run

    run(queues=queues, simple=not fork, burst=burst, rules_only=rules_only, log_level=log_level)


@app.command()
def tick(every: float = typer.Option(0, help="repeat every N seconds (0: once)")) -> None:
    """Recover stuck work (undrained buffer, unscored or unrouted messages)."""
    from triage.services.pipeline import tick as run_tick

    services = _services()
    while True:
        result = run_tick(services=services)
        if not every:
            console.print(result)
            return
        time.sleep(every)


@app.command("import")
def import_(file: Path, source: str = typer.Option("import", help="source for records without one"),
            batch: int = 500) -> None:
    """Import messages from JSONL or CSV; bad lines are reported by number, the rest go in."""
    from pydantic import ValidationError

    from triage.importer import ImportReport, describe, records, to_message
    from triage.services.ingest import buffer_messages

    if not file.exists():
        _fail(f"{file} does not exist")
    services, report, pending = _services(), ImportReport(), []
    now = datetime.now(UTC)
    with file.open("rb") as f:
        total = sum(1 for _ in f)

    def flush() -> None:
        accepted = buffer_messages(services=services, messages=pending)
        report.accepted += accepted.new
        report.duplicates += accepted.duplicates
        pending.clear()

    with Progress(console=console) as progress:
        task = progress.add_task(f"importing {file.name}", total=total)
        for line_no, doc in records(file):
            report.read += 1
            if isinstance(doc, str):
                report.errors.append((line_no, doc))
            else:
                try:
                    pending.append(to_message(doc, source=source, now=now))
                except ValidationError as exc:
                    report.errors.append((line_no, describe(exc)))
            if len(pending) >= batch:
                flush()
            progress.update(task, completed=line_no)
        if pending:
            flush()
        progress.update(task, completed=total)
    console.print(f"read {report.read}, accepted {report.accepted}, duplicates {report.duplicates}, "
                  f"rejected {len(report.errors)}")
    for line_no, reason in report.errors[:20]:
        console.print(f"  line {line_no}: {reason}")
    if report.errors:
        raise typer.Exit(code=1)


@users_app.command("add")
def users_add(username: str, role: str = typer.Option("agent", help="agent, lead or admin"),
              password: str | None = typer.Option(None, help="prompted for when not given")) -> None:
    """Create a sign-in account."""
    from triage.domain.errors import DomainError
    from triage.storage import users as repo
    from triage.storage.db import transaction

    password = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    services = _services()
    try:
        with transaction(services.db) as session:
            user = repo.create_user(session=session, username=username, password=password,
                                    role=role, now=datetime.now(UTC))
    except DomainError as exc:
        _fail(str(exc))
    console.print(f"created {user.role} {user.username!r} (id {user.id})")


@users_app.command("list")
def users_list() -> None:
    """List accounts and roles."""
    from triage.storage import users as repo

    services = _services()
    table = Table("id", "username", "role", "active")
    with services.db() as session:
        for u in repo.list_users(session=session):
            table.add_row(str(u.id), u.username, u.role, str(u.active))
    console.print(table)


@users_app.command("token")
def users_token(username: str, name: str = typer.Option("cli", help="what the token is for")) -> None:
    """Issue an API token for a user (shown once)."""
    from triage.storage import users as repo
    from triage.storage.db import transaction

    services = _services()
    with transaction(services.db) as session:
        user = repo.get_by_username(session=session, username=username)
        if user is None:
            _fail(f"no user {username!r}")
        token = repo.issue_token(session=session, user=user, name=name, now=datetime.now(UTC))
    print(token)


# Imported down here, after the apps they extend (kept apart to keep this file small).
from triage.cli_jobs import register_jobs
from triage.cli_run import register_run

register_jobs(jobs_app, console, _services)
register_run(app, console)


def _register_optional(module: str) -> None:
    """Commands of the classifier and planner packages, when those are installed."""
    import importlib

    try:
        importlib.import_module(module).register(app)
    except ImportError:
        pass


_register_optional("triage.classifier.cli")
_register_optional("triage.planning.cli")
_register_optional("triage.cli_scheduling")  # staff, shifts, rules, route
_register_optional("triage.cli_relationship")  # import-crm, policy
_register_optional("triage.cli_channels")  # sources, poll
_register_optional("triage.cli_replies")  # reply, outbox, authors link
_register_optional("triage.cli_authors")  # authors link, unlink, show

if __name__ == "__main__":
    app()
