"""Live routing: assign waiting items by priority to people on shift, within every hard limit."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from triage.scheduling.domain import handoff
from triage.scheduling.domain.limits import HOUR, OFF_SHIFT, URGENCY_RANK, Load, availability
from triage.scheduling.domain.paging import choose_on_call, with_skills
from triage.scheduling.domain.preempt import PREEMPTING, best_preemption, handback_note
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import (
    Assignment,
    CoverageGap,
    OpenItem,
    Page,
    PersonState,
    Release,
    RoutingDecision,
    Snapshot,
    Wait,
    WaitingItem,
)
from triage.scheduling.domain.soonest import soonest_fit

Group = frozenset[str]


def route(snapshot: Snapshot, rules: StaffingRules, now: datetime) -> RoutingDecision:
    """Decide assignments, waits, pages, coverage gaps and releases for `snapshot` at `now`."""
    return _Pass(snapshot, rules, now).run()


class _Pass:
    """One routing pass; mutable tallies live here so `route` stays a pure function."""

    def __init__(self, snapshot: Snapshot, rules: StaffingRules, now: datetime) -> None:
        self.rules, self.now, self.zone = rules, now, ZoneInfo(rules.team_timezone)
        self.people = {p.id: p for p in snapshot.people}
        self.waiting = list(snapshot.waiting)
        self.releases: list[Release] = []
        self.loads: dict[str, Load] = {}
        self.held: dict[str, list[OpenItem]] = {}
        self.no_room: set[tuple[Group, str]] = set()  # (skills, urgency) no hand-back can make room for
        for person in snapshot.people:
            kept = []
            for item in person.open_items:
                released = handoff.release_due(person, item, now, rules, self.zone)
                if released is None:
                    kept.append(item)
                else:
                    self.releases.append(released)
                    self.waiting.append(handoff.requeued(item, person.id))
            self.loads[person.id] = Load(person, tuple(kept), rules)
            self.held[person.id] = kept
        self.status = {pid: availability(p, now, rules) for pid, p in self.people.items()}
        for pid, person in self.people.items():
            shift = person.shift_at(now) if self.status[pid] is None else None
            if shift is not None:
                self.loads[pid].left = (shift.end - now) / HOUR
        self.by_skill: dict[str, set[str]] = defaultdict(set)
        for pid, person in self.people.items():
            if self.status[pid] is None:
                for skill in person.skills:
                    self.by_skill[skill].add(pid)
        self.active = {pid for pid, s in self.status.items() if s is None}
        self.holder: dict[str, str] = {}
        for person in snapshot.people:
            if person.id in self.active:  # a holder off shift cannot take the author's item now
                for author in person.relationships:
                    self.holder.setdefault(author, person.id)
        self.heaps: dict[Group, list[tuple[float, str, int]]] = {}
        self.exhausted: set[tuple[Group, str]] = set()
        self.why: dict[tuple[Group, str], tuple[str, datetime | None, bool, str]] = {}
        self.fast: dict[tuple[Group, str], list[str]] = {}  # wait buckets that need no paging
        self.skilled: dict[Group, tuple[list[PersonState], list[PersonState]]] = {}
        self.pages_used: Counter[str] = Counter()
        self.no_page: dict[tuple[Group, str], str] = {}  # why nobody can be paged, until the next page
        self.assignments: list[Assignment] = []
        self.waits: dict[str, tuple[datetime | None, list[str], str]] = {}
        self.pages: list[Page] = []
        self.gaps: list[CoverageGap] = []

    def run(self) -> RoutingDecision:
        # Most urgent first; within an urgency, items that can still meet their target before those past
        # it (a fresh one can still be saved); then highest priority, then oldest.
        due = {u: self.now - target for u, target in self.rules.sla.items()}  # received before: past it
        self.waiting.sort(key=lambda i: (URGENCY_RANK[i.urgency], i.received_at < due[i.urgency], -i.priority,
                                         i.received_at))
        low: dict[Group, list[WaitingItem]] = defaultdict(list)
        holder, exhausted, fast = self.holder, self.exhausted, self.fast
        for item in self.waiting:
            if item.urgency == "low":
                low[item.required_skills].append(item)
                continue
            key = (item.required_skills, item.urgency)
            if (key not in exhausted or item.author_id in holder) and self._place(item) is not None:
                continue
            if item.urgency in PREEMPTING and self._preempt(item):
                continue
            ids = fast.get(key)  # hot path: same reason as the previous item of this kind
            if ids is not None:
                ids.append(item.id)
            else:
                self._unplaced(item)
        for group, items in low.items():
            self._batch(group, items)
        waits = tuple(Wait(reason, until, tuple(ids), kind)
                      for reason, (until, ids, kind) in self.waits.items())
        return RoutingDecision(tuple(self.assignments), waits, tuple(self.pages),
                               tuple(self.gaps), tuple(self.releases), self.rules.version)

    def _wait(self, item_id: str, reason: str, until: datetime | None, kind: str) -> None:
        self.waits.setdefault(reason, (until, [], kind))[1].append(item_id)

    def _heap(self, group: Group) -> list[tuple[float, str, int]]:
        heap = self.heaps.get(group)
        if heap is None:
            sets = sorted((self.by_skill.get(s, set()) for s in group), key=len)
            members = set.intersection(*sets) if sets else set(self.active)
            heap = [(self.loads[p].stress(self.rules), p, self.loads[p].version) for p in members]
            heapq.heapify(heap)
            self.heaps[group] = heap
        return heap

    def _assign(self, item: WaitingItem, pid: str, reason: str, kind: str) -> str:
        self.loads[pid].take(item.urgency, self.rules)
        self.assignments.append(Assignment(item.id, pid, reason, kind))
        return pid

    def _holder_fits(self, item: WaitingItem) -> str | None:
        pid = self.holder.get(item.author_id) if item.author_id else None
        if pid is None or pid == item.previous_holder:
            return None
        if not item.required_skills <= self.people[pid].skills:
            return None
        return pid if self.loads[pid].refusal(item.urgency, self.rules) is None else None

    def _place(self, item: WaitingItem, sticky: str | None = None) -> str | None:
        """Assign `item` to its relationship holder, `sticky` (batching) or the freshest fit."""
        rules, urgency = self.rules, item.urgency
        holder = self._holder_fits(item)
        if holder is not None:
            return self._assign(item, holder, "keeps the relationship with this author", "relationship")
        if (sticky is not None and sticky != item.previous_holder
                and self.loads[sticky].refusal(urgency, rules) is None):
            return self._assign(item, sticky, "low-urgency batch", "batch")
        key = (item.required_skills, urgency)
        if key in self.exhausted:
            return None
        found = soonest_fit(item, self._heap(item.required_skills), self.loads, self.held, self.now, rules) \
            if urgency == "critical" else None
        if found is not None:  # a critical item goes to whoever starts it first (domain/soonest.py)
            pid, hours, victims = found
            back, words = self._hand_back(item, pid, victims), handoff.skill_words(item.required_skills)
            reason = f"soonest start on shift{words} (in about {round(hours * 60)} min{back})"
            return self._assign(item, pid, reason, "priority" if back else "freshest_fit")
        heap, skipped, chosen, previous = self._heap(item.required_skills), [], None, None
        while heap:
            entry = heapq.heappop(heap)
            load = self.loads[entry[1]]
            if entry[2] != load.version:
                heapq.heappush(heap, (load.stress(rules), entry[1], load.version))
            elif entry[1] == item.previous_holder:
                previous = entry  # not straight back to the same person while someone else fits
            elif load.refusal(urgency, rules) is None:
                chosen = entry
                break
            elif load.can_take_any(rules):
                skipped.append(entry)  # too loaded for this item, may still fit a lighter one
        if (chosen is None and previous is not None and self.now - item.received_at >= rules.sla[urgency]
                and self.loads[previous[1]].refusal(urgency, rules) is None):  # past it, nobody else can:
            if any(r.item_id == item.id for r in self.releases):  # let go in this very pass: next pass
                self.loads[previous[1]].keep_for(urgency)
            else:
                chosen, previous = previous, None  # back to them
        for entry in skipped + ([previous] if previous else []):
            heapq.heappush(heap, entry)
        if chosen is None:
            if previous is None:
                self.exhausted.add(key)
            return None
        pid = chosen[1]
        self._assign(item, pid, f"freshest fit on shift{handoff.skill_words(item.required_skills)}"
                                f" (open effort {self.loads[pid].effort:g}/{rules.max_open_effort:g})",
                     "freshest_fit")
        heapq.heappush(heap, (self.loads[pid].stress(rules), pid, self.loads[pid].version))
        return pid

    def _preempt(self, item: WaitingItem) -> bool:
        """Make room for an urgent item by handing back unstarted, less urgent work (never started work)."""
        key = (item.required_skills, item.urgency)
        if key in self.no_room:  # loads only grow in a pass: a failed search fails again
            return False
        _, on_shift = self._skilled(item.required_skills)
        found = best_preemption(item, on_shift, self.loads, self.held, self.status, self.rules)
        if found is None:
            self.no_room.add(key)
            return False
        pid, victims = found
        self._assign(item, pid, f"{item.urgency} first{self._hand_back(item, pid, victims)}", "priority")
        return True

    def _hand_back(self, item: WaitingItem, pid: str, victims: list[OpenItem]) -> str:
        """Return `victims` to the pool (routed later in this pass, to someone else); words for the reason."""
        for v in victims:
            self.held[pid].remove(v)
            self.loads[pid].drop(v.urgency, self.rules)
            note = handback_note(v, item, self.people[pid].name or pid, self.now)
            self.releases.append(Release(v.id, pid, f"handed back for {item.urgency} item {item.id}", note,
                                         "preempted"))
            self.waiting.append(handoff.requeued(v, pid))
        return f": {len(victims)} unstarted, less urgent item(s) handed back" if victims else ""

    def _batch(self, group: Group, items: list[WaitingItem]) -> None:
        rules = self.rules
        due = min(i.received_at for i in items) + rules.low_batch_max_wait
        if len(items) < rules.low_batch_size and self.now < due:
            reason = (f"low-urgency items{handoff.skill_words(group)} go out in batches of"
                      f" {rules.low_batch_size} ({len(items)} waiting); this batch leaves by"
                      f" {handoff.hhmm(due, self.now, self.zone)}")
            for item in items:  # append: another group's batch may share the same words
                self._wait(item.id, reason, due, "batching")
            return
        sticky, given, holder, key = None, 0, self.holder, (group, "low")
        for item in items:
            if sticky is None and key in self.exhausted and item.author_id not in holder:
                pid = None
            else:
                pid = self._place(item, sticky if given < rules.low_batch_size else None)
            if pid is None:
                sticky = None
                ids = self.fast.get(key)
                if ids is not None:
                    ids.append(item.id)
                else:
                    self._unplaced(item)
            elif pid != sticky:
                sticky, given = pid, 1
            else:
                given += 1

    def _skilled(self, group: Group) -> tuple[list[PersonState], list[PersonState]]:
        """People with every skill in `group`, and those of them on shift now; cached per group."""
        found = self.skilled.get(group)
        if found is None:
            skilled = with_skills(self.people.values(), group)
            found = self.skilled[group] = (skilled, [p for p in skilled if self.status[p.id] != OFF_SHIFT])
        return found

    def _explain(self, group: Group, urgency: str) -> tuple[str, datetime | None, bool, str]:
        """Why nobody can take an item of `urgency` needing `group`; cached per pair."""
        key = (group, urgency)
        if key in self.why:
            return self.why[key]
        (skilled, on_shift), words = self._skilled(group), handoff.skill_words(group)
        if not skilled:
            answer = (f"no one on staff{words}", None, True, "no_skill")
        else:
            if not on_shift:
                nxt = min((s.start for p in skilled for s in p.shifts if s.start > self.now), default=None)
                until = f" until {handoff.hhmm(nxt, self.now, self.zone)}" if nxt else " and no shift planned"
                answer = (f"no one on shift{words}{until}", nxt, True, "off_shift")
            else:
                limits = Counter(self.status[p.id] or self.loads[p.id].refusal(urgency, self.rules)
                                 or "just handed it back" for p in on_shift)
                detail = ", ".join(f"{n} {what}" for what, n in limits.most_common())
                answer = (f"all {len(on_shift)} on shift{words} are at a limit: {detail}", None, False,
                          "at_limit")
        self.why[key] = answer
        return answer

    def _unplaced(self, item: WaitingItem) -> None:
        key = (item.required_skills, item.urgency)
        reason, until, outside, kind = self._explain(*key)
        if item.urgency != "critical" or not outside:
            self._wait(item.id, reason, until, kind)
            self.fast[key] = self.waits[reason][1]
        elif item.paged_to is not None:
            self._wait(item.id, f"{reason}; paged {item.paged_to}, awaiting answer", until, "paged")
        else:
            self._page(item, reason)

    def _page(self, item: WaitingItem, why: str) -> None:
        # Only a page changes what the people on call can take (nobody skilled is on shift to take or
        # hand back work), so a refusal holds for every item of this kind until the next page.
        key = (item.required_skills, item.urgency)
        pid, reason = (None, self.no_page[key]) if key in self.no_page else choose_on_call(
            item, tuple(self.people.values()), self.loads, self.pages_used, self.rules, self.now)
        if pid is None:
            self.no_page[key] = reason
            self.gaps.append(CoverageGap(item.id, f"critical item outside every shift: {why}; {reason}"))
            return
        self.no_page.clear()
        self.pages_used[pid] += 1
        self.loads[pid].add_hours(self.rules.handling_hours[item.urgency])
        self.pages.append(Page(item.id, pid, f"critical item outside every shift: {why}"))
