"""Relationship health report: time to build 8 weeks per group from 10,000 and 100,000 messages.

Run: .venv/bin/python bench/bench_health.py [--sizes 10000 100000] [--runs 5]
Baseline in the same run: the same report over 1,000 messages. No target in the issue; the page
should stay interactive (well under a few seconds) at a large team's volume.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triage.core.scoring import GROUPS  # noqa: E402
from triage.platform import tables as t  # noqa: E402
from triage.platform.db import make_engine, migrate, session_factory  # noqa: E402
from triage.reports import health  # noqa: E402

CHUNK = 5_000
URGENCIES = ("critical", "high", "normal", "low")


def fill(url: str, n: int, now: datetime) -> None:
    """n messages over 8 weeks from n // 20 people in every group; 70 % resolved after a while."""
    engine = create_engine(url)
    rng = random.Random(n)
    people = max(len(GROUPS), n // 20)
    with engine.begin() as conn:
        for table in ("scores", "assignments", "messages", "authors", "contacts"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(insert(t.Contact), [{"id": i + 1, "group": GROUPS[i % len(GROUPS)], "facts": {}}
                                         for i in range(people)])
        conn.execute(insert(t.Author), [{"id": i + 1, "source": "bench", "external_id": f"a{i}",
                                         "contact_id": i + 1, "verified": False, "first_seen": now}
                                        for i in range(people)])
        for start in range(0, n, CHUNK):
            ids = range(start, min(start + CHUNK, n))
            at = {i: now - timedelta(minutes=rng.randrange(8 * 7 * 24 * 60)) for i in ids}
            conn.execute(insert(t.Message), [{
                "id": i + 1, "source": "bench", "external_id": f"m{i}", "thread_id": f"m{i}",
                "author_id": rng.randrange(people) + 1, "text": "x", "created_at": at[i],
                "received_at": at[i], "raw": {}, "stage": "routed", "status": "resolved",
                "urgency": rng.choice(URGENCIES),
                "priority": 40.0} for i in ids])
            conn.execute(insert(t.Score), [{
                "message_id": i + 1, "model": "bench", "urgency": "normal", "intent": "question",
                "sentiment": rng.choice(("negative", "neutral", "positive")), "relationship_value": 0.5,
                "tier": rng.choice(("key", "medium")), "priority": 40.0, "confidence": 1.0, "reasons": [],
                "probabilities": {}, "scored_at": at[i]} for i in ids])
            conn.execute(insert(t.Assignment), [{
                "message_id": i + 1, "action": "resolve", "actor": "bench",
                "at": at[i] + timedelta(minutes=rng.randrange(1, 3000))} for i in ids if rng.random() < 0.7])
    engine.dispose()


def measure(url: str, runs: int, now: datetime) -> tuple[list[float], list[float]]:
    """Wall time and this process's CPU time per report (CPU time is steadier on a shared machine)."""
    engine = make_engine(url)
    factory = session_factory(engine)
    wall, cpu = [], []
    for _ in range(runs):
        with factory() as session:
            started, used = time.perf_counter(), time.process_time()
            health.report(session=session, now=now, weeks=8)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
    engine.dispose()
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    now = datetime(2026, 11, 18, 12, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'health.db'}"
        migrate(url)
        print(f"{'messages':>18} {'wall median':>12} {'wall max':>9} {'CPU median':>11}"
              f"   (SQLite, 8 weeks x {len(GROUPS)} groups)")
        for n in (1_000, *args.sizes):
            fill(url, n, now)
            wall, cpu = measure(url, args.runs, now)
            label = f"{n:,}" + (" (baseline)" if n == 1_000 else "")
            print(f"{label:>18} {statistics.median(wall) * 1000:>9.0f} ms {max(wall) * 1000:>6.0f} ms"
                  f" {statistics.median(cpu) * 1000:>8.0f} ms")


if __name__ == "__main__":
    main()
