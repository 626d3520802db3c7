"""A week with a clock change: every shift, gap and forecast hour sits on the same elapsed hour."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from triage.scheduling.domain.rules import ShiftTemplate, StaffingRules
from triage.scheduling.domain.staff import staff_from_dict
from triage.scheduling.planning.roster_model import ANY, RosterRequest, candidates, hour_at
from triage.scheduling.roster import SkillDemand, on_week

MADRID = ZoneInfo("Europe/Madrid")
WEEK = datetime(2026, 3, 23, tzinfo=MADRID)  # clocks go forward on Sunday 29 March


def test_the_same_shift_in_two_zones_covers_the_same_week_hours():
    rules = StaffingRules(team_timezone="Europe/Madrid")
    staff = [staff_from_dict({"id": "madrid", "name": "M", "timezone": "Europe/Madrid"}),
             staff_from_dict({"id": "paris", "name": "P", "timezone": "Europe/Paris"})]
    request = RosterRequest(WEEK, staff, [ShiftTemplate("day", time(9), 8, local=True)],
                            {ANY: [1] * 168}, rules)
    sunday = {staff[c.person].id: c for c in candidates(request) if c.day == 6}
    assert sunday["madrid"].hours == sunday["paris"].hours
    # 09:00 CEST is 07:00 UTC, 152 elapsed hours after Monday 00:00 CET (23:00 UTC on Sunday)
    first = (datetime(2026, 3, 29, 7, tzinfo=UTC) - WEEK.astimezone(UTC)) // timedelta(hours=1)
    assert sunday["madrid"].hours[0] == first == 152
    assert sunday["madrid"].end - sunday["madrid"].start == timedelta(hours=8)


def test_hour_at_counts_elapsed_hours_across_the_change():
    assert hour_at(WEEK, 152) == datetime(2026, 3, 29, 9, tzinfo=MADRID)
    assert hour_at(WEEK, 151) == datetime(2026, 3, 29, 8, tzinfo=MADRID)
    assert hour_at(WEEK, 0) == WEEK


def test_a_clock_profile_lands_on_the_clock_hours_of_a_week_with_a_change():
    profile = [float(slot) for slot in range(168)]  # each hour of the clock week tagged with itself
    laid = on_week(SkillDemand({ANY: [int(v) for v in profile]}, {ANY: profile}, "test"), WEEK)
    for h in (0, 100, 145, 150, 152, 167):
        at = hour_at(WEEK, h)
        assert laid.arrivals[ANY][h] == at.weekday() * 24 + at.hour
        assert laid.people[ANY][h] == at.weekday() * 24 + at.hour
    assert laid.people[ANY][152] == 6 * 24 + 9  # Sunday 09:00 on the clock
