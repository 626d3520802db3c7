"""Coverage ahead, for alerting: business-hours time in the next hours when an item would find nobody.

"Nobody" is the router's own test (domain.paging.covered): no one with the item's language on a
regular shift, and no one with it on call to be paged. That is when a critical item becomes a
coverage gap, so the gauge and the router agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from triage.scheduling import store as repo
from triage.scheduling.domain.paging import covered
from triage.scheduling.domain.sla import business_open
from triage.scheduling.domain.snapshot import PersonState
from triage.scheduling.domain.staff import Interval
from triage.scheduling.domain.team_view import uncovered
from triage.scheduling.hours import on_call_shifts, regular_shifts
from triage.scheduling.routing import skill_tags
from triage.scheduling.staffing import current_rules

STEP = timedelta(minutes=5)  # resolution: shifts start on the hour or half hour in practice
ANY = "any"  # an item without a language: anyone on shift or on call will do


def gaps_ahead(*, session: Session, now: datetime, horizon: timedelta) -> list[Interval]:
    """Stretches of [now, now + horizon) inside business hours with nobody on a regular shift
    (the team board's view; the gauge below also counts on-call and languages)."""
    rules = current_rules(session=session)
    spans = [s for person in regular_shifts(session=session, start=now, end=now + horizon).values()
             for s in person]
    return uncovered(spans, start=now, end=now + horizon, is_open=lambda m: business_open(m, rules))


def uncovered_seconds(*, session: Session, now: datetime, horizon: timedelta) -> dict[str, float]:
    """Seconds of [now, now + horizon) inside business hours with nobody for an item, per language.

    The languages are "any" plus each language a routable staff member lists (bounded by the
    roster). Outside business hours an empty roster is the plan, not a gap, so only open time counts.
    """
    rules = current_rules(session=session)
    people = routable_people(session=session, start=now, end=now + horizon)
    needs = {ANY: frozenset(), **{lang: frozenset({lang}) for lang in sorted(_languages(session))}}
    gaps = dict.fromkeys(needs, 0.0)
    moment = now
    while moment < now + horizon:
        if business_open(moment, rules):
            for language, skills in needs.items():
                if not covered(people, skills, moment):
                    gaps[language] += STEP.total_seconds()
        moment += STEP
    return gaps


def routable_people(*, session: Session, start: datetime, end: datetime) -> list[PersonState]:
    """Active staff with a login (the router assigns and pages no one else): skills and shifts."""
    linked = repo.users_by_staff(session=session)
    regular = regular_shifts(session=session, start=start, end=end)
    on_call = on_call_shifts(session=session, start=start, end=end)
    return [PersonState(id=str(s.id), skills=skill_tags(s.skills),
                        shifts=tuple(regular.get(str(s.id), ())), on_call=tuple(on_call.get(str(s.id), ())))
            for s in repo.list_staff(session=session) if s.id in linked]


def _languages(session: Session) -> set[str]:
    linked = repo.users_by_staff(session=session)
    return {str(lang) for s in repo.list_staff(session=session) if s.id in linked
            for lang in (s.skills or {}).get("languages", ())}


def on_shift_now(*, session: Session, now: datetime) -> int:
    """People whose regular shift covers `now` (time off already taken out)."""
    shifts = regular_shifts(session=session, start=now, end=now + timedelta(seconds=1))
    return sum(1 for spans in shifts.values() if any(s.start <= now < s.end for s in spans))
