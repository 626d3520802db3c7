"""The replay's waiting items, grouped by (skills needed, urgency) in arrival order.

Under overload thousands of items wait, but one routing pass can place only as many as the people
on shift have room for. Grouping lets each pass look at the head of every group (the oldest items,
which rank first within an urgency) instead of the whole backlog, and tells the baselines at once
which kinds of work nobody present can take.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from itertools import islice

from triage.scheduling.planning.sim_people import SimItem

Key = tuple[frozenset[str], str]


class Pool:
    """Waiting items by (skills, urgency); insertion order is arrival order (hand-backs join the end)."""

    def __init__(self) -> None:
        self.groups: dict[Key, dict[str, SimItem]] = {}
        self.where: dict[str, Key] = {}
        self.skills: Counter[frozenset[str]] = Counter()

    def __len__(self) -> int:
        return len(self.where)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self.where

    def add(self, item: SimItem) -> None:
        iid = item.arrival.id
        if iid in self.where:
            return
        key = (item.skills, item.arrival.urgency)
        self.groups.setdefault(key, {})[iid] = item
        self.where[iid] = key
        self.skills[item.skills] += 1

    def remove(self, item_id: str) -> SimItem | None:
        key = self.where.pop(item_id, None)
        if key is None:
            return None
        item = self.groups[key].pop(item_id)
        self.skills[key[0]] -= 1
        return item

    def needed(self) -> list[frozenset[str]]:
        """The skill sets some waiting item needs."""
        return [k for k, n in self.skills.items() if n]

    def heads(self, limit: Callable[[str], int | None]) -> Iterator[tuple[Key, list[SimItem], int]]:
        """Per group: its first `limit(urgency)` items (None: all) and how many more wait behind them."""
        for key, items in self.groups.items():
            if not items:
                continue
            n = limit(key[1])
            head = list(items.values()) if n is None or n >= len(items) else list(islice(items.values(), n))
            yield key, head, len(items) - len(head)

    def values(self) -> Iterator[SimItem]:
        for items in self.groups.values():
            yield from items.values()
