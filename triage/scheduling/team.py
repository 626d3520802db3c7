"""The team as the edges (api, cli) read it: staff and logins, shifts, time off, gaps, publications.

Routes and commands call these, never the store, so the storage can change under them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from triage.core.errors import NotFound
from triage.platform import tables_scheduling as ts
from triage.scheduling import store as repo

# Reads the edges use as they are: the store's queries under the feature's public names.
list_staff = repo.list_staff
get_staff = repo.get_staff
shifts_between = repo.shifts_between
time_off_between = repo.time_off_between
list_gaps = repo.list_gaps
rule_set_history = repo.rule_set_history
latest_publication = repo.latest_publication
delete_shift = repo.delete_shift


def logins(*, session: Session) -> dict[int, str]:
    """Staff id -> the username of their active login, for those who have one."""
    return {sid: u.username for sid, u in repo.users_by_staff(session=session).items()}


def span_public(row: ts.Shift | ts.TimeOff) -> dict[str, Any]:
    """A shift (with its kind) or a time-off span (with its reason) as the API shows it."""
    out = {"id": row.id, "staff_id": row.staff_id, "start": row.start.isoformat(),
           "end": row.end.isoformat()}
    out.update({"kind": row.kind} if isinstance(row, ts.Shift) else {"reason": row.reason})
    return out


def mark_gap_seen(*, session: Session, gap_id: int, actor: str, now: datetime) -> ts.CoverageGapRow:
    """A lead has seen this coverage gap; NotFound for an unknown id."""
    gap = session.get(ts.CoverageGapRow, gap_id)
    if gap is None:
        raise NotFound(f"unknown coverage gap {gap_id}")
    gap.seen_by, gap.seen_at = actor, now
    return gap
