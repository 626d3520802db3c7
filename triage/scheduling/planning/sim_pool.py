"""The replay's waiting items, grouped by (skills needed, urgency) in arrival order.

Under overload thousands of items wait, but one routing pass can place only as many as the people
on shift have room for. Grouping lets each pass look at the head of every group instead of the whole
backlog, and tells the baselines at once which kinds of work nobody present can take. Given a due time
for its urgency, the head is what the router would rank first out of the whole group: items that can
still meet their target, closest to it first, then those already past it, oldest first. (The oldest
items alone would hide the ones that can still be saved, so under a backlog every item would miss.)
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from itertools import count, islice

from triage.scheduling.planning.sim_people import SimItem

Key = tuple[frozenset[str], str]


class Pool:
    """Waiting items by (skills, urgency); insertion order is arrival order (hand-backs join the end)."""

    def __init__(self) -> None:
        self.groups: dict[Key, dict[str, SimItem]] = {}
        self.where: dict[str, Key] = {}
        self.skills: Counter[frozenset[str]] = Counter()
        # Per group, (entry, item) in the order added; an entry is stale once its item left or came back.
        self.fresh: dict[Key, deque[tuple[int, SimItem]]] = {}
        self.entry: dict[str, int] = {}
        self.counter = count()

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
        self.entry[iid] = entry = next(self.counter)
        self.fresh.setdefault(key, deque()).append((entry, item))

    def remove(self, item_id: str) -> SimItem | None:
        key = self.where.pop(item_id, None)
        if key is None:
            return None
        del self.entry[item_id]
        item = self.groups[key].pop(item_id)
        self.skills[key[0]] -= 1
        return item

    def needed(self) -> list[frozenset[str]]:
        """The skill sets some waiting item needs."""
        return [k for k, n in self.skills.items() if n]

    def heads(self, limit: Callable[[Key], int | None], due: Mapping[str, datetime] | None = None
              ) -> Iterator[tuple[Key, list[SimItem], int]]:
        """Per group: `limit(key)` items (None: all) and how many more wait behind them: the oldest, or
        for an urgency in `due` (items received before it are past their target) those the router ranks
        first."""
        for key, items in self.groups.items():
            if not items:
                continue
            n = limit(key)
            if n is None or n >= len(items):
                head = list(items.values())
            elif due is None or key[1] not in due:
                head = list(islice(items.values(), n))
            else:
                head = self._saveable_first(key, items, n, due[key[1]])
            yield key, head, len(items) - len(head)

    def _saveable_first(self, key: Key, items: dict[str, SimItem], n: int, cut: datetime) -> list[SimItem]:
        """The `n` items still inside their target (received at or after `cut`) closest to it, then
        the oldest past it."""
        order, entry = self.fresh[key], self.entry
        while order and (entry.get(order[0][1].arrival.id) != order[0][0] or order[0][1].arrival.at < cut):
            order.popleft()  # left, came back later, or past its target: the loop below finds it
        head: list[SimItem] = []
        for e, item in order:
            if entry.get(item.arrival.id) == e and item.arrival.at >= cut:
                head.append(item)
                if len(head) == n:
                    return head
        for item in items.values():
            if item.arrival.at < cut:
                head.append(item)
                if len(head) == n:
                    break
        return head

    def values(self) -> Iterator[SimItem]:
        for items in self.groups.values():
            yield from items.values()
