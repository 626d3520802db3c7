"""The `triage` command: run the service, import data, manage users and jobs, make demo traffic."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from triage.cli import (
    authors,
    channels,
    common,
    doctor,
    jobs,
    relationship,
    replies,
    run,
    scheduling,
)
from triage.cli.common import console
from triage.config import get_settings

app = typer.Typer(help="Community-manager triage service.", no_args_is_help=True,
                  pretty_exceptions_show_locals=False)
users_app = typer.Typer(help="Sign-in accounts and API tokens.", no_args_is_help=True)
jobs_app = typer.Typer(help="Failed jobs and quarantined messages: list, retry, replay.",
                       no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(jobs_app, name="jobs")


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to the newest migration."""
    from triage.platform.db import migrate as run_migrations

    settings = get_settings()
    run_migrations(settings.sqlalchemy_url)
    console.print(f"schema up to date at {settings.sqlalchemy_url.split('@')[-1]}")


@app.command()
def api(host: str | None = None, port: int | None = None, workers: int = 1,
        log_level: str = "info") -> None:
    """Serve the API and pages (uvicorn); several workers share nothing but Redis and the DB."""
    import uvicorn

    from triage.platform import logs

    settings = get_settings()
    logs.setup(json=settings.json_logs, level=log_level)
    # log_config=None: uvicorn keeps our handlers (JSON in production) instead of its own format.
    uvicorn.run("triage.api.app:app_from_env", factory=True, host=host or settings.host,
                port=port or settings.port, workers=workers, log_level=log_level, log_config=None)


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
    """Run the periodic duties: rescue stuck work, polls, outbox, routing at shift changes.

    With --every, one instance leads (a Redis lock); others wait as standbys. Errors are logged
    and backed off, never fatal.
    """
    from triage import gauges
    from triage.periodic import tick as run_tick
    from triage.platform import logs, metrics
    from triage.platform.leader import beat, run_periodically

    settings = get_settings()
    logs.setup(json=settings.json_logs, level=settings.log_level)
    services = common.services()
    if not every:
        result = run_tick(services=services)
        beat(services.redis, at=services.clock.now(), summary=result)
        console.print(result)
        return
    if settings.metrics_port:
        metrics.announce_build()
        metrics.serve(settings.metrics_port, host=settings.metrics_host, token=settings.metrics_bearer,
                      live=gauges.collector(services) if settings.live_metrics else None)
    try:
        run_periodically(conn=services.redis, duty=lambda: run_tick(services=services),
                         now=services.clock.now, every=every)
    except KeyboardInterrupt:
        pass


@app.command("import")
def import_(file: Path, source: str = typer.Option("import", help="source for records without one"),
            batch: int = 500) -> None:
    """Import messages from JSONL or CSV; bad lines are reported by number, the rest go in."""
    from pydantic import ValidationError

    from triage.intake.importer import ImportReport, describe, records, to_message
    from triage.intake.ingest import buffer_messages

    if not file.exists():
        common.fail(f"{file} does not exist")
    services, report, pending = common.services(), ImportReport(), []
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
    from triage.accounts import service as accounts
    from triage.core.errors import DomainError
    from triage.platform.db import transaction

    password = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    services = common.services()
    try:
        with transaction(services.db) as session:
            user = accounts.create_user(session=session, username=username, password=password,
                                        role=role, now=datetime.now(UTC), actor="cli")
    except DomainError as exc:
        common.fail(str(exc))
    console.print(f"created {user.role} {user.username!r} (id {user.id})")


@users_app.command("list")
def users_list() -> None:
    """List accounts and roles."""
    from triage.accounts import service as accounts

    services = common.services()
    table = Table("id", "username", "role", "active")
    with services.db() as session:
        for u in accounts.list_users(session=session):
            table.add_row(str(u.id), u.username, u.role, str(u.active))
    console.print(table)


@users_app.command("token")
def users_token(username: str, name: str = typer.Option("cli", help="what the token is for")) -> None:
    """Issue an API token for a user (shown once)."""
    from triage.accounts import service as accounts
    from triage.platform.db import transaction

    services = common.services()
    with transaction(services.db) as session:
        user = accounts.find_user(session=session, username=username)
        if user is None:
            common.fail(f"no user {username!r}")
        token = accounts.issue_token(session=session, user=user, name=name, now=datetime.now(UTC),
                                     actor="cli")
    print(token)



def _set_active(username: str, active: bool) -> None:
    from triage.accounts import service as accounts
    from triage.accounts.sessions import SessionStore
    from triage.core.errors import DomainError
    from triage.platform.db import transaction

    services = common.services()
    sessions = SessionStore(services.redis, max_age_s=services.settings.session_max_age)
    try:
        with transaction(services.db) as session:
            user = accounts.user_named(session=session, username=username)
            accounts.set_active(session=session, sessions=sessions, user_id=user.id, active=active,
                                actor="cli", now=datetime.now(UTC))
    except DomainError as exc:
        common.fail(str(exc))
    outcome = "reactivated" if active else "deactivated: sessions ended, tokens stopped"
    console.print(f"{username!r} {outcome}")


@users_app.command("deactivate")
def users_deactivate(username: str) -> None:
    """Deactivate an account: its sessions end and its tokens stop at once (audited)."""
    _set_active(username, False)


@users_app.command("reactivate")
def users_reactivate(username: str) -> None:
    """Let a deactivated account sign in again (audited; revoked tokens stay revoked)."""
    _set_active(username, True)


@users_app.command("tokens")
def users_tokens(username: str | None = typer.Argument(None, help="only this user's tokens")) -> None:
    """List API tokens: id, owner, name, created, last used, revoked (never the secret)."""
    from triage.accounts import service as accounts
    from triage.core.errors import DomainError

    services = common.services()
    table = Table("id", "user", "name", "created", "last used", "revoked")
    with services.db() as session:
        try:
            user_id = accounts.user_named(session=session, username=username).id if username else None
        except DomainError as exc:
            common.fail(str(exc))
        for tok in accounts.list_tokens(session=session, user_id=user_id):
            table.add_row(str(tok.id), tok.username, tok.name, f"{tok.created_at:%Y-%m-%d %H:%M}",
                          f"{tok.last_used_at:%Y-%m-%d %H:%M}" if tok.last_used_at else "never",
                          "yes" if tok.revoked else "no")
    console.print(table)


@users_app.command("revoke")
def users_revoke(token_id: int) -> None:
    """Revoke an API token by its id (see `triage users tokens`); audited."""
    from triage.accounts import service as accounts
    from triage.core.errors import DomainError
    from triage.platform.db import transaction

    services = common.services()
    try:
        with transaction(services.db) as session:
            tok = accounts.revoke_token(session=session, token_id=token_id, actor="cli",
                                        now=datetime.now(UTC))
    except DomainError as exc:
        common.fail(str(exc))
    console.print(f"revoked token {tok.id} ({tok.name!r} of {tok.username})")

jobs.register_jobs(jobs_app, console, lambda settings=None: common.services(settings))
run.register_run(app, console)
for _module in (scheduling, relationship, channels, replies, authors, doctor):
    _module.register(app)  # explicit: a broken import fails here, loudly, and in the tests

# The optional extras: only their own third-party packages may be missing, and then we say how to
# install them instead of dropping the commands silently.
EXTRAS = {"classifier": ("ml", {"sklearn", "torch", "sentence_transformers", "numpy", "scipy", "lingua"}),
          "planning": ("plan", {"ortools", "statsmodels", "matplotlib"})}
_missing = []
for _name, (_extra, _packages) in EXTRAS.items():
    try:
        importlib.import_module(f"triage.cli.{_name}").register(app)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _packages:
            raise
        _missing.append(f"pip install -e '.[{_extra}]' for the {_name} commands")
if _missing:
    app.info.epilog = "Not installed: " + "; ".join(_missing) + "."

if __name__ == "__main__":
    app()
