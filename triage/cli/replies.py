"""`triage outbox` and `triage outbox retry ID`: see what is waiting to go out and push it again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from triage.replies.domain import STATUSES

console = Console()


def register(app: typer.Typer) -> None:
    """Attach `triage outbox` to the `triage` app."""
    outbox_app = typer.Typer(help="Replies on their way out: list by status, retry.",
                             invoke_without_command=True)
    app.add_typer(outbox_app, name="outbox")

    @outbox_app.callback()
    def outbox(ctx: typer.Context,
               status: Annotated[list[str] | None, typer.Option(
                   "--status", help=f"only these statuses: {', '.join(STATUSES)}")] = None,
               limit: int = typer.Option(50, help="newest rows shown")) -> None:
        """List outbox rows (newest first) and the count per status."""
        if ctx.invoked_subcommand is not None:
            return
        from triage.cli.common import services as _services
        from triage.replies import service

        unknown = sorted(set(status or ()) - set(STATUSES))
        if unknown:
            console.print(f"[red]error:[/red] unknown status {', '.join(unknown)};"
                          f" use {', '.join(STATUSES)}")
            raise typer.Exit(code=2)
        services, now = _services(), datetime.now(UTC)
        with services.db() as session:
            depth, rows = service.outbox(session=session, statuses=status, limit=limit, now=now)
        console.print("  ".join(f"{s}: {depth.get(s, 0)}" for s in STATUSES))
        if not rows:
            console.print("no replies" + (f" with status {', '.join(status)}" if status else ""))
            return
        table = Table("id", "item", "source", "kind", "by", "status", "text")
        for r in rows:
            table.add_row(str(r["id"]), str(r["message_id"]), r["source"], r["kind"],
                          r["author"] or "-", r["label"][:70], r["text"][:50])
        console.print(table)

    @outbox_app.command("retry")
    def retry(reply_id: int = typer.Argument(..., help="the row id from `triage outbox`")) -> None:
        """Queue a failed or dead reply again (after fixing the source's credentials, say)."""
        from triage.cli.common import services as _services
        from triage.core.errors import DomainError
        from triage.platform.db import transaction
        from triage.replies import outbox as sender
        from triage.replies import service

        services, now = _services(), datetime.now(UTC)
        try:
            with transaction(services.db) as session:
                service.retry_as(session=session, reply_id=reply_id, actor="cli", now=now)
        except DomainError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=2) from None
        sender.dispatch(services=services, ids=[reply_id])
        console.print(f"reply {reply_id} queued again")
