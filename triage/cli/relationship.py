"""`triage import-crm FILE` and `triage policy show|rescore`: CRM facts and the relationship policy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

console = Console()
MAX_ERRORS_SHOWN = 50


def register(app: typer.Typer) -> None:
    """Add the relationship commands to the `triage` app."""
    policy_app = typer.Typer(help="The relationship policy leads set.", no_args_is_help=True)
    app.add_typer(policy_app, name="policy")

    @app.command("import-crm")
    def import_crm(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                                        help="CSV or JSONL export from the CRM")],
                   rescore: bool = typer.Option(True, help="re-rank open items with the new facts")) -> None:
        """Create or update contacts from a CRM export and link them to channel authors."""
        from triage.cli.common import services as _services
        from triage.people import crm_import
        from triage.people.crm_record import read_records
        from triage.scoring import relationship

        services = _services()
        total = sum(1 for _ in read_records(file))
        with Progress(console=console) as bar:
            task = bar.add_task(f"importing {file.name}", total=total)
            report = crm_import.import_crm(
                db=services.db, records=read_records(file), now=datetime.now(UTC),
                progress=lambda n: bar.advance(task, n))
        for lineno, error in report.errors[:MAX_ERRORS_SHOWN]:
            console.print(f"[red]line {lineno}:[/red] {error}")
        if len(report.errors) > MAX_ERRORS_SHOWN:
            console.print(f"... and {len(report.errors) - MAX_ERRORS_SHOWN} more refused lines")
        console.print(f"{report.created} contacts created, {report.updated} updated, "
                      f"{report.linked} author identities linked, {len(report.errors)} lines refused")
        if rescore:
            n = relationship.rescore_open(db=services.db, conn=services.redis, now=datetime.now(UTC))
            console.print(f"{n} open items re-ranked")
        if report.errors:
            raise typer.Exit(code=1)

    @app.command("demo-crm")
    def demo_crm() -> None:
        """Load CRM facts for the demo authors and re-rank open items (development demo)."""
        from triage.cli.common import services as _services
        from triage.devstack.demo import demo_crm_records
        from triage.people import crm_import
        from triage.scoring import relationship

        services = _services()
        now = datetime.now(UTC)
        report = crm_import.import_crm(db=services.db, records=demo_crm_records(), now=now)
        n = relationship.rescore_open(db=services.db, conn=services.redis, now=now)
        console.print(f"{report.created + report.updated} demo contacts, {report.linked} authors "
                      f"linked, {n} open items re-ranked")

    @policy_app.command("show")
    def show() -> None:
        """Print the active relationship policy and its version."""
        from triage.cli.common import services as _services
        from triage.scoring.relationship import policy_in_force

        services = _services()
        with services.db() as session:
            version, policy = policy_in_force(session=session)
        print(json.dumps({"version": version, **policy.as_dict()}, indent=2))

    @policy_app.command("rescore")
    def rescore() -> None:
        """Re-rank open items under the active policy (no re-embedding)."""
        from triage.cli.common import services as _services
        from triage.scoring import relationship

        services = _services()
        n = relationship.rescore_open(db=services.db, conn=services.redis, now=datetime.now(UTC))
        console.print(f"{n} open items re-ranked")
