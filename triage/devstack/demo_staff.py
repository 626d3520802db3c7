"""Development demo staffing: the demo logins become staff with shifts around now and default rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from triage.accounts import service as accounts
from triage.scheduling import staffing, team

DEMO_DAYS = 7  # shifts for the coming week, so the roster and hours pages have something to show
# (name, login, languages, first shift start in hours from now, days off (0 = today), on call, zone);
# three zones, so the team board and the roster show local times beside team time
DEMO_STAFF = (
    ("Alex Agent", "agent", ["en"], -1.0, {5, 6}, False, "Europe/London"),
    ("Lee Lead", "lead", ["en", "es"], 2.0, set(), True, "America/New_York"),
    ("Sam (no login)", None, ["en", "de"], -3.0, {3, 4}, False, "Europe/Berlin"),
)
SHIFT_HOURS = 8.0


def seed_demo_staff(*, session: Session, now: datetime) -> bool:
    """Create the demo team once (no-op when any staff exists); True when it seeded."""
    if team.list_staff(session=session, active_only=False):
        return False
    hour = now.replace(minute=0, second=0, microsecond=0)
    for name, login, languages, first, days_off, on_call, zone in DEMO_STAFF:
        if login and accounts.find_user(session=session, username=login) is None:
            login = None
        row = staffing.create_staff(session=session, actor="demo", now=now, data={
            "name": name, "username": login, "skills": {"languages": languages},
            "on_call": on_call, "contract_hours": 40.0, "timezone": zone})
        if on_call:  # on call until the first shift starts, so a critical item now can page
            staffing.add_shift(session=session, staff_id=row.id, start=hour - timedelta(hours=8),
                               end=hour + timedelta(hours=first), kind="on_call")
        for day in range(DEMO_DAYS):
            if day in days_off:
                continue
            start = hour + timedelta(hours=first, days=day)
            staffing.add_shift(session=session, staff_id=row.id, start=start,
                               end=start + timedelta(hours=SHIFT_HOURS))
            if on_call:  # the night after the shift, paged only for critical items
                night = start + timedelta(hours=SHIFT_HOURS + 1)
                staffing.add_shift(session=session, staff_id=row.id, start=night,
                                   end=night + timedelta(hours=8), kind="on_call")
    staffing.set_rules(session=session, raw={}, actor="demo", now=now, note="demo defaults")
    return True
