"""The ingest buffer's cost: the Redis stream with a consumer group beside the old list, same run.

Measures messages per second through each design's Redis side, on one embedded redis-server:
accept (one message per call, as a webhook does: dedup key + append, in one script) and drain
(read a batch of 200, then remove it: XREADGROUP + XACK/XDEL against LRANGE + LTRIM). The database
insert is the same for both designs and is left out. Run: .venv/bin/python bench/bench_buffer.py
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from triage.platform.queue import IngestBuffer
from triage.platform.redis_server import EmbeddedRedis

OLD_ACCEPT = """
local added = 0
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, '1', 'NX', 'EX', ARGV[1]) then
    redis.call('RPUSH', ARGV[2], ARGV[i + 2])
    added = added + 1
  end
end
return added
"""
OLD_LIST = "bench:old:pending"
BATCH = 200


def _doc(i: int) -> str:
    return json.dumps({"source": "bench", "external_id": f"m{i}", "text": "my order is late, help?",
                       "author": {"id": f"a{i % 97}"}, "created_at": "2026-11-20T10:00:00Z"})


def old_design(conn: redis.Redis, n: int) -> tuple[float, float]:
    accept = conn.register_script(OLD_ACCEPT)
    started = time.perf_counter()
    for i in range(n):
        accept(keys=[f"bench:old:seen:{i}"], args=[86400, OLD_LIST, _doc(i)])
    accept_rate = n / (time.perf_counter() - started)
    started, drained = time.perf_counter(), 0
    while docs := conn.lrange(OLD_LIST, 0, BATCH - 1):
        conn.ltrim(OLD_LIST, len(docs), -1)
        drained += len(docs)
    assert drained == n
    return accept_rate, n / (time.perf_counter() - started)


def new_design(conn: redis.Redis, n: int) -> tuple[float, float]:
    buffer = IngestBuffer(conn)
    started = time.perf_counter()
    for i in range(n):
        buffer.accept([("bench", f"m{i}", _doc(i))])
    accept_rate = n / (time.perf_counter() - started)
    started, drained = time.perf_counter(), 0
    while entries := buffer.read("bench-drainer", BATCH):
        buffer.ack([e.id for e in entries])
        drained += len(entries)
    buffer.release("bench-drainer")
    assert drained == n and buffer.depth() == 0
    return accept_rate, n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedRedis(Path(tmp)).start()
        try:
            conn = redis.Redis.from_url(server.url)
            rows = []
            for name, run in (("old list + LTRIM", old_design), ("stream + group", new_design)):
                conn.flushdb()
                rows.append((name, *run(conn, args.messages)))
        finally:
            server.stop()
    print(f"{args.messages} messages, one per accept call, drained in batches of {BATCH} "
          f"(embedded redis-server, AOF {server.appendfsync})")
    print(f"{'design':<18} {'accept msg/s':>13} {'drain msg/s':>12}")
    for name, accept_rate, drain_rate in rows:
        print(f"{name:<18} {accept_rate:>13,.0f} {drain_rate:>12,.0f}")
    base, new = rows
    print(f"stream / list: accept {new[1] / base[1]:.2f}x, drain {new[2] / base[2]:.2f}x")


if __name__ == "__main__":
    main()
