"""What every sub-command shares: the console, the service graph, and a clean failure."""

from __future__ import annotations

import typer
from rich.console import Console

from triage.config import Settings, get_settings

console = Console()


def services(settings: Settings | None = None):
    """The service graph for a command (built late, so `--help` stays fast)."""
    from triage.bootstrap import build_services

    return build_services(settings or get_settings())


def fail(message: str) -> None:
    """Print the reason and exit with status 2 (a CLI message, not a traceback)."""
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code=2)
