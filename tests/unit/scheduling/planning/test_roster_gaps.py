from datetime import datetime
from zoneinfo import ZoneInfo

from triage.scheduling.planning.roster_gaps import MAX_SPANS, skill_gaps
from triage.scheduling.planning.roster_model import ANY

MONDAY = datetime(2026, 3, 2, tzinfo=ZoneInfo("Europe/Paris"))


def week(*hours: int, value: int = 1) -> list[int]:
    return [value if h in hours else 0 for h in range(168)]


def test_a_language_nobody_covers_is_named_with_its_hours_in_team_time():
    uncovered = {ANY: week(), "ja": week(1, 2, 3, 121)}
    planned = {ANY: week(*range(168)), "ja": week()}
    [ja] = skill_gaps(uncovered, planned, week_start=MONDAY, zone="Europe/Paris")
    assert ja.text == "ja: 4 person-hours short, 4 h with nobody who has it: Mon 01:00-04:00, Sat 01:00-02:00"


def test_a_short_handed_language_is_told_apart_from_one_with_nobody():
    uncovered = {"es": week(10, 11), "ja": week(3)}
    planned = {"es": week(10, 11), "ja": week()}
    gaps = skill_gaps(uncovered, planned, week_start=MONDAY, zone="Europe/Paris")
    assert [g.text for g in gaps] == ["ja: 1 person-hour short, 1 h with nobody who has it: Mon 03:00-04:00",
                                      "es: 2 person-hours short, never with nobody who has it"]


def test_a_run_across_midnight_names_both_days_and_a_long_list_is_cut():
    hours = [22, 23, 24, 25] + [30 + 2 * i for i in range(MAX_SPANS + 2)]
    [gap] = skill_gaps({ANY: week(*hours)}, {ANY: week()}, week_start=MONDAY, zone="Europe/Paris")
    assert gap.label == "any skill"
    assert gap.spans[0] == "Mon 22:00-Tue 02:00"
    assert gap.text.endswith(" and 3 more")


def test_hours_are_counted_in_real_time_across_the_spring_clock_change():
    before_dst = datetime(2026, 3, 23, tzinfo=ZoneInfo("Europe/Paris"))  # clocks go forward on Sunday 29
    [gap] = skill_gaps({"ja": week(146)}, {"ja": week()}, week_start=before_dst, zone="Europe/Paris")
    assert gap.spans == ("Sun 03:00-04:00",)  # 146 h after Monday 00:00 CET is 03:00 CEST
