"""Soak benchmark: a steady message rate for a long time through the real path (signed webhook ->
Redis stream -> drain -> score -> route), on embedded defaults (SQLite, embedded Redis) or on
PostgreSQL (--db). Every ~10 s it samples the backlog, each process's RSS (API, workers, tick,
redis) and the p95 end-to-end latency; at the end it prints a table, writes a PNG chart and gives
verdicts against the run's own start: the backlog must stay bounded (first third against last) and
memory flat after warm-up (bench/memory_trend.py; `--report RUN.json` re-reads a saved run).

  .venv/bin/python bench/bench_soak.py --minutes 30 --rate 100               # rules, embedded
  .venv/bin/python bench/bench_soak.py --minutes 30 --rate 100 --db postgresql
  .venv/bin/python bench/bench_soak.py --minutes 30 --rate 20 --scorer model  # raise until it fails

End-to-end latency: from the POST to the message's stage becoming `routed` (the route job took it),
seen by polling the database every 0.5 s (so up to 0.5 s late).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import redis
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import memory_trend
from bench.stack import SECRET, Stack, _children
from triage.accounts import store as users_repo
from triage.devstack.webhook_client import signed_headers
from triage.platform.db import make_engine, session_factory, transaction
from triage.scheduling import staffing

SAMPLE_SECONDS = 10.0
POLL_SECONDS = 0.5
TEXTS = ("my order is late, help?", "URGENT: the app crashes at checkout and I was charged twice",
         "love the new release, thanks!", "how do I change my delivery address?",
         "your service is down again, this is unacceptable", "refund please, item arrived broken")
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
PG_ADMIN_URL = os.environ.get("TRIAGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


class Soak:
    """The traffic, the watcher and the samples of one run."""

    def __init__(self, stack: Stack, rate: float, senders: int, texts: list[str], authors: int):
        self.stack, self.rate, self.senders = stack, rate, senders
        self.texts, self.authors = texts, authors
        self.sent: dict[str, float] = {}
        self.statuses: Counter[int] = Counter()
        self.latencies: list[tuple[float, float]] = []  # (seen at, seconds)
        self.routed = 0
        self.stop = threading.Event()
        self.samples: list[dict] = []
        self.engine = make_engine(stack.db_url)
        self.redis = redis.Redis.from_url(stack.redis.url)

    def send(self, index: int, until: float) -> None:
        each, start, n = self.rate / self.senders, time.monotonic(), 0
        with httpx.Client(base_url=self.stack.base_url, timeout=30) as c:
            while not self.stop.is_set() and time.monotonic() < until:
                if (pause := start + n / each - time.monotonic()) > 0:
                    time.sleep(pause)
                ext = f"soak-{index}-{n}"
                k = n * self.senders + index  # walks every text before repeating one
                body = json.dumps({"external_id": ext, "text": self.texts[k % len(self.texts)],
                                   "author": {"id": f"a{(k * 7919) % self.authors}"},
                                   "created_at": datetime.now(UTC).isoformat()}).encode()
                self.sent[ext] = time.monotonic()
                try:
                    status = c.post("/webhooks/bench", content=body,
                                    headers=signed_headers(SECRET, body)).status_code
                except httpx.HTTPError:
                    status = 0
                self.statuses[status] += 1
                n += 1

    def watch(self) -> None:
        """Record each message's latency once it is routed (scanning from the oldest in flight)."""
        cursor, done = 0, set()
        while not self.stop.is_set():
            with self.engine.connect() as conn:
                rows = conn.execute(text("SELECT id, external_id, stage FROM messages WHERE id >= :c "
                                         "ORDER BY id"), {"c": cursor}).all()
            now = time.monotonic()
            pending = [r.id for r in rows if r.stage != "routed"]
            for r in rows:
                if r.stage == "routed" and r.id not in done and r.external_id in self.sent:
                    done.add(r.id)
                    self.latencies.append((now, now - self.sent[r.external_id]))
            self.routed = len(done)
            cursor = min(pending) if pending else (rows[-1].id + 1 if rows else cursor)
            time.sleep(POLL_SECONDS)

    def sample(self, t0: float, procs: dict[str, int]) -> dict:
        now = time.monotonic()
        window = [s for at, s in self.latencies if at >= now - SAMPLE_SECONDS]
        accepted = self.statuses[202]
        row = {"t": now - t0, "sent": sum(self.statuses.values()), "accepted": accepted,
               "routed": self.routed, "backlog": accepted - self.routed,
               "p95": _p95(window) if window else None, "keys": self.redis.dbsize(),
               "redis_used": self.redis.info("memory")["used_memory"] / 2**20,
               **{f"rss_{name}": rss_mb(pid) for name, pid in procs.items()},
               **{f"anon_{name}": rss_mb(pid, "RssAnon") for name, pid in procs.items()}}
        self.samples.append(row)
        return row


def traffic_texts(kind: str) -> tuple[list[str], int]:
    """The texts and the author count of the offered traffic.

    "real": every labelled message in ../shared/data (about 26k real texts, in a fixed shuffle,
    from 20k authors), so a 30-minute run at 100 msg/s repeats each text about 7 times, the way
    the same complaint recurs. "storm": 6 texts from 997 authors, which folds everything into 6
    storms of 30k copies (the worst case for storm grouping).
    """
    if kind == "storm":
        return list(TEXTS), 997
    import random

    texts = [json.loads(line)["text"] for f in sorted(SHARED_DATA.glob("*.jsonl"))
             for line in f.read_text().splitlines() if line.strip()]
    texts = [t for t in texts if t and t.strip()]
    if not texts:
        raise SystemExit(f"no texts under {SHARED_DATA}; use --traffic storm")
    random.Random(7).shuffle(texts)
    return texts, 20_000


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process and its children (a forked work-horse, uvicorn's worker), MB.

    `field` "RssAnon" counts only the heap (what a leak grows), without mapped files such as
    SQLite's shared WAL index, which the total includes.
    """
    total = 0
    for p in [pid, *(int(c) for c in _children(pid))]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1024


def add_team(db_url: str, people: int, minutes: float) -> None:
    """People with logins on shift for the whole run, so routing assigns and explains waits."""
    now = datetime.now(UTC)
    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as s:
        for i in range(people):
            row = staffing.create_staff(session=s, actor="bench", now=now, data={"name": f"Agent {i}"})
            users_repo.create_user(session=s, username=f"agent{i}", password="bench-password-1",
                                   role="agent", now=now, staff_id=row.id)
            staffing.add_shift(session=s, staff_id=row.id, start=now - timedelta(hours=1),
                               end=now + timedelta(minutes=minutes + 60))
    engine.dispose()


def _wait_for_workers(stack: Stack, count: int, timeout: float = 120) -> None:
    from rq import Worker

    conn = redis.Redis.from_url(stack.redis.url)
    deadline = time.monotonic() + timeout
    while Worker.count(connection=conn) < count and time.monotonic() < deadline:
        time.sleep(0.5)
    conn.close()


def fresh_postgres() -> tuple[str, str]:
    import psycopg

    name = f"triage_soak_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}", name


def autovacuum_on() -> bool:
    """Turn the server's autovacuum on for the run if it is off; True when this run turned it on.

    Production PostgreSQL vacuums and analyzes by itself. A CI server may not (this machine's has
    `autovacuum = off` in conf.d): then every UPDATE leaves a dead row version in ten indexes, no
    statistics are gathered after the tables were empty, and the soak measures a server nobody
    runs in production. It fell behind after 2 minutes that way, with 69k dead rows beside 25k live.
    """
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        if conn.execute("SHOW autovacuum").fetchone()[0] == "on":
            return False
        conn.execute("ALTER SYSTEM SET autovacuum = on")
        conn.execute("SELECT pg_reload_conf()")
    print("PostgreSQL had autovacuum off: turned on for this run (ALTER SYSTEM), reset at the end")
    return True


def autovacuum_reset() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM RESET autovacuum")
        conn.execute("SELECT pg_reload_conf()")


def drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(samples: list[dict], names: list[str], label: str, out: Path) -> bool:
    """The table, the chart, and the first-third / last-third verdict (True when it held)."""
    print(f"\n{'t (s)':>6} {'sent':>7} {'routed':>7} {'backlog':>7} {'p95 s':>6} "
          + " ".join(f"{n:>8}" for n in names) + f" {'keys':>7}   (RSS MB; Redis keys)")
    for r in samples:
        p95 = f"{r['p95']:.2f}" if r["p95"] is not None else "-"
        print(f"{r['t']:6.0f} {r['sent']:7d} {r['routed']:7d} {r['backlog']:7d} {p95:>6} "
              + " ".join(f"{r['rss_' + n]:8.0f}" for n in names) + f" {r['keys']:7d}")
    third = max(1, len(samples) // 3)
    first, last = samples[:third], samples[-third:]

    def mean(rows, key):
        values = [r[key] for r in rows if r[key] is not None]
        return statistics.fmean(values) if values else float("nan")

    b1, b3 = mean(first, "backlog"), mean(last, "backlog")
    rate = samples[-1]["sent"] / max(samples[-1]["t"], 1)
    bounded = b3 <= max(1.5 * b1, rate * 10)  # within 10 s of traffic, or 1.5x the start
    print(f"\n{label}: backlog mean first third {b1:.0f}, last third {b3:.0f} -> "
          f"{'bounded' if bounded else 'GROWING'} (limit max(1.5 x first, 10 s of traffic))")
    print(f"p95 latency first third {mean(first, 'p95'):.2f} s, last third {mean(last, 'p95'):.2f} s")
    flat = True
    seconds = [r["t"] for r in samples]
    workers = [n for n in names if n.startswith("worker")]
    series = {n: [r["rss_" + n] for r in samples] for n in names}
    if len(workers) > 1:
        series["workers (sum)"] = [sum(r["rss_" + n] for n in workers) for r in samples]
    for n, values in series.items():
        if len(values) < 6:
            print(f"RSS {n}: too few samples for a memory verdict")
            continue
        verdict = memory_trend.trend(seconds, values)
        judged = n != "redis" and (n not in workers or len(workers) == 1)
        if judged:  # redis: its data set grows by design (see the line below); workers: as a sum
            flat &= verdict.flat
        note = "" if judged else (" (dedup keys, see below)" if n == "redis" else " (judged as the sum)")
        heap = ""
        if "anon_" + n in samples[0]:
            a1, a3 = mean(first, "anon_" + n), mean(last, "anon_" + n)
            heap = f"; of it heap (RssAnon) {a1:.0f} -> {a3:.0f} MB ({a3 - a1:+.0f} MB)"
        print(f"RSS {n}: {verdict.describe()}{note}{heap}")
    grew = (last[-1]["redis_used"] - first[0]["redis_used"]) / max(1, last[-1]["sent"] - first[0]["sent"])
    print(f"Redis used_memory {first[0]['redis_used']:.1f} -> {last[-1]['redis_used']:.1f} MB, "
          f"{last[-1]['keys']} keys ({grew * 2**20:.0f} bytes per message sent: dedup keys live "
          "seen_ttl_days, RQ job results RESULT_TTL; it levels off once the first keys expire)")
    _chart(samples, names, label, out)
    out.with_suffix(".json").write_text(json.dumps({"label": label, "samples": samples}))
    return bounded and flat


def _chart(samples: list[dict], names: list[str], label: str, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [r["t"] / 60 for r in samples]
    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    axes[0].plot(t, [r["backlog"] for r in samples])
    axes[0].set_ylabel("backlog (msgs)")
    for n in names:
        axes[1].plot(t, [r["rss_" + n] for r in samples], label=n)
    workers = [n for n in names if n.startswith("worker")]
    if len(workers) > 1:  # a duty moving between workers moves memory; the sum is what is judged
        axes[1].plot(t, [sum(r["rss_" + n] for n in workers) for r in samples], "--", label="workers (sum)")
    axes[1].set_ylabel("RSS (MB)")
    axes[1].legend(loc="upper left", fontsize="small")
    axes[2].plot(t, [r["p95"] if r["p95"] is not None else float("nan") for r in samples])
    axes[2].set_ylabel("p95 end-to-end (s)")
    axes[2].set_xlabel("minutes")
    fig.suptitle(label)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    print(f"chart: {out}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--rate", type=float, default=100, help="messages per second offered")
    ap.add_argument("--scorer", choices=("rules", "model"), default="rules")
    ap.add_argument("--db", help="'postgresql' (a fresh database at TRIAGE_TEST_POSTGRES_URL) or a "
                                 "database URL; default: embedded SQLite")
    ap.add_argument("--no-autovacuum", dest="autovacuum", action="store_false",
                    help="keep a PostgreSQL server's autovacuum as it is (see autovacuum_on)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--team", type=int, default=5, help="people on shift (routing assigns to them)")
    ap.add_argument("--traffic", choices=("real", "storm"), default="real",
                    help="real: the labelled texts of ../shared/data; storm: 6 texts (see traffic_texts)")
    ap.add_argument("--senders", type=int, default=8, help="client threads sharing the rate")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    ap.add_argument("--report", type=Path, metavar="RUN.json",
                    help="print the table and verdict of a saved run again (no traffic)")
    args = ap.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text())
        names = [k[4:] for k in saved["samples"][0] if k.startswith("rss_")]
        return 0 if report(saved["samples"], names, saved["label"], args.report.with_suffix(".png")) else 1
    # SIGTERM (kill, a CI timeout) unwinds like Ctrl-C, so `finally` stops the API, workers and Redis.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    pg_name, vacuum_was_off = None, False
    db_url = args.db
    if args.db == "postgresql":
        db_url, pg_name = fresh_postgres()
        vacuum_was_off = args.autovacuum and autovacuum_on()
    stack = Stack(scorer=args.scorer, db_url=db_url)
    label = (f"soak {args.rate:g} msg/s, {args.traffic} traffic, {args.scorer} scorer, "
             f"{'PostgreSQL' if args.db else 'SQLite + embedded Redis'}, {args.minutes:g} min")
    try:
        add_team(stack.db_url, args.team, args.minutes)
        stack.start_api()
        worker = ["worker", "--log-level", "WARNING"] + (["--rules-only"] if args.scorer == "rules" else [])
        for i in range(args.workers):
            stack.start(f"worker{i + 1}", *worker)
        stack.start("tick", "tick", "--every", "5")
        _wait_for_workers(stack, args.workers)  # traffic starts on a warm pipeline
        procs = {name: p.pid for name, p in stack.procs.items()} | {"redis": stack.redis.process.pid}
        soak = Soak(stack, args.rate, args.senders, *traffic_texts(args.traffic))
        t0 = time.monotonic()
        until = t0 + args.minutes * 60
        threads = [threading.Thread(target=soak.send, args=(i, until), daemon=True)
                   for i in range(args.senders)] + [threading.Thread(target=soak.watch, daemon=True)]
        for th in threads:
            th.start()
        print(f"{label}: sampling every {SAMPLE_SECONDS:.0f} s", flush=True)
        while time.monotonic() < until:
            time.sleep(min(SAMPLE_SECONDS, max(0.0, until - time.monotonic())))
            r = soak.sample(t0, procs)
            print(f"  {r['t']:5.0f} s backlog {r['backlog']:6d} p95 {r['p95'] or 0:.2f} s", flush=True)
        drained_in = None
        for waited in range(120):  # the tail: how long until everything accepted is routed
            if soak.statuses[202] - soak.routed <= 0:
                drained_in = waited
                break
            time.sleep(1)
        soak.stop.set()
        sent = sum(soak.statuses.values())
        drained = "NOT within 120 s" if drained_in is None else f"{drained_in} s after the traffic stopped"
        print(f"\noffered {args.rate:g} msg/s, sent {sent} ({sent / (args.minutes * 60):.1f} msg/s), "
              f"answers {dict(soak.statuses)}, all routed {drained}")
        ok = report(soak.samples, list(procs), label,
                    args.out / f"soak-{args.scorer}-{args.traffic}-{'pg' if args.db else 'sqlite'}.png")
        return 0 if ok else 1
    finally:
        stack.stop()
        if pg_name:
            drop_postgres(pg_name)
        if vacuum_was_off:
            autovacuum_reset()


if __name__ == "__main__":
    sys.exit(main())
