"""The baselines the scheduler is compared with, all skill-aware so the comparison is about routing.

- round-robin on shift: the common helpdesk default; the next person on shift who has the skill;
- least-loaded on shift: whoever on shift with the skill holds the fewest items;
- round-robin 24/7: the next person with the skill, on shift or not, who works whenever they hold work.
Items nobody eligible can take wait in the pool; people on shift work their own queue, most urgent first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from triage.scheduling.planning.sim_people import SimItem, SimPerson
from triage.scheduling.planning.sim_pool import Pool

ROUND_ROBIN, LEAST_LOADED = "round-robin on shift", "least-loaded on shift"
ROUND_THE_CLOCK = "round-robin 24/7"
BASELINES = (ROUND_ROBIN, LEAST_LOADED, ROUND_THE_CLOCK)


class Baseline:
    """One baseline policy's assignment step; keeps its round-robin pointer between ticks."""

    def __init__(self, policy: str, people: Sequence[SimPerson]) -> None:
        if policy not in BASELINES:
            raise ValueError(f"unknown baseline {policy!r}; known: {', '.join(BASELINES)}")
        self.policy, self.people = policy, list(people)
        self.pointer = 0

    @property
    def always(self) -> bool:
        """True when people work whatever they hold, shift or not (the 24/7 habit)."""
        return self.policy == ROUND_THE_CLOCK

    def assign(self, waiting: Pool, now: datetime) -> list[tuple[SimItem, SimPerson]]:
        """(item, person) for each waiting item someone eligible can take now, oldest item first."""
        present = self.people if self.always else [p for p in self.people if p.shift_at(now) is not None]
        if not present:
            return []
        on = {id(p) for p in present}
        eligible = {need: [k for k, p in enumerate(self.people) if need <= p.tags and id(p) in on]
                    for need in waiting.needed()}
        takeable = [item for (need, _), head, _ in waiting.heads(lambda _: None) if eligible.get(need)
                    for item in head]
        load = {id(p): p.open_count() for p in present}
        out = []
        for item in sorted(takeable, key=lambda i: i.arrival.at):
            slots = eligible[item.skills]
            if self.policy == LEAST_LOADED:
                person = min((self.people[k] for k in slots), key=lambda p: (load[id(p)], p.staff.id))
            else:
                person = self._next(slots)
            load[id(person)] += 1
            out.append((item, person))
        return out

    def _next(self, slots: list[int]) -> SimPerson:
        """The first eligible person at or after the pointer, cyclically; the pointer moves past them."""
        n = len(self.people)
        for k in slots:
            if k >= self.pointer:
                break
        else:
            k = slots[0]
        self.pointer = (k + 1) % n
        return self.people[k]
