"""SSE fan-out: the delay from a scored message to its arrival event in every connected client.

Run: .venv/bin/python bench/bench_live.py [--clients 50] [--messages 30]
A real stack (the API under uvicorn, an RQ worker, embedded Redis pub/sub, SQLite): N clients hold
GET /inbox/live open, messages are posted to the signed webhook one at a time, and each client
notes when the `new` event naming the message arrives. The delay runs from the score's
`scored_at` (so routing and the publish are inside it) to the last of the N clients; the same run
measures one client as the baseline.
Target (issue 10): p95 under 1 s with 50 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stack import SECRET, Stack  # noqa: E402
from triage.intake.connectors.generic import sign  # noqa: E402

TIMEOUT = 30.0  # seconds to wait for every client to see every message


async def client(base_url: str, token: str, seen: dict[int, float], ready: asyncio.Event) -> None:
    """One browser's stream: the wall time each item id first arrives in a `new` event."""
    async with httpx.AsyncClient(base_url=base_url, timeout=None) as http, http.stream(
            "GET", "/inbox/live", headers={"Authorization": f"Bearer {token}"}) as r:
        async for line in r.aiter_lines():
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("data: "):
                event = json.loads(line[6:])
                for i in event.get("ids", []) if event.get("type") == "new" else []:
                    seen.setdefault(int(i), time.time())


async def post(http: httpx.AsyncClient, n: int, tag: str) -> None:
    body = json.dumps({"external_id": f"{tag}-{n}", "text": f"my order {n} never arrived, help",
                       "author": {"id": f"{tag}-a{n}", "handle": f"@{tag}{n}"},
                       "created_at": "2026-11-20T10:00:00Z"}).encode()
    ts = int(time.time())
    r = await http.post("/webhooks/bench", content=body, headers={
        "Content-Type": "application/json", "X-Triage-Timestamp": str(ts),
        "X-Triage-Signature": sign(SECRET.encode(), ts, body)})
    assert r.status_code == 202, r.text


def scored_at(db_url: str, tag: str) -> dict[int, float]:
    """Message id -> when its score was written, for this round's messages."""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT m.id, s.scored_at FROM messages m JOIN scores s ON s.message_id = m.id"
            " WHERE m.external_id LIKE :tag"), {"tag": f"{tag}-%"}).all()
    engine.dispose()
    out = {}
    for i, at in rows:
        at = at if isinstance(at, datetime) else datetime.fromisoformat(at)
        out[i] = (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()  # stored as UTC
    return out


async def round_(stack: Stack, clients: int, messages: int, gap: float, tag: str) -> list[float]:
    """Per message, the delay until the last client saw it (ms); missing clients count as TIMEOUT."""
    seen: list[dict[int, float]] = [{} for _ in range(clients)]
    ready = [asyncio.Event() for _ in range(clients)]
    tasks = [asyncio.create_task(client(stack.base_url, stack.token, s, e))
             for s, e in zip(seen, ready, strict=True)]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready)), 30)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
        for n in range(messages):
            await post(http, n, tag)
            await asyncio.sleep(gap)
    deadline = time.monotonic() + TIMEOUT
    scored: dict[int, float] = {}
    while time.monotonic() < deadline:
        scored = scored_at(stack.db_url, tag)
        if len(scored) == messages and all(set(scored) <= set(s) for s in seen):
            break
        await asyncio.sleep(0.5)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return [(max(s.get(i, at + TIMEOUT) for s in seen) - at) * 1000 for i, at in scored.items()]


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1] if len(xs) > 1 else xs[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--messages", type=int, default=30)
    ap.add_argument("--gap", type=float, default=0.3, help="seconds between posted messages")
    args = ap.parse_args()
    stack = Stack()
    try:
        stack.start_api()
        stack.start("worker", "worker", "--rules-only", "--log-level", "WARNING")
        asyncio.run(round_(stack, 1, 2, args.gap, "warm"))  # warm the worker and the scorer
        for n in (1, args.clients):
            xs = asyncio.run(round_(stack, n, args.messages, args.gap, f"c{n}"))
            late = sum(x >= TIMEOUT * 1000 for x in xs)
            print(f"{n:>3} client{'s' if n > 1 else ' '}  {len(xs)} messages  scored -> seen by all:"
                  f"  p50 {statistics.median(xs):7.1f} ms  p95 {p95(xs):7.1f} ms  max {max(xs):7.1f} ms"
                  f"{f'  ({late} never arrived)' if late else ''}"
                  f"{'  (baseline)' if n == 1 else '  target p95 < 1000 ms'}", flush=True)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
