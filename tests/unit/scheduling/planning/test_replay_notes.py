"""A simulation whose roster the wall-clock net cut short says so: its figures may not repeat."""

from __future__ import annotations

from types import SimpleNamespace

from triage.scheduling.planning.replay import cut_short
from triage.scheduling.planning.roster import CUT_SHORT


def test_only_weeks_cut_short_are_reported_by_week():
    plan = SimpleNamespace(rosters=[
        SimpleNamespace(notes=("2 shifts could not be filled",)),
        SimpleNamespace(notes=(f"{CUT_SHORT} after 80.6 s (machine busy): this roster may differ",)),
    ])
    assert cut_short(plan) == [f"week 2: {CUT_SHORT} after 80.6 s (machine busy): this roster may differ"]
