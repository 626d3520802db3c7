"""Scoring through the real worker path with the learned model, next to its ceiling, in one run.

webhook (202) -> Redis buffer -> drain job -> score job (MiniLM + heads, batch TRIAGE_SCORE_BATCH)
-> score stored in SQLite, on a real stack (bench/stack.py: embedded Redis, uvicorn, one RQ
worker). Baselines measured in the same run, with no stack running: embedding-only speed of the
same MiniLM (the ceiling) and ModelScorer in-process (no queue, no database); and the same worker
path with the rule scorer (the platform's own cost).

    .venv/bin/python bench/bench_scoring_path.py [--n 640] [--n1 200] [--storm 5000]
                                                 [--rate 50] [--seconds 60] [--ceiling-only]

Each worker phase runs on a fresh stack (empty database, cold embedding cache) so no phase
borrows another's cache or a bigger database. Texts are real messages from ../shared/data,
de-duplicated after normalisation, so the "distinct" runs never hit the embedding cache.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Self

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.scoring_ceiling import Phase, ceiling, load
from bench.stack import ROOT, SECRET, Stack
from triage.devstack.webhook_client import signed_headers

DEV_FILES = ("airline_dev.jsonl", "crisislex_dev.jsonl", "disaster_dev.jsonl",
             "banking77_train.jsonl")
POST_CHUNK = 100  # messages per webhook delivery when loading a backlog (well under 1 MB)
POLL_SECONDS = 0.05  # how often the watcher reads the scores table: the latency resolution
WARM_UP = 8  # messages scored before any timing, on every fresh stack
STORM_TEXT = "@brand your app has been down for 3 hours and I can't pay my bills!!!"


def real_texts(data_dir: Path, n: int) -> list[str]:
    """n real message texts, distinct after normalisation (so none is an embedding-cache hit)."""
    from triage.scoring.classifier.text import normalize

    seen: set[str] = set()
    out: list[str] = []
    for name in DEV_FILES:
        path = data_dir / name
        if not path.exists():
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                text = json.loads(line)["text"]
                key = normalize(text)
                if key and key not in seen:
                    seen.add(key)
                    out.append(text)
    if len(out) < n:
        raise SystemExit(f"only {len(out)} distinct texts under {data_dir}; need {n}")
    random.Random(7).shuffle(out)  # every phase gets the same mix of tweets, SMS, chats
    return out[:n]


def storm_texts(n: int) -> list[str]:
    """A copy-paste storm: retweets and link variants of one complaint (one normalised text)."""
    return [f"RT @fan{i % 97}: {STORM_TEXT} https://t.co/{i}" if i % 3 else STORM_TEXT
            for i in range(n)]


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


class ScoringStack:
    """A bench Stack with one worker at a given score batch size and a reader on its database."""

    def __init__(self, *, batch: int, rules: bool = False) -> None:
        self.stack = Stack(scorer="rules" if rules else "model", extra_env={
            "TRIAGE_SCORE_BATCH": str(batch), "TRIAGE_MODEL_DIR": str(ROOT / "models")})
        self.rules = rules
        self.db_path = self.stack.db_url.removeprefix("sqlite:///")
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> Self:
        self.stack.start_api()
        args = ["worker", "--log-level", "WARNING"] + (["--rules-only"] if self.rules else [])
        started = time.monotonic()
        self.stack.start("worker", *args)
        self._wait_for_worker()
        self.startup = time.monotonic() - started
        self._db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        # Figures are for a warm worker: the first job after a start pays one-off costs (first
        # torch call, first queries); `first_batch` records what that costs.
        self.first_batch = self.backlog_run([f"warm-up message {i}" for i in range(WARM_UP)],
                                            "warm", timeout=120)
        return self

    def __exit__(self, *exc) -> None:
        if self._db is not None:
            self._db.close()
        self.stack.stop()

    def _wait_for_worker(self, timeout: float = 180) -> None:
        """The worker registers in Redis only after it has loaded the model."""
        import redis
        from rq import Worker

        conn = redis.Redis.from_url(self.stack.redis.url)
        deadline = time.monotonic() + timeout
        while Worker.count(connection=conn) < 1:
            if self.stack.procs["worker"].poll() is not None or time.monotonic() > deadline:
                log = (self.stack.dir / "worker.log").read_text()[-2000:]
                raise RuntimeError(f"worker did not start:\n{log}")
            time.sleep(0.2)
        conn.close()

    def scored(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]

    def scored_since(self, last_id: int) -> list[tuple[int, str]]:
        return self._db.execute(
            "SELECT s.id, m.external_id FROM scores s JOIN messages m ON m.id = s.message_id "
            "WHERE s.id > ? ORDER BY s.id", (last_id,)).fetchall()

    def models_used(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT model, COUNT(*) FROM scores GROUP BY model"))

    def incidents(self, prefix: str) -> int:
        """Incidents the messages of one run were grouped into (warm-up messages left out)."""
        row = self._db.execute(
            "SELECT COUNT(DISTINCT incident_id) FROM messages WHERE incident_id IS NOT NULL "
            "AND external_id LIKE ?", (f"{prefix}-%",))
        return row.fetchone()[0]

    def scored_with(self, prefix: str) -> int:
        return self._db.execute(
            "SELECT COUNT(*) FROM scores s JOIN messages m ON m.id = s.message_id "
            "WHERE m.external_id LIKE ?", (f"{prefix}-%",)).fetchone()[0]

    def post(self, client: httpx.Client, texts: list[str], prefix: str) -> None:
        """Deliver messages through the signed webhook, POST_CHUNK per request."""
        for start in range(0, len(texts), POST_CHUNK):
            msgs = [{"external_id": f"{prefix}-{start + k}", "text": t,
                     "author": {"id": f"a{(start + k) % 211}"},
                     "created_at": "2026-11-20T10:00:00Z"}
                    for k, t in enumerate(texts[start:start + POST_CHUNK])]
            body = json.dumps({"messages": msgs}).encode()
            r = client.post("/webhooks/bench", content=body, headers=signed_headers(SECRET, body))
            if r.status_code != 202:
                raise RuntimeError(f"webhook answered {r.status_code}: {r.text[:200]}")

    def wait_scored(self, target: int, timeout: float) -> float:
        """Monotonic time when `target` scores are stored (raises after `timeout`)."""
        deadline = time.monotonic() + timeout
        while (done := self.scored()) < target:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {done} of {target} scored after {timeout:.0f} s")
            time.sleep(POLL_SECONDS)
        return time.monotonic()

    def backlog_run(self, texts: list[str], prefix: str, timeout: float = 900) -> float:
        """Seconds from the first delivery until every message is scored and stored."""
        before = self.scored()
        with httpx.Client(base_url=self.stack.base_url, timeout=30) as c:
            t0 = time.monotonic()
            self.post(c, texts, prefix)
        return self.wait_scored(before + len(texts), timeout) - t0

    def steady_run(self, texts: list[str], rate: float, seconds: float,
                   settle: float = 60) -> dict:
        """One message per POST at `rate`/s; latency from POST to stored score, and backlog."""
        sent: dict[str, float] = {}
        seen: dict[str, float] = {}
        backlog: list[tuple[float, int]] = []
        stop, lock = threading.Event(), threading.Lock()
        last_id = max((i for i, _ in self.scored_since(0)), default=0)

        def watch() -> None:
            nonlocal last_id
            db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
            try:
                while not stop.is_set():
                    now = time.monotonic()
                    rows = db.execute(
                        "SELECT s.id, m.external_id FROM scores s JOIN messages m "
                        "ON m.id = s.message_id WHERE s.id > ? ORDER BY s.id", (last_id,)).fetchall()
                    with lock:
                        for sid, ext in rows:
                            seen.setdefault(ext, now)
                            last_id = sid
                    time.sleep(POLL_SECONDS)
            finally:
                db.close()

        def done() -> int:
            with lock:
                return len(seen.keys() & sent.keys())

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        n = 0
        with httpx.Client(base_url=self.stack.base_url, timeout=30) as c:
            start = time.monotonic()
            next_sample = start
            while (now := time.monotonic()) - start < seconds and n < len(texts):
                if now >= next_sample:
                    backlog.append((now - start, len(sent) - done()))
                    next_sample += 1.0
                due = start + n / rate
                if (pause := due - time.monotonic()) > 0:
                    time.sleep(pause)
                ext = f"steady-{n}"
                body = json.dumps({"external_id": ext, "text": texts[n],
                                   "author": {"id": f"s{n % 211}"},
                                   "created_at": "2026-11-20T10:00:00Z"}).encode()
                sent[ext] = time.monotonic()
                if c.post("/webhooks/bench", content=body,
                          headers=signed_headers(SECRET, body)).status_code != 202:
                    raise RuntimeError("webhook refused a message")
                n += 1
            sending = time.monotonic() - start
        end_backlog = len(sent) - done()
        deadline = time.monotonic() + settle
        while done() < len(sent) and time.monotonic() < deadline:
            time.sleep(0.2)
        stop.set()
        watcher.join()
        lat = [seen[k] - sent[k] for k in sent if k in seen]
        in_window = sum(1 for k in sent if k in seen and seen[k] - start <= sending)
        return {"sent": len(sent), "sending_s": sending, "offered_rate": len(sent) / sending,
                "scored_in_window_rate": in_window / sending, "end_backlog": end_backlog,
                "backlog_growth": (end_backlog - (backlog[0][1] if backlog else 0)) / sending,
                "latencies": lat, "unscored_after_settle": len(sent) - len(lat)}


def main() -> None:
    from triage.scoring.classifier.data import DEFAULT_DATA_DIR

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    ap.add_argument("--n", type=int, default=640, help="messages for the batch-64 runs")
    ap.add_argument("--n1", type=int, default=200, help="messages for the batch-1 runs")
    ap.add_argument("--storm", type=int, default=5000)
    ap.add_argument("--rate", type=float, default=50, help="steady rate for the latency run")
    ap.add_argument("--seconds", type=float, default=60, help="length of the steady run")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--ceiling-only", action="store_true",
                    help="only the in-process part: embedding-only vs ModelScorer, no stack")
    args = ap.parse_args()

    need = args.n * 4 + args.n1 * 5 + int(2 * args.rate * args.seconds) + args.storm
    texts = real_texts(args.data_dir, need)
    take = iter(range(need))

    def nxt(k: int) -> list[str]:
        return [texts[next(take)] for _ in range(k)]

    print(f"{os.cpu_count()} CPUs, {load()} at start (shared machine: figures move with it)")
    rows, versus = ceiling(nxt(args.n), nxt(args.n1))
    for r in rows:
        print(f"  {r.name}: {r.rate:.1f} msg/s", flush=True)
    for v in versus:
        print(f"  {v.line()}", flush=True)
    if args.ceiling_only:
        return

    def worker_phase(batch: int, rules: bool, n: int, label: str) -> Phase:
        with ScoringStack(batch=batch, rules=rules) as s:
            seconds = s.backlog_run(nxt(n), "tp")
            used = s.models_used()
            note = (f"{load()}; worker start {s.startup:.0f} s, first {WARM_UP} messages "
                    f"{s.first_batch:.1f} s; scores by {used}")
        p = Phase(label, n, seconds, note)
        print(f"  {p.name}: {p.rate:.1f} msg/s ({p.note})", flush=True)
        return p

    rows.append(worker_phase(1, True, args.n1, "worker path, rule scorer, batch 1 (platform cost)"))
    rows.append(worker_phase(64, True, args.n, "worker path, rule scorer, batch 64 (platform cost)"))
    rows.append(worker_phase(1, False, args.n1, "worker path, model, batch 1"))
    rows.append(worker_phase(64, False, args.n, "worker path, model, batch 64"))

    def steady_phase(rate: float) -> dict:
        with ScoringStack(batch=64) as s:
            out = s.steady_run(nxt(int(rate * args.seconds)), rate, args.seconds)
            out["note"], out["rate"] = load(), rate
        return out

    steady = steady_phase(args.rate)
    # Kept up if the backlog at the end is at most ~1 s of traffic (one batch in flight).
    sustained = steady["end_backlog"] <= max(args.rate, 10)
    steadies = [steady]
    if not sustained:  # measure latency again at a rate this machine can hold
        steadies.append(steady_phase(max(1.0, round(0.8 * steady["scored_in_window_rate"]))))

    storm: dict[str, tuple[float, int, int]] = {}
    for label, batch_texts in (("storm", storm_texts(args.storm)), ("distinct", nxt(args.storm))):
        with ScoringStack(batch=64) as s:
            seconds = s.backlog_run(batch_texts, label)
            storm[label] = (seconds, s.incidents(label), s.scored_with(label))
        print(f"  {label}: {args.storm / seconds:.1f} msg/s", flush=True)

    # The ceiling again, after the stacks: on a shared machine one reading can catch a busy spell.
    again, versus_again = ceiling(nxt(args.n), nxt(args.n1))
    for r in again:
        r.name += " (again, at the end)"
    rows[len(again):len(again)] = again
    print()
    print("| what | messages | seconds | msg/s | vs embedding-only batch 64 (best reading) |")
    print("|---|---|---|---|---|")
    top = max(rows[0].rate, again[0].rate)
    for r in rows:
        print(f"| {r.name} | {r.n:,} | {r.seconds:.1f} | {r.rate:.1f} | {r.rate / top:.2f}x |")
    for label in ("storm", "distinct"):
        seconds, incidents, n = storm[label]
        name = (f"{args.storm:,}-message copy-paste storm" if label == "storm"
                else f"{args.storm:,} distinct messages")
        print(f"| worker path, {name}, batch 64 ({incidents:,} incident(s)) | {n:,} | "
              f"{seconds:.1f} | {args.storm / seconds:.1f} | {args.storm / seconds / top:.2f}x |")
    print()
    for st in steadies:
        lat = st["latencies"]
        st["p50"], st["p95"] = (pct(lat, 50), pct(lat, 95)) if lat else (float("nan"),) * 2
        print(f"steady {st['rate']:.0f} msg/s offered for {st['sending_s']:.0f} s through the "
              f"worker (batch 64, {st['note']}): sent {st['sent']:,} ({st['offered_rate']:.1f}/s), "
              f"scored within the window {st['scored_in_window_rate']:.1f}/s; latency POST -> "
              f"score stored p50 {st['p50'] * 1000:.0f} ms, p95 {st['p95'] * 1000:.0f} ms, max "
              f"{max(lat, default=0) * 1000:.0f} ms; backlog at the end {st['end_backlog']:,} "
              f"({st['backlog_growth']:+.1f} msg/s); unscored after settling "
              f"{st['unscored_after_settle']:,}")
    print("sustained" if sustained else
          f"NOT sustained at {args.rate:.0f} msg/s: the worker kept up with "
          f"~{steady['scored_in_window_rate']:.0f} msg/s and the backlog grew "
          f"~{steady['backlog_growth']:.0f} msg/s; second line: latency at a rate it holds")
    print()
    print("Issue 15 speed targets, scorer vs embedding-only in the same run (both readings):")
    for v in versus + versus_again:
        print(f"  {v.line()}")
    if args.json:
        args.json.write_text(json.dumps({
            "rows": [{"name": r.name, "n": r.n, "seconds": r.seconds, "rate": r.rate,
                      "note": r.note} for r in rows],
            "storm": storm,
            "versus": [{"batch": v.batch, "n": v.n, "embed_s": v.embed_s, "scorer_s": v.scorer_s,
                        "ratio": v.ratio, "target": v.target, "load": [v.load_before, v.load_after]}
                       for v in versus + versus_again],
            "steady": [{k: v for k, v in st.items() if k != "latencies"} for st in steadies]},
            indent=2))


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()
