"""Replay two weeks of traffic through the real router and the planned roster, and two baselines."""

from __future__ import annotations

import gc
import time as clock
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from triage.core.priority import priority
from triage.scheduling.domain.router import route
from triage.scheduling.domain.rules import rules_as_dict
from triage.scheduling.domain.snapshot import PersonState, Snapshot, WaitingItem
from triage.scheduling.planning.baselines import BASELINES, Baseline
from triage.scheduling.planning.event_log import header_records
from triage.scheduling.planning.plan import Plan
from triage.scheduling.planning.scenario import Arrival, Scenario
from triage.scheduling.planning.sim_people import MINUTE, PAGE_RESPONSE, SimItem, SimPerson
from triage.scheduling.planning.sim_pool import Pool
from triage.scheduling.planning.sim_shifts import sick_calls, worked_shifts
from triage.scheduling.planning.sim_view import SAVE_FIRST, shown_per_group

SCHEDULER = "scheduler"
POLICIES = (SCHEDULER, *BASELINES)
PRIORITY_REFRESH = timedelta(minutes=15)  # waiting items' priorities age in steps, not every tick
NEARBY_REFRESH = timedelta(minutes=10)  # who is on or about to be on shift, recomputed this often
DEFER_AT = 0.5  # share of the low SLA waited, everyone with the skill at a limit: shown as deferred


@dataclass
class RunLog:
    """Everything one policy did: the raw event log and per-tick backlog."""

    policy: str
    records: list[dict[str, Any]] = field(default_factory=list)
    backlog: list[tuple[datetime, int, int]] = field(default_factory=list)  # (t, unassigned, open)
    gaps: set[str] = field(default_factory=set)
    wait_reasons: dict[str, int] = field(default_factory=dict)
    items: list[SimItem] = field(default_factory=list)
    people: dict[str, SimPerson] = field(default_factory=dict)
    seconds: float = 0.0
    rostered_waiting: dict[str, float] = field(default_factory=dict)  # shift minutes while work waited
    busy_waiting: dict[str, float] = field(default_factory=dict)  # of those, minutes spent on items


class _Engine:
    """One policy's run over the shared arrivals and shifts."""

    def __init__(self, policy: str, scenario: Scenario, shifts, on_call, arrivals: list[Arrival]) -> None:
        self.policy, self.scenario, self.rules = policy, scenario, scenario.rules
        self.zone = ZoneInfo(scenario.rules.team_timezone)
        self.log = RunLog(policy)
        self.people = {s.id: SimPerson(s, list(shifts.get(s.id, [])), list(on_call.get(s.id, [])))
                       for s in scenario.staff}
        self.log.people = self.people
        self.arrivals, self.next_arrival = arrivals, 0
        self.waiting = Pool()
        self.behind: dict[tuple[frozenset[str], str], deque[SimItem]] = {}  # lows in arrival order, to defer
        self.waiting_view: dict[str, WaitingItem] = {}
        self.items: dict[str, SimItem] = {}
        self.refreshed: datetime | None = None
        self.near: list[SimPerson] = []
        self.near_at: datetime | None = None
        self.idle: dict[str, PersonState] = {}
        self.defer_after = self.rules.sla["low"] * DEFER_AT  # past this, waiting low work is deferred
        self.baseline = None if policy == SCHEDULER else Baseline(policy, list(self.people.values()))
        self.stamped: tuple[datetime | None, str] = (None, "")

    def run(self, start: datetime, end: datetime, progress: Callable[[float], None] | None = None) -> RunLog:
        t0 = clock.perf_counter()
        tick = timedelta(minutes=self.scenario.tick_minutes)
        self._log_shifts(start, end)
        t = start
        while t < end:
            nxt = t + tick
            always = self.baseline is not None and self.baseline.always
            keys = self.waiting.needed()
            for person in self.people.values():
                shift = person.shift_at(t)
                waits = shift is not None and bool(person.queue or any(k <= person.tags for k in keys))
                before = person.total_minutes
                if person.current or person.queue:
                    person.work(t, nxt, rules=self.rules, always=always)
                if waits:  # utilisation: rostered time while work this person could take was waiting
                    on = (min(nxt, shift.end) - max(t, shift.start)) / MINUTE
                    pid = person.staff.id
                    self.log.rostered_waiting[pid] = self.log.rostered_waiting.get(pid, 0.0) + on
                    self.log.busy_waiting[pid] = (self.log.busy_waiting.get(pid, 0.0)
                                                  + min(on, person.total_minutes - before))
                if (not always and self.baseline is not None and person.shift_at(nxt) is None
                        and person.open_count()):
                    current = [person.current] if person.current else []
                    person.handed_back.extend(current + list(person.queue))
                    person.current = None
                    person.queue.clear()  # all at once: one by one costs the queue's length each
                if person.handed_back:
                    for item in person.handed_back:
                        self._release(item.arrival.id, person.staff.id, nxt,
                                      "handed back at a break or shift end")
                    person.handed_back.clear()
            self._arrive(nxt)
            if nxt < end:  # nothing is worked after the run: work given at its end would be on
                self._route(nxt)  # shifts starting then, which the log leaves out
            open_total = sum(p.open_count() for p in self.people.values())
            self.log.backlog.append((nxt, len(self.waiting), len(self.waiting) + open_total))
            if progress:
                progress((nxt - start) / (end - start))
            t = nxt
        self.log.items = list(self.items.values())
        for pid, person in self.people.items():
            self.log.records.extend({"type": "break", "person": pid, "start": b.isoformat(),
                                     "end": e.isoformat()} for b, e in person.breaks)
        self.log.seconds = clock.perf_counter() - t0
        return self.log

    def _log_shifts(self, start: datetime, end: datetime) -> None:
        self.log.records.append({"type": "rules", "policy": self.policy, **rules_as_dict(self.rules)})
        self.log.records.extend(header_records(
            policy=self.policy, scenario_name=self.scenario.name, seed=self.scenario.seed,
            team_timezone=self.rules.team_timezone, start=start, end=end, staff=self.scenario.staff,
            arrivals=self.arrivals, on_call={pid: p.on_call for pid, p in self.people.items()}))
        for pid, person in self.people.items():
            for s in person.shifts:
                if s.start < end and s.end > start:
                    self.log.records.append({"type": "shift", "person": pid, "start": s.start.isoformat(),
                                             "end": s.end.isoformat()})

    def _arrive(self, until: datetime) -> None:
        while self.next_arrival < len(self.arrivals) and self.arrivals[self.next_arrival].at <= until:
            a = self.arrivals[self.next_arrival]
            self.next_arrival += 1
            if a.incident is not None and a.incident != a.id:
                continue  # a storm copy joins its incident's item: the storm costs one item
            item = SimItem(a, a.handling)
            self.items[a.id] = item
            self._wait(item)

    def _view(self, item: SimItem, now: datetime) -> WaitingItem:
        a = item.arrival
        return WaitingItem(a.id, a.urgency, priority(a.urgency, a.relationship, now - a.at, self.rules.sla),
                           a.at, item.skills, a.author, None, item.previous_holder)

    def _assign(self, item: SimItem, pid: str, now: datetime, *, via_page: bool = False) -> None:
        person = self.people[pid]
        self.waiting.remove(item.arrival.id)
        self.waiting_view.pop(item.arrival.id, None)
        item.person, item.assigned_at, item.held_started, item.via_page = pid, now, None, via_page
        item.record = {"type": "assignment", "item": item.arrival.id, "urgency": item.arrival.urgency,
                       "person": pid, "received": item.received, "assigned": self._stamp(now),
                       "started": None, "resolved": None, "released": None, "via_page": via_page}
        self.log.records.append(item.record)
        person.assigned.append(now)
        if via_page:
            person.pages.append(now)
            person.cursor = max(person.cursor or now, now + PAGE_RESPONSE)
            self.log.records.append({"type": "page", "person": pid, "time": self._stamp(now),
                                     "item": item.arrival.id})
            person.queue.appendleft(item)
        else:
            person.queue.append(item)

    def _stamp(self, now: datetime) -> str:
        """`now` as the log writes it, once per tick: the baselines move items by the million."""
        if self.stamped[0] != now:
            self.stamped = (now, now.isoformat())
        return self.stamped[1]

    def _release(self, item_id: str, pid: str, now: datetime, note: str) -> None:
        item = self.items[item_id]
        self.people[pid].hand_back(item)
        if item.record is not None:
            item.record["released"] = self._stamp(now)
            item.record["handoff_note"] = note
        item.person, item.previous_holder, item.record = None, pid, None
        self._wait(item)

    def _wait(self, item: SimItem) -> None:
        if (item.arrival.id not in self.waiting and item.arrival.urgency == "low"
                and item.previous_holder is None):
            self.behind.setdefault((item.skills, "low"), deque()).append(item)
        self.waiting.add(item)

    def _route(self, now: datetime) -> None:
        if self.baseline is None:
            self._route_scheduler(now)
        else:
            for item, person in self.baseline.assign(self.waiting, now):
                self._assign(item, person.staff.id, now)

    def _route_scheduler(self, now: datetime) -> None:
        if self.refreshed is None or now - self.refreshed >= PRIORITY_REFRESH:
            self.waiting_view = {}
            self.refreshed = now
        present = [p for p in self._nearby(now)
                   if p.current or p.queue or p.shift_at(now) or any(w.contains(now) for w in p.on_call)]
        shown, behind = self._heads(now, [p for p in present if p.shift_at(now)])
        authors = {v.author_id for v in shown}
        relevant = [p.state(now, waiting_authors=authors) for p in present] + self._idle_states(now)
        decision = route(Snapshot(tuple(shown), tuple(relevant)), self.rules, now)
        for r in decision.releases:
            self._release(r.item_id, r.person_id, now, r.handoff_note)
            self.waiting_view.pop(r.item_id, None)
        for a in decision.assignments:
            self._assign(self.items[a.item_id], a.person_id, now)
        for p in decision.pages:
            self._assign(self.items[p.item_id], p.person_id, now, via_page=True)
        for g in decision.gaps:
            self.log.gaps.add(g.item_id)
        verdict = {}
        for w in decision.waits:
            self.log.wait_reasons[w.reason] = self.log.wait_reasons.get(w.reason, 0) + len(w.item_ids)
            for iid in w.item_ids:
                verdict[self.waiting.where.get(iid)] = w
        for key, w in verdict.items():  # lows at a limit are deferred oldest first, head and behind alike
            if w.kind == "at_limit" and key in self.behind:
                self._defer_behind(self.behind[key], now, w.reason)
        for key, count in behind.items():  # the items behind a group's head share its last verdict
            w = verdict.get(key)
            if w is not None:
                self.log.wait_reasons[w.reason] += count

    def _heads(self, now: datetime, on_shift: list[SimPerson]) -> tuple[list[WaitingItem], dict]:
        """The router's view: each group's first items as the router ranks them, as many as there is room
        for (planning/sim_view.py); every critical."""
        shown, behind = [], {}
        due = {u: now - self.rules.sla[u] for u in SAVE_FIRST}
        for key, head, rest in self.waiting.heads(shown_per_group(on_shift, self.rules, now), due):
            for item in head:
                view = self.waiting_view.get(item.arrival.id)
                if view is None:
                    view = self.waiting_view[item.arrival.id] = self._view(item, now)
                shown.append(view)
            if rest:
                behind[key] = rest
        return shown, behind

    def _defer_behind(self, queue: deque[SimItem], now: datetime, reason: str) -> None:
        while queue and now - queue[0].arrival.at >= self.defer_after:
            item = queue.popleft()
            if item.arrival.id in self.waiting:
                self._defer([item.arrival.id], now, reason)

    def _defer(self, item_ids, now: datetime, reason: str) -> None:
        """Low work that capacity cannot reach is marked deferred once, with the reason, not left silent."""
        for iid in item_ids:
            item = self.items[iid]
            if (item.arrival.urgency == "low" and not item.deferred
                    and now - item.arrival.at >= self.defer_after):
                item.deferred = True
                self.log.records.append({"type": "deferral", "item": iid, "time": now.isoformat(),
                                         "urgency": "low",
                                         "reason": f"capacity goes to more urgent work: {reason}"})

    def _nearby(self, now: datetime) -> list[SimPerson]:
        """People on shift, on call or holding work around `now`; refreshed every NEARBY_REFRESH."""
        if self.near_at is None or now - self.near_at >= NEARBY_REFRESH:
            soon = now + NEARBY_REFRESH
            self.near = [p for p in self.people.values()
                         if any(s.start <= soon and now < s.end for s in p.upcoming(now))
                         or any(w.start <= soon and now < w.end for w in p.on_call)]
            self.near_at = now
            self.idle = {}
        near = set(map(id, self.near))
        holders = [p for p in self.people.values() if (p.current or p.queue) and id(p) not in near]
        return self.near + holders

    def _idle_states(self, now: datetime) -> list:
        """Off-shift people starting within 12 h: only their next shift matters (for wait reasons)."""
        if not self.idle:
            horizon, near = now + timedelta(hours=12), set(map(id, self.near))
            self.idle = {p.staff.id: PersonState(p.staff.id, p.staff.tags, p.upcoming(now))
                         for p in self.people.values()
                         if id(p) not in near and any(now < s.start <= horizon for s in p.upcoming(now))}
        return list(self.idle.values())

def run_policies(scenario: Scenario, plan: Plan, arrivals: list[Arrival], *,
                 policies: Iterable[str] = POLICIES,
                 progress: Callable[[str, float], None] | None = None) -> list[RunLog]:
    """Run each policy on identical traffic, shifts (after sick calls) and on-call windows."""
    shifts, on_call = worked_shifts(plan)
    shifts = sick_calls(scenario, shifts, seed=scenario.seed + 7)
    start = scenario.start.astimezone(UTC)
    end = start + timedelta(days=scenario.days)
    logs, collecting = [], gc.isenabled()
    for policy in policies:
        engine = _Engine(policy, scenario, shifts, on_call, arrivals)
        gc.disable()  # a replay makes millions of log records and no cycles: the collector only re-walked
        try:  # them, a third of a baseline's replay time (10 people, 5 days: 81 -> 57 s)
            logs.append(engine.run(start, end, (lambda f, p=policy: progress(p, f)) if progress else None))
        finally:
            if collecting:
                gc.enable()
    return logs
