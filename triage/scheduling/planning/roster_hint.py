"""A greedy roster used as the CP-SAT hint: cover the most uncovered hours, least-used people first."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from triage.scheduling.planning.roster_model import (
    ANY,
    DAYS,
    Candidate,
    RosterHistory,
    RosterRequest,
    rest_clash,
)


class _PersonTally:
    __slots__ = ("cap", "chosen", "days", "hist", "hours", "nights", "weekends")

    def __init__(self, cap: float, hist: RosterHistory) -> None:
        self.hours, self.days, self.chosen = 0.0, [0] * DAYS, []
        self.nights, self.weekends, self.cap, self.hist = 0, 0, cap, hist


def _fits(c: Candidate, t: _PersonTally, request: RosterRequest) -> bool:
    rules = request.rules
    if t.days[c.day] or t.hours + c.length > t.cap:
        return False
    if t.hist.last_shift_end and c.start - t.hist.last_shift_end < rules.min_rest:
        return False
    if any(rest_clash(c, o, rules) or _wraps(c, o, rules) for o in t.chosen):
        return False
    if c.night and t.nights + t.hist.nights_prev_3_weeks >= rules.max_nights_per_4_weeks:
        return False
    if c.weekend and t.weekends + t.hist.weekends_prev_3_weeks >= rules.max_weekend_shifts_per_4_weeks:
        return False
    k = rules.max_consecutive_days
    seq = [1] * min(t.hist.consecutive_days_before, k) + t.days
    seq[len(seq) - DAYS + c.day] = 1
    return all(sum(seq[s:s + k + 1]) <= k for s in range(len(seq) - k))


def _wraps(a: Candidate, b: Candidate, rules) -> bool:
    """Rest clash across the week boundary, the plan being repeated next week."""
    if abs(a.day - b.day) < 5:
        return False
    late, early = (a, b) if a.day > b.day else (b, a)
    return early.start + timedelta(days=7) - late.end < rules.min_rest


def greedy_hint(request: RosterRequest, cands: list[Candidate]) -> tuple[set[int], dict[int, int]]:
    """Indexes of chosen candidates, and an on-call person per night (day -> person index)."""
    staff, rules = request.staff, request.rules
    residual = {s: [int(v) for v in need] for s, need in request.demand.items()}
    skills_of = [[s for s in residual if s == ANY or s in p.tags] for p in staff]
    tallies = [_PersonTally(min(rules.max_hours_per_week, p.contract_hours),
                            request.history.get(p.id, RosterHistory())) for p in staff]
    slots: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, c in enumerate(cands):
        slots[c.day, c.template].append(i)
    chosen: set[int] = set()
    order = sorted(range(len(request.templates)), key=lambda ti: request.templates[ti].start_hour)
    for d in range(DAYS):
        for ti in order:
            for i in sorted(slots[d, ti], key=lambda i: (tallies[cands[i].person].hours, cands[i].person)):
                c, t = cands[i], tallies[cands[i].person]
                gain = sum(1 for s in skills_of[c.person] for h in c.hours if residual[s][h] > 0)
                if gain == 0 or not _fits(c, t, request):
                    continue
                chosen.add(i)
                t.hours += c.length
                t.days[c.day] = 1
                t.chosen.append(c)
                t.nights += c.night
                t.weekends += c.weekend
                for s in skills_of[c.person]:
                    for h in c.hours:
                        residual[s][h] = max(0, residual[s][h] - 1)
    return chosen, _on_call_hint(request, tallies)


def _on_call_hint(request: RosterRequest, tallies: list[_PersonTally]) -> dict[int, int]:
    """One eligible person per night, free that night and next morning, with hours left for pages."""
    rules = request.rules
    reserve = rules.pages_per_night * rules.handling["critical"] / timedelta(hours=1)
    eligible = [p for p, s in enumerate(request.staff) if s.on_call_eligible]
    count: dict[int, int] = defaultdict(int)
    out = {}
    for d in range(DAYS):
        free = [p for p in eligible
                if not tallies[p].days[d] and not (d + 1 < DAYS and tallies[p].days[d + 1])
                and tallies[p].hours + reserve * (count[p] + 1) <= rules.max_hours_per_week]
        if free:
            pick = min(free, key=lambda p: (count[p], p))
            count[pick] += 1
            out[d] = pick
    return out
