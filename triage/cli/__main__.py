"""`python -m triage.cli`: the same app as the `triage` command."""

from triage.cli.main import app

app()
