"""Platform benchmark: webhook 202s per second, end-to-end latency at a steady rate, peak RSS.

Baselines measured in the same run: GET /health (the web stack with no work) for throughput, and
the drain/score/route job time for latency. Run: .venv/bin/python bench/bench_ingest.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.stack import SECRET, Stack
from triage.devstack.webhook_client import signed_headers


def hammer(url: str, seconds: float, threads: int, make_request) -> float:
    """Requests per second from `threads` keep-alive clients for `seconds`."""
    counts = [0] * threads
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        with httpx.Client(base_url=url, timeout=10) as c:
            n = 0
            while time.monotonic() < stop:
                r = make_request(c, i, n)
                assert r.status_code in (200, 202), r.text
                n += 1
            counts[i] = n

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts) / seconds


def post_one(c: httpx.Client, thread: int, n: int, prefix: str = "tp") -> httpx.Response:
    body = json.dumps({"external_id": f"{prefix}-{thread}-{n}", "text": "my order is late, help?",
                       "author": {"id": f"a{n % 97}"}, "created_at": "2026-11-20T10:00:00Z"}).encode()
    return c.post("/webhooks/bench", content=body, headers=signed_headers(SECRET, body))


def latency(stack: Stack, rate: float, seconds: float) -> list[float]:
    """Seconds from POST to first visible in /api/inbox, for each message sent at a steady rate."""
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    done = threading.Event()

    def watch() -> None:
        with httpx.Client(base_url=stack.base_url, timeout=10,
                          headers={"Authorization": f"Bearer {stack.token}"}) as c:
            while not done.is_set():
                items = c.get("/api/inbox", params={"sort": "newest", "per_page": 100,
                                                    "status": "all"}).json()["items"]
                now = time.monotonic()
                for it in items:
                    seen.setdefault(it["external_id"], now)
                time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with httpx.Client(base_url=stack.base_url, timeout=10) as c:
        start, n = time.monotonic(), 0
        while time.monotonic() - start < seconds:
            due = start + n / rate
            if (pause := due - time.monotonic()) > 0:
                time.sleep(pause)
            key = f"lat-0-{n}"
            sent[key] = time.monotonic()
            assert post_one(c, 0, n, prefix="lat").status_code == 202
            n += 1
    deadline = time.monotonic() + 60
    while len(seen.keys() & sent.keys()) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.2)
    done.set()
    watcher.join()
    return [seen[k] - sent[k] for k in sent if k in seen]


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60, help="duration of the steady-rate run")
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--burst-seconds", type=float, default=10)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    stack = Stack()
    try:
        stack.start_api()
        health = hammer(stack.base_url, args.burst_seconds, args.threads,
                        lambda c, _i, _n: c.get("/health"))
        acked = hammer(stack.base_url, args.burst_seconds, args.threads, post_one)
        print(f"webhook 202/s: {acked:,.0f}   baseline GET /health/s: {health:,.0f}   "
              f"ratio {acked / health:.2f}  ({args.threads} client threads, 1 uvicorn worker)")
        stack.start("worker", "worker", "--rules-only", "--log-level", "WARNING")
        stack.start("tick", "tick", "--every", "5")
        t0 = time.monotonic()
        backlog = int(acked * args.burst_seconds)
        with httpx.Client(base_url=stack.base_url, timeout=30,
                          headers={"Authorization": f"Bearer {stack.token}"}) as c:
            while c.get("/api/inbox", params={"per_page": 1, "status": "all"}).json()["total"] < backlog:
                time.sleep(0.5)
        drain = time.monotonic() - t0
        print(f"backlog of {backlog:,} messages scored and in the inbox in {drain:.1f}s "
              f"= {backlog / drain:,.0f} msg/s through drain+score+route (1 worker)")
        lat = latency(stack, args.rate, args.seconds)
        print(f"end-to-end POST -> visible in /api/inbox at {args.rate:.0f} msg/s for "
              f"{args.seconds:.0f}s: n={len(lat)} p50={pct(lat, 50) * 1000:.0f} ms "
              f"p95={pct(lat, 95) * 1000:.0f} ms max={max(lat) * 1000:.0f} ms")
        print(f"peak RSS: api {stack.peak_rss_mb('api'):.0f} MB, worker {stack.peak_rss_mb('worker'):.0f} MB")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
