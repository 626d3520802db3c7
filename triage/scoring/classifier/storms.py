"""Storms: near-duplicate grouping over embeddings in a time window, and volume spike alerts.

Pure functions over arrays and timestamps handed in; the pipeline decides what to store.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

DEFAULT_SIMILARITY = 0.9  # MiniLM cosine: paraphrased copies sit above 0.9, same-topic chatter below
DEFAULT_WINDOW = timedelta(minutes=10)  # an incident stays open while copies keep arriving
DEFAULT_BASELINE_BUCKETS = 12
DEFAULT_SPIKE_RATIO = 3.0
DEFAULT_SPIKE_MIN = 20  # fewer than this per bucket is never a storm worth a banner
DEFAULT_SPIKE_Z = 4.0
BLOCK = 256  # messages compared against the open incidents in one matrix product


@dataclass(frozen=True)
class Incident:
    """A group of near-duplicate messages handled as one item, led by its first message."""

    id: int  # index of the leading message in the input
    members: tuple[int, ...]
    first_at: datetime
    last_at: datetime

    @property
    def count(self) -> int:
        return len(self.members)

    def reason(self) -> str:
        """The inbox wording, e.g. '2,314 similar messages in 10 min'."""
        minutes = max(1, round((self.last_at - self.first_at).total_seconds() / 60))
        return f"{self.count:,} similar messages in {minutes} min"


def group_near_duplicates(embeddings: np.ndarray, times: Sequence[datetime], *,
                          threshold: float = DEFAULT_SIMILARITY,
                          window: timedelta = DEFAULT_WINDOW) -> list[Incident]:
    """Greedy leader grouping in time order: join the most similar open incident, else open one."""
    n = len(times)
    if embeddings.shape[0] != n:
        raise ValueError("one embedding per timestamp is required")
    if n == 0:
        return []
    vecs = embeddings.astype(np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    vecs = vecs / np.where(norms == 0, 1.0, norms)
    order = sorted(range(n), key=lambda i: times[i])
    secs = np.array([(t - times[order[0]]).total_seconds() for t in times])
    span = window.total_seconds()
    leaders = np.zeros((n, vecs.shape[1]), dtype=np.float32)
    last_seen = np.zeros(n)
    leader_idx: list[int] = []
    exact: dict[bytes, int] = {}  # identical vectors (cached copies) skip the similarity search
    members: dict[int, list[int]] = {}
    for start in range(0, n, BLOCK):
        block = order[start:start + BLOCK]
        k0 = len(leader_idx)
        known = vecs[block] @ leaders[:k0].T  # one matrix product per block, not one per message
        for row, i in enumerate(block):
            k = len(leader_idx)
            best = exact.get(vecs[i].tobytes(), -1)
            if best >= 0 and secs[i] - last_seen[best] > span:
                best = -1
            if best < 0 and k:
                sims = np.concatenate([known[row], leaders[k0:k] @ vecs[i]])
                sims[secs[i] - last_seen[:k] > span] = -np.inf
                j = int(np.argmax(sims))
                best = j if sims[j] >= threshold else -1
            if best < 0:
                best = k
                leaders[best] = vecs[i]
                leader_idx.append(i)
                members[i] = []
            exact[vecs[i].tobytes()] = best
            members[leader_idx[best]].append(i)
            last_seen[best] = secs[i]
    return sorted((Incident(id=lead, members=tuple(m), first_at=times[m[0]], last_at=times[m[-1]])
                   for lead, m in members.items()), key=lambda inc: inc.id)


def incident_of(incidents: Sequence[Incident], n: int) -> list[int]:
    """Per input index, the id of the incident it belongs to."""
    out = [-1] * n
    for inc in incidents:
        for m in inc.members:
            out[m] = inc.id
    return out


@dataclass(frozen=True)
class Spike:
    """A topic whose volume in the current bucket is far above its recent baseline."""

    topic: Hashable
    current: int
    baseline: float
    ratio: float

    def reason(self) -> str:
        return (f"volume on {self.topic!s} is {self.ratio:.0f}x its recent baseline "
                f"({self.current:,} vs ~{self.baseline:.0f} per bucket)")


def bucket_counts(times: Sequence[datetime], topics: Sequence[Hashable], *, now: datetime,
                  bucket: timedelta, n_buckets: int) -> dict[Hashable, list[int]]:
    """Counts per topic per bucket, oldest first, the last bucket ending at `now`."""
    if len(times) != len(topics):
        raise ValueError("one topic per timestamp is required")
    start = now - bucket * n_buckets
    series: dict[Hashable, list[int]] = {}
    for t, topic in zip(times, topics, strict=True):
        if start <= t < now:
            k = min(int((t - start) / bucket), n_buckets - 1)
            series.setdefault(topic, [0] * n_buckets)[k] += 1
    return series


def detect_spikes(series: Mapping[Hashable, Sequence[int]], *,
                  baseline_buckets: int = DEFAULT_BASELINE_BUCKETS,
                  ratio: float = DEFAULT_SPIKE_RATIO, min_count: int = DEFAULT_SPIKE_MIN,
                  z: float = DEFAULT_SPIKE_Z) -> list[Spike]:
    """Topics whose last bucket is >= ratio x and >= z robust deviations above the baseline."""
    spikes = []
    for topic, counts in series.items():
        if not counts:
            continue
        current = int(counts[-1])
        history = np.asarray(counts[-1 - baseline_buckets:-1], dtype=float)
        if current < min_count:
            continue
        median = float(np.median(history)) if len(history) else 0.0
        mad = float(np.median(np.abs(history - median))) if len(history) else 0.0
        # MAD scaled to a std, plus Poisson noise so a flat zero baseline doesn't divide by zero
        spread = 1.4826 * mad + np.sqrt(max(median, 1.0))
        base = max(median, 1.0)
        if current / base >= ratio and (current - median) / spread >= z:
            spikes.append(Spike(topic, current, median, current / base))
    return sorted(spikes, key=lambda s: -s.ratio)
