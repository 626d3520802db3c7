"""Is a process's memory growing, or only swinging? The soak's memory verdict.

Comparing the first third of a run with the last called both of these "growing":
- warm-up: caches, compiled statements and allocator arenas fill during the first minutes, then stop;
- swings: a model worker's heap moves by +-300 MB between batches (torch's working buffers), so two
  thirds' means differ by chance.
A leak is neither: it keeps rising after warm-up. So the verdict looks only at the run after its
first third, and takes the Theil-Sen slope there (the median of all pairwise slopes, which a few
high or low samples cannot tilt). Memory is growing when that slope adds more than 10 % + 5 MB of
the steady level per hour: per hour, not per run, because a creep too small to see in 30 minutes
still fills a machine in a week.

Workers are judged as one sum as well as one by one: they run the same code, and a duty that moves
between them (the routing runner, whichever worker takes it) moves memory from one to the other.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import theilslopes

WARM_UP_SHARE = 1 / 3
RELATIVE_SLACK, ABSOLUTE_SLACK_MB = 0.10, 5.0


@dataclass(frozen=True)
class Trend:
    level_mb: float  # median of the steady part
    growth_mb: float  # Theil-Sen slope x the steady part's length
    per_hour_mb: float  # the slope, which the verdict judges
    first_third_mb: float  # the old comparison, kept for reading beside earlier runs
    last_third_mb: float

    @property
    def flat(self) -> bool:
        return self.per_hour_mb <= RELATIVE_SLACK * self.level_mb + ABSOLUTE_SLACK_MB

    def describe(self) -> str:
        return (f"{'flat' if self.flat else 'GROWING'}: after warm-up {self.growth_mb:+.0f} MB "
                f"({self.per_hour_mb:+.0f} MB/h) at ~{self.level_mb:.0f} MB; thirds "
                f"{self.first_third_mb:.0f} -> {self.last_third_mb:.0f} MB")


def trend(seconds: Sequence[float], mb: Sequence[float]) -> Trend:
    """The trend of one memory series sampled at `seconds` (at least 6 samples)."""
    if len(seconds) != len(mb) or len(mb) < 6:
        raise ValueError("a memory trend needs at least 6 paired samples")
    start = int(len(mb) * WARM_UP_SHARE)
    t, y = list(seconds[start:]), list(mb[start:])
    slope = theilslopes(y, t)[0]  # MB per second
    third = max(1, len(mb) // 3)
    return Trend(level_mb=statistics.median(y), growth_mb=slope * (t[-1] - t[0]),
                 per_hour_mb=slope * 3600,
                 first_third_mb=sum(mb[:third]) / third, last_third_mb=sum(mb[-third:]) / third)
