"""Weekly roster with OR-Tools CP-SAT over whole shifts; uncovered demand is reported, never forced."""

from __future__ import annotations

import math
import time as clock
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from ortools.sat.python import cp_model

from triage.scheduling.domain.errors import SchedulingError
from triage.scheduling.domain.rules import validate_rules
from triage.scheduling.domain.staff import Interval, find_staff, index_staff
from triage.scheduling.planning.roster_hint import greedy_hint
from triage.scheduling.planning.roster_model import (
    ANY,
    DAYS,
    WEEK_HOURS,
    Candidate,
    PlannedShift,
    Roster,
    RosterHistory,
    RosterRequest,
    candidates,
    rest_clash,
    unworkable_templates,
)
from triage.scheduling.planning.roster_solve import DEFAULT_WORKERS, SolveRun, solve
from triage.scheduling.planning.roster_weights import (
    FAIRNESS_WEIGHT,
    ON_CALL_GAP_WEIGHT,
    PREFERENCE_WEIGHT,
    UNCOVERED_WEIGHT,
    first_seat_weights,
)

# 17:00-22:00 in the on-call person's own zone: the evening after a day shift, never their night.
# Follow the sun: someone else's working day covers the deep night; on-call covers the seams.
ON_CALL_HOURS = (17, 22)
CUT_SHORT = "the solver was stopped by the wall-clock safety net"  # starts the note of such a roster

class _Builder:
    """Holds the CP-SAT model and its variables while constraints are added."""

    def __init__(self, request: RosterRequest) -> None:
        self.request, self.rules = request, request.rules
        self.model = cp_model.CpModel()
        self.cands = candidates(request)
        self.x = [self.model.NewBoolVar(f"x{i}") for i in range(len(self.cands))]
        self.by_person: dict[int, list[int]] = defaultdict(list)
        for i, c in enumerate(self.cands):
            self.by_person[c.person].append(i)
        self.cost: list = []
        self.slack: dict[str, list] = {}
        self.on_call: dict[tuple[int, int], cp_model.IntVar] = {}
        self.hours_used: dict[int, list] = {}

    def history(self, person: int) -> RosterHistory:
        return self.request.history.get(self.request.staff[person].id, RosterHistory())

    def person_rules(self) -> None:
        rules, m = self.rules, self.model
        for p, idx in self.by_person.items():
            person, hist = self.request.staff[p], self.history(p)
            day_vars: list[list] = [[] for _ in range(DAYS)]
            for i in idx:
                day_vars[self.cands[i].day].append(self.x[i])
                if hist.last_shift_end and self.cands[i].start - hist.last_shift_end < rules.min_rest:
                    m.Add(self.x[i] == 0)
            for d in range(DAYS):
                m.AddAtMostOne(day_vars[d])
            for a in idx:  # rest between shifts on nearby days, Sunday -> Monday included (cyclic week)
                for b in idx:
                    ca, cb = self.cands[a], self.cands[b]
                    if a < b and ca.day != cb.day and _near_clash(ca, cb, rules):
                        m.AddBoolOr([self.x[a].Not(), self.x[b].Not()])
            cap = min(rules.max_hours_per_week, person.contract_hours)
            self.hours_used[p] = [(round(self.cands[i].length * 4), self.x[i]) for i in idx]
            m.Add(sum(q * x for q, x in self.hours_used[p]) <= int(cap * 4))
            m.Add(sum(self.x[i] for i in idx if self.cands[i].night)
                  <= max(0, rules.max_nights_per_4_weeks - hist.nights_prev_3_weeks))
            m.Add(sum(self.x[i] for i in idx if self.cands[i].weekend)
                  <= max(0, rules.max_weekend_shifts_per_4_weeks - hist.weekends_prev_3_weeks))
            avoid = person.preferences
            for i in idx:
                c = self.cands[i]
                name = self.request.templates[c.template].name
                if name in avoid.avoid_templates or c.start.weekday() in avoid.avoid_weekdays:
                    self.cost.append(PREFERENCE_WEIGHT * self.x[i])

    def consecutive_days(self) -> None:
        """At most max_consecutive_days worked calendar days in a row, on-call evenings included
        (a page is work on that day); runs carried in from last week count."""
        k = self.rules.max_consecutive_days
        for p, idx in self.by_person.items():
            hist = self.history(p)
            works = self._days_worked(p, idx)
            # works starts on the Sunday before; a streak carried in from last week already holds it
            # (and Monday too, when last week's Sunday night ran into it)
            skip = 2 if hist.monday_worked else 1 if hist.consecutive_days_before else 0
            seq = [1] * min(hist.consecutive_days_before, k) + works[skip:]
            for s in range(len(seq) - k):
                self.model.Add(sum(seq[s:s + k + 1]) <= k)

    def _days_worked(self, p: int, idx: list[int]) -> list:
        """One 0/1 per local calendar day from the Sunday before to the Monday after: a night shift
        works two days, so chained nights leave no free calendar day unless the model sees both."""
        touching: dict[int, list] = defaultdict(list)
        for i in idx:
            for day in self.cands[i].days:
                touching[day].append(self.x[i])
        for d in range(DAYS):
            if (p, d) in self.on_call:  # the on-call evening lies inside local day d
                touching[d].append(self.on_call[p, d])
        out = []
        for day in range(-1, DAYS + 1):
            if not touching.get(day):
                out.append(0)
                continue
            w = self.model.NewBoolVar(f"w{p}_{day}")
            self.model.AddMaxEquality(w, touching[day])
            out.append(w)
        return out

    def coverage(self) -> None:
        staff, m = self.request.staff, self.model
        for skill, need in self.request.demand.items():
            covering: list[list] = [[] for _ in range(WEEK_HOURS)]
            for i, c in enumerate(self.cands):
                if skill == ANY or skill in staff[c.person].tags:
                    for h in c.hours:
                        covering[h].append(self.x[i])
            slack, nobody = [], []
            first_seat = first_seat_weights(need, self.request.volume.get(skill))
            for h in range(WEEK_HOURS):
                want = int(need[h]) if h < len(need) else 0
                s = m.NewIntVar(0, max(want, 0), f"u_{skill}_{h}")
                if want > 0:
                    m.Add(sum(covering[h]) + s >= want)
                    empty = m.NewBoolVar(f"e_{skill}_{h}")
                    m.Add(sum(covering[h]) + empty >= 1)
                    nobody.append(first_seat[h] * empty)
                slack.append(s)
            self.slack[skill] = slack
            self.cost.append(UNCOVERED_WEIGHT * sum(slack) + sum(nobody))

    def fairness(self) -> None:
        m, staff = self.model, self.request.staff
        for label, flag, prev in (("nights", "night", "nights_prev_3_weeks"),
                                  ("weekends", "weekend", "weekends_prev_3_weeks")):
            top = m.NewIntVar(0, 28, f"max_{label}")
            for p, idx in self.by_person.items():
                m.Add(sum(self.x[i] for i in idx if getattr(self.cands[i], flag))
                      + getattr(self.history(p), prev) <= top)
            self.cost.append(FAIRNESS_WEIGHT * top)
        if not self.request.on_call:
            return
        eligible = [p for p, s in enumerate(staff) if s.on_call_eligible]
        if not eligible:
            return
        top = m.NewIntVar(0, 28, "max_on_call")
        for d in range(DAYS):
            for p in eligible:
                window = on_call_window(self.request, p, d)
                v = self.on_call[p, d] = m.NewBoolVar(f"oc{p}_{d}")
                for i in self.by_person.get(p, []):
                    c = self.cands[i]
                    if _spoils_rest(c, window, self.rules.min_rest):
                        m.AddImplication(v, self.x[i].Not())
            gap = m.NewBoolVar(f"oc_gap{d}")
            m.Add(sum(self.on_call[p, d] for p in eligible) + gap == 1)
            self.cost.append(ON_CALL_GAP_WEIGHT * gap)
        for p in eligible:
            m.Add(sum(self.on_call[p, d] for d in range(DAYS)) + self.history(p).on_call_prev_3_weeks <= top)
        self.cost.append(FAIRNESS_WEIGHT * top)

    def weekly_hours(self) -> None:
        """Shift hours plus each on-call night at its full page budget stay within the legal weekly cap
        (the contract caps shifts alone: pages are paid on top, but they are still working time)."""
        rules = self.rules
        per_night = rules.pages_per_night * rules.handling["critical"] / timedelta(minutes=15)
        for p, used in self.hours_used.items():
            nights = [v for (q, _), v in self.on_call.items() if q == p]
            self.model.Add(sum(q * x for q, x in used) + math.ceil(per_night) * sum(nights)
                           <= int(rules.max_hours_per_week * 4))


def _near_clash(a: Candidate, b: Candidate, rules) -> bool:
    if abs(a.day - b.day) < 5:
        return abs(a.day - b.day) <= 2 and rest_clash(a, b, rules)
    late, early = (a, b) if a.day > b.day else (b, a)  # the week repeats: Sunday night vs Monday early
    return early.start + timedelta(days=7) - late.end < rules.min_rest


def _check(request: RosterRequest) -> None:
    """Refuse requests that would silently plan the wrong thing."""
    validate_rules(request.rules, request.templates)
    known = index_staff(request.staff)
    for staff_id in request.history:
        find_staff(known, staff_id)
    for label, series in (("demand", request.demand), ("volume", request.volume)):
        for skill, values in series.items():
            if len(values) != WEEK_HOURS:
                raise SchedulingError(f"{label} for {skill!r} has {len(values)} hours, expected {WEEK_HOURS}")


def _spoils_rest(c: Candidate, window: Interval, min_rest: timedelta) -> bool:
    """True when a page anywhere in `window` could leave less than `min_rest` off in some 24 h.

    A shift may end by the window's start if it began at most 24 h - min_rest before the window's
    end (then the rest after the last page fits in that shift's 24 h), and the next may start
    min_rest after the window ends.
    """
    day = timedelta(hours=24)
    if c.start < window.end and window.start < c.end:
        return True
    if window.end - day < c.start < window.end + min_rest - day:
        return True
    return window.end <= c.start < window.end + min_rest


def on_call_window(request: RosterRequest, person: int, day: int) -> Interval:
    """The on-call window of `day` in the person's own zone (ON_CALL_HOURS local), DST-correct."""
    zone = ZoneInfo(request.staff[person].timezone)
    first = request.week_start.astimezone(ZoneInfo(request.rules.team_timezone)).date() + timedelta(days=day)
    start = datetime.combine(first, time(ON_CALL_HOURS[0]), zone)
    end = datetime.combine(first + timedelta(days=ON_CALL_HOURS[1] // 24), time(ON_CALL_HOURS[1] % 24), zone)
    return Interval(start, end)


def plan_roster(request: RosterRequest, *, time_limit: float = 30.0, workers: int = DEFAULT_WORKERS,
                gap_limit: float = 0.01, hint: bool = True) -> Roster:
    """Solve the week; stops after `time_limit` units of deterministic time (about seconds on an idle
    core, but the same work on every run) or once within `gap_limit` of the bound."""
    started = clock.perf_counter()
    _check(request)
    b = _Builder(request)
    b.person_rules()
    b.coverage()
    b.fairness()
    b.consecutive_days()
    b.weekly_hours()
    b.model.Minimize(sum(b.cost))
    if hint:
        chosen, on_call = greedy_hint(request, b.cands)
        for i, var in enumerate(b.x):
            b.model.AddHint(var, i in chosen)
        for (p, d), var in b.on_call.items():
            b.model.AddHint(var, on_call.get(d) == p)
    # Same request, same roster: the budget is deterministic work, not seconds (see roster_solve).
    solver, run = solve(b.model, budget=time_limit, workers=workers, gap_limit=gap_limit, started=started)
    return _extract(b, solver, run)


def _extract(b: _Builder, solver: cp_model.CpSolver, run: SolveRun) -> Roster:
    status, seconds = run.status, run.seconds
    name = solver.StatusName(status)
    cut = (f"{CUT_SHORT} after {seconds:.1f} s (machine busy):"
           " this roster may differ from run to run",) if run.cut_by_wall else ()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        empty = {s: [0] * WEEK_HOURS for s in b.request.demand}
        return Roster((), (), {s: list(map(int, v)) for s, v in b.request.demand.items()}, empty, name,
                      0.0, 0.0, seconds, (f"solver status {name}: no plan found", *cut), run.progress,
                      run.work)
    staff, templates = b.request.staff, b.request.templates
    shifts = tuple(PlannedShift(staff[c.person].id, templates[c.template].name, c.day, c.start, c.end,
                                c.night, c.weekend)
                   for c, v in zip(b.cands, b.x, strict=False) if solver.Value(v))
    uncovered = {s: [int(solver.Value(v)) for v in slack] for s, slack in b.slack.items()}
    planned = {s: [0] * WEEK_HOURS for s in b.request.demand}
    for c, v in zip(b.cands, b.x, strict=False):
        if solver.Value(v):
            for s, seats in planned.items():
                if s == ANY or s in staff[c.person].tags:
                    for h in c.hours:
                        seats[h] += 1
    on_call = []
    for (p, d), v in sorted(b.on_call.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if solver.Value(v):
            on_call.append((staff[p].id, on_call_window(b.request, p, d)))
    idle = unworkable_templates(b.request, b.cands)
    notes = tuple(f"nobody can work template {t!r} this week (local night without night_opt_in, or time off)"
                  for t in idle)
    return Roster(shifts, tuple(on_call), uncovered, planned, name, solver.ObjectiveValue(),
                  solver.BestObjectiveBound(), seconds, notes + cut, run.progress, run.work)
