"""Router time for 10,000 waiting items and 200 people, against a naive items x people scan."""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from triage.core.priority import priority
from triage.core.scoring import URGENCIES
from triage.scheduling.domain.limits import Load, availability
from triage.scheduling.domain.router import route
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import OpenItem, PersonState, Snapshot, WaitingItem
from triage.scheduling.domain.staff import Interval

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LANGS, CHANNELS = ("en", "es", "de", "fr", "it"), ("email", "x", "instagram", "chat", "facebook")
TARGET_MS = 50.0


def build(items: int = 10_000, people: int = 200, seed: int = 7) -> Snapshot:
    """A realistic snapshot: most people on shift, some loaded, items needing a language+channel."""
    rng = random.Random(seed)
    staff = []
    for n in range(people):
        start = NOW - timedelta(hours=rng.choice([1, 3, 5, 7, 9]))
        skills = frozenset(rng.sample(LANGS, 2) + rng.sample(CHANNELS, 3) + ["en"])
        open_items = tuple(OpenItem(f"o{n}-{k}", "normal", NOW - timedelta(minutes=10),
                                    NOW - timedelta(minutes=5)) for k in range(rng.randint(0, 3)))
        staff.append(PersonState(f"p{n}", skills, (Interval(start, start + timedelta(hours=8)),),
                                 open_items, hours_today=rng.uniform(0, 4), hours_week=rng.uniform(0, 30),
                                 assigned_last_hour=rng.randint(0, 4),
                                 relationships=frozenset(f"a{k}" for k in range(n, 5000, people))))
    def minutes() -> timedelta:
        return timedelta(minutes=rng.randint(0, 600))

    waiting = tuple(WaitingItem(f"i{k}", u, priority(u, rng.random(), minutes()), NOW - minutes(),
                                frozenset({rng.choice(LANGS), rng.choice(CHANNELS)}),
                                f"a{rng.randint(0, 20000)}")
                    for k in range(items) for u in [rng.choices(URGENCIES, (2, 15, 53, 30))[0]])
    return Snapshot(waiting, tuple(staff))


def naive(snapshot: Snapshot, rules: StaffingRules) -> int:
    """The obvious loop: for each item in priority order scan every person; same limits."""
    loads = {p.id: Load(p, p.open_items, rules) for p in snapshot.people}
    ok = [p for p in snapshot.people if availability(p, NOW, rules) is None]
    assigned = 0
    for item in sorted(snapshot.waiting, key=lambda i: -i.priority):
        fits = [p for p in ok if item.required_skills <= p.skills
                and loads[p.id].refusal(item.urgency, rules) is None]
        if fits:
            best = min(fits, key=lambda p: loads[p.id].stress(rules))
            loads[best.id].take(item.urgency, rules)
            assigned += 1
    return assigned


def timed(fn, repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per run; CPU time is the fairer figure on a shared machine."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def main() -> None:
    rules = StaffingRules()
    snap = build()
    decision = route(snap, rules, NOW)
    wall, cpu = timed(lambda: route(snap, rules, NOW), 21)
    base_wall, base_cpu = timed(lambda: naive(snap, rules), 3)
    waiting = sum(len(w.item_ids) for w in decision.waits)
    print(f"router 10,000 items x 200 people: wall median {statistics.median(wall):.1f} ms"
          f" (best {min(wall):.1f}), CPU median {statistics.median(cpu):.1f} ms"
          f" (target < {TARGET_MS:.0f} ms)")
    print(f"  assigned {len(decision.assignments)}, waiting {waiting} under {len(decision.waits)}"
          f" reasons, pages {len(decision.pages)}, gaps {len(decision.gaps)},"
          f" releases {len(decision.releases)}")
    print(f"naive items x people scan: wall median {statistics.median(base_wall):.1f} ms,"
          f" CPU median {statistics.median(base_cpu):.1f} ms, assigned {naive(snap, rules)}")
    print(f"speed-up over naive (CPU): {statistics.median(base_cpu) / statistics.median(cpu):.1f}x")
    print("PASS" if statistics.median(cpu) < TARGET_MS else "OVER TARGET")


if __name__ == "__main__":
    main()
