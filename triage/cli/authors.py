"""`triage authors link|unlink|show`: one person across channels from the command line.

Authors are named by their id or as `source:external_id` (`email-support:sam@example.com`).
The CLI acts with the database's full rights, like an admin; its audit entries say `cli:<user>`.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry in some containers
        return "cli"


def _author_id(session, ref: str) -> int:
    """An author id from `42` or `source:external_id`."""
    from triage.people.service import author_by_ref

    return author_by_ref(session=session, ref=ref).id


def register(app: typer.Typer) -> None:
    """Add `triage authors ...` to the `triage` app."""
    authors_app = typer.Typer(help="Channel identities and the person behind them.",
                              no_args_is_help=True)
    app.add_typer(authors_app, name="authors")

    def run(action) -> None:
        """Run one change in a transaction, re-rank what it touched, and print the outcome."""
        from triage.cli.common import services as _services
        from triage.core.errors import DomainError, NotFound
        from triage.platform.db import transaction

        services = _services()
        now = datetime.now(UTC)
        try:
            with transaction(services.db) as session:
                result = action(session, now)
        except DomainError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=1 if isinstance(exc, NotFound) else 2) from None
        if not result.changed:
            console.print(f"author {result.author_id} is already part of person {result.person_id}")
            return
        from triage.scoring.rescoring import rescore_people

        n = rescore_people(db=services.db, conn=services.redis,
                                   author_ids=result.affected_authors, now=now)
        for aid, before, after in result.moved:
            console.print(f"author {aid}: person {before or '-'} -> {after or '-'}")
        console.print(f"{result.mode}: author {result.author_id} is now "
                      f"{'person ' + str(result.person_id) if result.person_id else 'on its own'}; "
                      f"{n} open items re-ranked")

    @authors_app.command("link")
    def link(author: str = typer.Argument(..., help="author id or source:external_id"),
             other: str | None = typer.Argument(None, help="the other author (same person)"),
             person: int | None = typer.Option(None, "--person", help="a contact id instead")) -> None:
        """Say AUTHOR is the same person as OTHER (or as --person N); merges two people."""
        from triage.people import authors as service

        if (other is None) == (person is None):
            console.print("[red]error:[/red] give the other author or --person, not both")
            raise typer.Exit(code=2)

        def action(session, now):
            return service.link(session=session, author_id=_author_id(session, author),
                                actor=_actor(), now=now, contact_id=person,
                                other_author_id=_author_id(session, other) if other else None)

        run(action)

    @authors_app.command("unlink")
    def unlink(author: str = typer.Argument(..., help="author id or source:external_id")) -> None:
        """Undo the link that joined AUTHOR to its person, or split it off on its own."""
        from triage.people import authors as service

        run(lambda session, now: service.unlink(session=session, author_id=_author_id(session, author),
                                                actor=_actor(), now=now))

    @authors_app.command("show")
    def show(author: str = typer.Argument(..., help="author id or source:external_id"),
             messages: int = typer.Option(10, help="recent messages shown")) -> None:
        """An author, the person it belongs to, their other identities and recent messages."""
        from triage.cli.common import services as _services
        from triage.core.errors import DomainError
        from triage.people import service as people

        services = _services()
        with services.db() as session:
            try:
                row = people.author_by_ref(session=session, ref=author)
            except DomainError as exc:
                console.print(f"[red]error:[/red] {exc}")
                raise typer.Exit(code=1) from None
            a = people.author_public(row)
            person = (people.person_view(session=session, contact_id=row.contact_id,
                                         messages=messages) if row.contact_id else None)
        console.print(f"author {a['id']}: {a['handle'] or a['name'] or a['external_id']} on "
                      f"{a['source']} (external id {a['external_id']})")
        if person is None:
            console.print("not linked to any person")
            return
        console.print(f"person {person['id']}: {person['name'] or '-'} · {person['group']}"
                      + (f" · CRM {person['crm_id']}" if person["crm_id"] else "")
                      + (f" · {person['email']}" if person["email"] else ""))
        ids = Table("id", "source", "handle", "external id", "messages", title="identities")
        for i in person["identities"]:
            ids.add_row(str(i["id"]), i["source"], i["handle"] or i["name"] or "",
                        i["external_id"], str(i["messages"]))
        console.print(ids)
        recent = Table("received", "source", "from", "text", "status", title="recent messages")
        for m in person["messages"]:
            recent.add_row(m["received_at"][:16], m["source"], m["author"], m["text"][:60],
                           m["status"])
        console.print(recent)
