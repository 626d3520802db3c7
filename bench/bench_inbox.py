"""Inbox first page: server time of GET /inbox with 10,000 and 100,000 open items.

Run: .venv/bin/python bench/bench_inbox.py [--sizes 10000 100000] [--runs 30] [--postgres URL]
Each size is measured against two baselines in the same run: the same page over 100 open items,
and the same page with migration 0010's indexes dropped (the schema before it).
Target (issue 10): p95 under 300 ms on SQLite and PostgreSQL.
SQLite runs without ANALYZE statistics (a fresh install has none); PostgreSQL is vacuumed and
analysed after the fill, as autovacuum would be within a minute (the counts then read the
covering index alone).
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

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stack import SECRET  # noqa: E402
from triage.accounts import store as users_repo  # noqa: E402
from triage.api.app import create_app  # noqa: E402
from triage.bootstrap import build_services  # noqa: E402
from triage.config import Settings  # noqa: E402
from triage.platform import tables as t  # noqa: E402
from triage.platform.db import migrate, transaction  # noqa: E402
from triage.platform.redis_server import EmbeddedRedis  # noqa: E402

URGENCIES = ["critical", "high", "normal", "low"]
CHUNK = 5_000


def fill(url: str, n: int, now: datetime) -> None:
    """n open, scored, routed items from n // 5 authors, inserted in bulk."""
    engine = create_engine(url)
    rng = random.Random(n)
    with engine.begin() as conn:
        for table in ("scores", "assignments", "corrections", "messages", "authors"):
            conn.execute(text(f"DELETE FROM {table}"))
        authors = max(1, n // 5)
        for start in range(0, authors, CHUNK):
            conn.execute(insert(t.Author), [
                {"id": i + 1, "source": "bench", "external_id": f"a{i}", "handle": f"@user{i}",
                 "name": f"User {i}", "followers": rng.randint(0, 5000), "verified": False,
                 "first_seen": now} for i in range(start, min(start + CHUNK, authors))])
        for start in range(0, n, CHUNK):
            rows = range(start, min(start + CHUNK, n))
            urg = {i: rng.choice(URGENCIES) for i in rows}
            prio = {i: rng.uniform(0, 100) for i in rows}
            conn.execute(insert(t.Message), [
                {"id": i + 1, "source": "bench", "external_id": f"m{i}", "thread_id": f"th{i % (n // 3 + 1)}",
                 "author_id": i % authors + 1, "text": f"message {i}: my order never arrived, please help",
                 "created_at": now - timedelta(minutes=i % 600), "raw": {},
                 "received_at": now - timedelta(minutes=i % 600), "stage": "routed", "status": "open",
                 "urgency": urg[i], "priority": prio[i]} for i in rows])
            conn.execute(insert(t.Score), [
                {"message_id": i + 1, "model": "rules", "urgency": urg[i], "intent": "complaint",
                 "sentiment": "negative", "relationship_value": 0.2, "tier": "low", "priority": prio[i],
                 "confidence": 0.7, "reasons": [{"text": "delivery problem", "weight": 0.5}],
                 "probabilities": {}, "scored_at": now} for i in rows])
    if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk insert
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE messages"))
    engine.dispose()


NEW_INDEXES = {  # migration 0010
    "ix_messages_inbox_order": "messages (priority, due_at)",
    "ix_messages_inbox_filter": "messages (status, stage, incident_id, snoozed_until, assignee_id, urgency)",
}


def without_new_indexes(url: str, drop: bool) -> None:
    """Drop (or put back) 0010's indexes, to time the page on the schema before it."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for name, on in NEW_INDEXES.items():
            conn.execute(text(f"DROP INDEX IF EXISTS {name}" if drop else f"CREATE INDEX {name} ON {on}"))
    engine.dispose()


CPU: list[float] = []  # per request, this process's CPU ms: SQLite's work, less hit by a busy machine


def measure(client: TestClient, token: str, runs: int) -> list[float]:
    out = []
    CPU.clear()
    client.get("/inbox", headers={"Authorization": f"Bearer {token}"})  # warm caches
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        r = client.get("/inbox", headers={"Authorization": f"Bearer {token}"})
        out.append((time.perf_counter() - started) * 1000)
        CPU.append((time.process_time() - cpu) * 1000)
        assert r.status_code == 200 and 'class="item ' in r.text
    return out


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1]


def bench(label: str, url: str, sizes: list[int], runs: int, redis_url: str, tmp: Path) -> None:
    migrate(url)
    settings = Settings(env="test", secret_key="bench-" + "k" * 40, database_url=url,
                        redis_url=redis_url, data_dir=tmp, scorer="rules",
                        sources={"bench": {"channel": "generic", "secret": SECRET}})
    services = build_services(settings)
    now = services.clock.now()
    with transaction(services.db) as session:
        session.execute(text("DELETE FROM api_tokens"))
        session.execute(text("DELETE FROM users WHERE username = 'bench'"))
        user = users_repo.create_user(session=session, username="bench", password="bench-password-1",
                                      role="agent", now=datetime.now(UTC))
        token = users_repo.issue_token(session=session, user=user, name="bench", now=datetime.now(UTC))
    client = TestClient(create_app(services))
    results = {}
    for n in [100, *sizes]:
        started = time.perf_counter()
        fill(url, n, now)
        took = time.perf_counter() - started
        xs = measure(client, token, runs)
        results[n] = xs
        base = results[100]
        print(f"{label:10} {n:>7,} open items  p50 {statistics.median(xs):7.1f} ms  p95 {p95(xs):7.1f} ms"
              f"  ({statistics.median(xs) / statistics.median(base):4.1f}x the 100-item baseline;"
              f" filled in {took:.0f} s; CPU p50 {statistics.median(CPU):.0f} ms)", flush=True)
        if n >= 10_000:
            without_new_indexes(url, drop=True)
            old = measure(client, token, max(5, runs // 3))
            without_new_indexes(url, drop=False)
            print(f"{'':10} {'':>7}  before 0010  p50 {statistics.median(old):7.1f} ms"
                  f"  p95 {p95(old):7.1f} ms  (its indexes dropped; CPU p50 {statistics.median(CPU):.0f} ms)",
                  flush=True)
    services.engine.dispose()


def own_database(admin_url: str, name: str = "bench_inbox") -> str:
    """A fresh database of the bench's own: never the tests' shared one."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                    help="a server to create the bench_inbox database on; '' to skip PostgreSQL")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="triage-bench-inbox-"))
    redis = EmbeddedRedis(tmp / "redis").start()
    try:
        bench("sqlite", f"sqlite:///{tmp / 'inbox.db'}", args.sizes, args.runs, redis.url, tmp)
        if args.postgres:
            try:
                url = own_database(args.postgres)
            except Exception as exc:  # noqa: BLE001  (say why, then carry on)
                print(f"postgresql skipped: {exc.__class__.__name__}: {exc}".splitlines()[0])
            else:
                bench("postgresql", url, args.sizes, args.runs, redis.url, tmp)
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
