"""Which incident each message of a storm joins: the pure half of storm grouping (no Redis, no DB).

The live service (`scoring/storms.py`) and the simulation (`scheduling/planning/storm_sim.py`) both
feed messages through `StormGroups`, so a simulated storm collapses exactly as a live one does.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from triage.scoring.classifier.storms import DEFAULT_SIMILARITY, DEFAULT_WINDOW

# Two people asking the same thing within minutes is a coincidence; three copies are a storm,
# and only then do the copies fold into one inbox item.
STORM_MIN = 3


@dataclass(eq=False)
class Group:
    """One incident while grouping: its leader's key and vector, its span, and who joined now."""

    id: Hashable | None  # None until the caller stores a new incident
    key: str
    vector: np.ndarray | None
    first_seen: datetime
    last_seen: datetime
    count: int = 0
    new: bool = False
    leader: Hashable | None = None  # the message that opened it, for a new group
    members: list[Hashable] = field(default_factory=list)
    slot: int = -1  # row in the vector index


class StormGroups:
    """Near-duplicate means the same normalised-text key within the window, or cosine >= threshold."""

    def __init__(self, groups: Iterable[Group] = (), *, size: int = 0, dim: int | None = None,
                 threshold: float = DEFAULT_SIMILARITY, window: timedelta = DEFAULT_WINDOW) -> None:
        self.threshold, self.window = threshold, window
        self.groups: list[Group] = []
        self.by_key: dict[str, Group] = {}
        self.dim = dim
        self.mat = None if dim is None else np.zeros((max(size, 16), dim), dtype=np.float32)
        self.last = np.zeros(max(size, 16))
        for g in groups:
            self._add(g)

    def join(self, *, message: Hashable, at: datetime, key: str, vector: np.ndarray | None) -> Group:
        """The group `message` joins (opened when nothing near matches); counts and span updated."""
        vec = None if vector is None else unit(vector)
        g = self.by_key.get(key)
        if g is None or not (g.last_seen - self.window <= at <= g.last_seen + self.window):
            g = self._best(vec, at)
        if g is None:
            g = Group(None, key, vec, at, at, new=True, leader=message)
            self._add(g)
        g.count += 1
        g.first_seen, g.last_seen = min(g.first_seen, at), max(g.last_seen, at)
        self.last[g.slot] = g.last_seen.timestamp()
        g.members.append(message)
        return g

    def _add(self, g: Group) -> None:
        k = len(self.groups)
        if k >= len(self.last):  # grow by doubling: a storm of unknown size stays O(n)
            self.last = np.concatenate([self.last, np.zeros(len(self.last))])
            if self.mat is not None:
                self.mat = np.vstack([self.mat, np.zeros_like(self.mat)])
        self.groups.append(g)
        g.slot = k
        if self.mat is not None and g.vector is not None and g.vector.shape == (self.dim,):
            self.mat[k] = g.vector  # a vector from another model's size stays zero: never matches
        self.last[k] = g.last_seen.timestamp()
        self.by_key[g.key] = g  # the newest group for a key is the one copies can still join

    def _best(self, vec: np.ndarray | None, at: datetime) -> Group | None:
        n = len(self.groups)
        if vec is None or self.mat is None or n == 0:
            return None
        sims = self.mat[:n] @ vec
        sims[np.abs(self.last[:n] - at.timestamp()) > self.window.total_seconds()] = -np.inf
        k = int(np.argmax(sims))
        return self.groups[k] if sims[k] >= self.threshold else None


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n else v
