"""A language only one person speaks: the roster puts that person where the language is needed."""

from datetime import datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from triage.scheduling.domain.rules import ShiftTemplate, StaffingRules
from triage.scheduling.domain.staff import Skills, Staff
from triage.scheduling.planning.roster import plan_roster
from triage.scheduling.planning.roster_model import ANY, Roster, RosterRequest

MONDAY = datetime(2026, 3, 2, tzinfo=ZoneInfo("UTC"))
LOCAL = (ShiftTemplate("early", time(7), 8, local=True), ShiftTemplate("day", time(9), 8, local=True),
         ShiftTemplate("late", time(12), 8, local=True))
JA_HOURS = range(0, 3)  # 09:00-12:00 in Tokyo, the afternoon before in Los Angeles
JA_DAYS = range(6)  # Monday to Saturday: one more morning than Kai's five shifts
JA_MORNINGS = [d * 24 + h for d in JA_DAYS for h in JA_HOURS]


def person(pid: str, zone: str, *langs: str) -> Staff:
    return Staff(id=pid, name=pid.title(), timezone=zone, skills=Skills(languages=frozenset({"en", *langs})))


@cache
def kai_alone_speaks_japanese() -> Roster:
    """Kai (Los Angeles) speaks en, es and ja; es is busy in the American day, where Kai's early shift
    also fills generic seats, while only his late shift reaches the Tokyo morning. Every hour is short."""
    staff = [person("kai", "America/Los_Angeles", "es", "ja"), person("lucia", "America/Mexico_City", "es"),
             person("sam", "America/New_York", "es"), person("eu0", "Europe/London"),
             person("eu1", "Europe/London")]
    anyone, en, es, ja = ([0] * 168 for _ in range(4))
    for h in range(168):
        hour = h % 24
        anyone[h], en[h] = (3, 2) if 6 <= hour < 22 else (1, 1)
        es[h] = 2 if 14 <= hour < 22 else 0
    for h in JA_MORNINGS:
        ja[h] = 1
    request = RosterRequest(MONDAY, staff, LOCAL, {ANY: anyone, "en": en, "es": es, "ja": ja},
                            StaffingRules(), on_call=False)
    return plan_roster(request, time_limit=10)


def test_the_only_japanese_speaker_works_the_tokyo_mornings_his_contract_allows():
    roster = kai_alone_speaks_japanese()
    missed = [f"day {h // 24} {h % 24:02d}:00" for h in JA_MORNINGS if not roster.planned["ja"][h]]
    assert len(roster.shifts_of("kai")) == 5  # 40 contract hours
    assert len(missed) == 3, missed  # five shifts reach five of the six mornings


def test_the_japanese_hours_no_one_covers_are_reported_as_japanese():
    roster = kai_alone_speaks_japanese()
    assert sum(roster.uncovered["ja"]) == 3
    assert all(roster.uncovered["ja"][h] == 1 - roster.planned["ja"][h] for h in JA_MORNINGS)


PEAK = [d * 24 + h for d in range(5) for h in JA_HOURS]  # weekday mornings in Tokyo


def yuki_alone_speaks_japanese(volume: bool) -> Roster:
    """Japanese arrives all week, so every hour needs a seat, but most of it on Tokyo weekday mornings;
    Yuki's 40 hours cannot cover the week, and every other hour of hers is as wanted as those."""
    staff = [person("yuki", "Asia/Tokyo", "ja"), *(person(f"eu{i}", "Europe/London") for i in range(3))]
    demand = {ANY: [3] * 168, "en": [2] * 168, "ja": [2] * 168}
    arrivals = {"ja": [4.0 if h in PEAK else 0.3 for h in range(168)]} if volume else {}
    request = RosterRequest(MONDAY, staff, LOCAL, demand, StaffingRules(), on_call=False, volume=arrivals)
    return plan_roster(request, time_limit=10)


def test_a_lone_speaker_covers_the_hours_their_language_is_busiest_when_the_forecast_is_known():
    roster = yuki_alone_speaks_japanese(volume=True)
    missed = [f"day {h // 24} {h % 24:02d}:00" for h in PEAK if not roster.planned["ja"][h]]
    assert missed == []


def test_a_forecast_of_the_wrong_length_is_refused_naming_the_skill():
    import pytest

    from triage.scheduling.domain.errors import SchedulingError
    request = RosterRequest(MONDAY, [person("yuki", "Asia/Tokyo", "ja")], LOCAL, {"ja": [1] * 168},
                            StaffingRules(), volume={"ja": [1.0] * 24})
    with pytest.raises(SchedulingError, match="volume for 'ja' has 24 hours"):
        plan_roster(request, time_limit=1)
