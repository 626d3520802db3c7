"""Out-of-hours pages: only to someone on call now who has the item's skills, within their page budget,
their daily and weekly time at work and their rest; otherwise a coverage gap that says why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from triage.scheduling.domain.limits import EPSILON, Load
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import PersonState, WaitingItem

DAY_WINDOW = timedelta(hours=24)
PAGE_BUDGET = "page budget spent"
REST = "would break the minimum rest"
DAY_AT_WORK = "would pass the daily hours (time at work)"
WEEK_AT_WORK = "would pass the weekly hours (time at work)"
DAYS_IN_A_ROW = "would make too many working days in a row"


def _merged(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def rest_holds(spans: Iterable[tuple[datetime, datetime]], min_rest: timedelta, *,
               around: tuple[datetime, datetime]) -> bool:
    """True when each 24 h from the start of a work period near `around` holds `min_rest` off in a row.

    Only the periods that can see `around` are checked, so an old problem does not block every page.
    """
    merged = _merged(spans)
    for i, (start, _) in enumerate(merged):
        if not around[0] - DAY_WINDOW <= start <= around[1]:
            continue
        window_end, cursor, longest = start + DAY_WINDOW, start, timedelta(0)
        for s, e in merged[i:]:
            if s >= window_end:
                break
            longest, cursor = max(longest, s - cursor), max(cursor, e)
        if max(longest, window_end - cursor) < min_rest:
            return False
    return True


def page_refusal(person: PersonState, load: Load, hours: float, now: datetime, used: tuple[int, int],
                 rules: StaffingRules) -> str | None:
    """None when `person` may be paged for `hours` of work at `now`, else the limit it would break."""
    if used[0] >= rules.pages_per_night or used[1] >= rules.pages_per_week:
        return PAGE_BUDGET
    refused = load.hours_refusal(hours, rules)  # handling hours, as every assignment is checked
    if refused is not None:
        return refused
    if (person.at_work_today is not None
            and person.at_work_today + load.paged + hours > rules.max_hours_per_day + EPSILON):
        return DAY_AT_WORK
    if (person.at_work_week is not None
            and person.at_work_week + load.paged + hours > rules.max_hours_per_week + EPSILON):
        return WEEK_AT_WORK
    if person.days_in_a_row is not None and person.days_in_a_row > rules.max_consecutive_days:
        return DAYS_IN_A_ROW  # a page makes a working day: it must not take away the free day
    page = (now, now + timedelta(hours=hours + load.paged))
    spans = [(s.start, s.end) for s in person.shifts] + [(w.start, w.end) for w in person.worked] + [page]
    return None if rest_holds(spans, rules.min_rest, around=page) else REST


def with_skills(people: Iterable[PersonState], skills: frozenset[str]) -> list[PersonState]:
    """The people who have every skill an item requires."""
    return [p for p in people if skills <= p.skills]


def on_call_at(people: Iterable[PersonState], moment: datetime) -> list[PersonState]:
    """The people on call at `moment`, who may be paged."""
    return [p for p in people if any(w.contains(moment) for w in p.on_call)]


def covered(people: Sequence[PersonState], skills: frozenset[str], moment: datetime) -> bool:
    """Whether an item needing `skills` at `moment` has someone: on a regular shift with the skills,
    else on call with them. Without either the router records a coverage gap (page limits aside)."""
    skilled = with_skills(people, skills)
    return any(p.shift_at(moment) is not None for p in skilled) or bool(on_call_at(skilled, moment))


def choose_on_call(item: WaitingItem, people: Sequence[PersonState], loads: Mapping[str, Load],
                   pages_used: Counter[str], rules: StaffingRules, now: datetime) -> tuple[str | None, str]:
    """Who to page for `item` (fewest pages this week first), or None and the reason nobody can be."""
    on_call = on_call_at(people, now)
    if not on_call:
        return None, "no one on call"
    skilled = with_skills(on_call, item.required_skills)
    if not skilled:
        need = ", ".join(f"'{s}'" for s in sorted(item.required_skills))
        return None, f"no one on call with {need} ({len(on_call)} on call without it)"
    hours = rules.handling_hours[item.urgency]
    fits, refusals = [], Counter()
    for p in skilled:
        used = (p.pages_tonight + pages_used[p.id], p.pages_week + pages_used[p.id])
        why = page_refusal(p, loads[p.id], hours, now, used, rules)
        if why is None:
            fits.append((used[1], p.id))
        else:
            refusals[why] += 1
    if fits:
        return min(fits)[1], ""
    detail = ", ".join(f"{n} {why}" for why, n in refusals.most_common())
    return None, f"{len(skilled)} on call with the skill, none can take it: {detail}"
