"""CLI: `triage sources` (each source's status), `triage sources skips SOURCE` (its quarantined
entries) and `triage poll SOURCE` (poll once, now)."""

from __future__ import annotations

from datetime import date, datetime

import typer
from rich.console import Console
from rich.table import Table

console = Console()
PREVIEW_CHARS = 70  # of each taken message, one line each
EXCERPT_CHARS = 120  # of a skipped entry in `sources skips`: enough to recognise it

sources_app = typer.Typer(help="Configured sources: status, and entries they could not read.")


def _when(at: datetime | None, today: date | None = None) -> str:
    """UTC time, with the date only when it is not today (keeps the table narrow)."""
    if at is None:
        return "-"
    return at.strftime("%H:%M:%S" if at.date() == today else "%Y-%m-%d %H:%M")


@sources_app.callback(invoke_without_command=True)
def sources(ctx: typer.Context) -> None:
    """Each configured source: channel, status, last error, last success, next poll, taken."""
    if ctx.invoked_subcommand is not None:
        return
    from triage.bootstrap import build_services
    from triage.config import get_settings
    from triage.intake.source_status import list_statuses

    services = build_services(get_settings())
    today = services.clock.now().date()
    table = Table("source", "channel", "status", "last ok", "next poll", "taken", "skipped",
                  "last error", caption="times in UTC; `triage sources skips SOURCE` lists skips")
    table.columns[0].no_wrap = True
    for s in list_statuses(services=services):
        poller = s.kind == "poller"
        table.add_row(s.slug, s.channel, s.status, _when(s.last_ok_at, today) if poller else "",
                      _when(s.next_poll_at, today) if poller else "",
                      str(s.taken) if poller else "", str(s.skipped), s.last_error or "")
    console.print(table)


@sources_app.command("skips")
def skips(source: str, limit: int = typer.Option(20, min=1, max=500, help="newest N records")) -> None:
    """Entries of SOURCE a poll or webhook delivery could not read: when, which, why, an excerpt."""
    from triage.bootstrap import UnknownSource, build_services
    from triage.config import get_settings
    from triage.intake.source_status import skip_records

    services = build_services(get_settings())
    try:
        records = skip_records(services=services, source=source, limit=limit)
    except UnknownSource:
        console.print(f"[red]error:[/red] no source {source!r} is configured")
        raise typer.Exit(code=2) from None
    if not records:
        console.print(f"{source}: no entry was skipped")
        return
    table = Table("at (UTC)", "entry", "reason", "excerpt", caption=f"newest {len(records)}, newest last")
    for r in records:
        table.add_row(str(r.get("at", ""))[:19].replace("T", " "), str(r.get("entry_id", "")),
                      str(r.get("reason", "")), " ".join(str(r.get("entry", "")).split())[:EXCERPT_CHARS])
    console.print(table, highlight=False)


def poll(source: str) -> None:
    """Poll one source now, in this process, and print what it took."""
    from triage.bootstrap import UnknownSource, build_services
    from triage.config import get_settings
    from triage.intake import polling

    services = build_services(get_settings())
    try:
        report = polling.poll_once(services=services, source=source)
    except UnknownSource:
        console.print(f"[red]error:[/red] no source {source!r} is configured")
        raise typer.Exit(code=2) from None
    except polling.NotAPoller as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    if report.outcome == "busy":
        console.print(f"a poll of {source} is already queued or running; try again in a moment")
        raise typer.Exit(code=1)
    if report.error:
        console.print(f"[red]{source}: {report.status}[/red] {report.error}")
        console.print(f"next try {_when(report.next_poll_at)} UTC" if report.next_poll_at else
                      "not retried until its credentials change or someone polls it now")
        raise typer.Exit(code=1)
    console.print(f"{source}: took {report.new} new message(s), {report.duplicates} already known; "
                  f"status {report.status}, next poll {_when(report.next_poll_at)} UTC")
    for m in report.messages:
        text = " ".join(m.text.split())
        who = m.author.handle or m.author.name or m.author.id
        console.print(f"  {m.external_id[:40]}  {who}: {text[:PREVIEW_CHARS]}", highlight=False)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the `triage` app."""
    app.add_typer(sources_app, name="sources")
    app.command("poll")(poll)
