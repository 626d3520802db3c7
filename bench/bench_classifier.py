"""Classifier throughput on this machine: ModelScorer at batch 1 and 64 vs raw MiniLM (the ceiling),
and a 5,000-message copy-paste storm vs 5,000 distinct messages. Prints its figures.

    .venv/bin/python bench/bench_classifier.py [--data-dir ../shared/data] [--storm 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from triage.core.message import Author, Message
from triage.core.scoring import AuthorContext
from triage.scoring.classifier.data import DEFAULT_DATA_DIR
from triage.scoring.classifier.embedder import CachedEmbedder, MiniLMEmbedder
from triage.scoring.classifier.heads import load_heads
from triage.scoring.classifier.language import LinguaDetector
from triage.scoring.classifier.scorer import ModelScorer
from triage.scoring.classifier.storms import group_near_duplicates

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
WORDS = ("card", "refund", "flight", "app", "login", "payment", "order", "delivery", "account",
         "crash", "bag", "fee", "screen", "password", "invoice", "router", "battery", "upgrade")


def distinct_texts(n: int, data_dir: Path) -> list[str]:
    """Real message texts when the shared data is there (read at run time), else generated ones."""
    path = data_dir / "airline_dev.jsonl"
    texts: list[str] = []
    if path.exists():
        with open(path, encoding="utf-8") as f:
            texts = list(dict.fromkeys(json.loads(line)["text"] for line in f))
    rng = random.Random(7)
    while len(texts) < n:
        texts.append(f"my {rng.choice(WORDS)} and {rng.choice(WORDS)} broke again #{len(texts)}, "
                     f"need help with the {rng.choice(WORDS)} today")
    rng.shuffle(texts)
    return texts[:n]


def messages(texts: list[str]) -> list[Message]:
    author = Author(id="bench")
    return [Message(source="bench", external_id=str(i), author=author, text=t,
                    created_at=T0 + timedelta(milliseconds=20 * i)) for i, t in enumerate(texts)]


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:8.1f} msg/s  ({n} in {seconds:.1f} s)"


def score_all(scorer: ModelScorer, msgs: list[Message], batch: int) -> float:
    ctx = [AuthorContext()] * batch
    start = time.perf_counter()
    for i in range(0, len(msgs), batch):
        chunk = msgs[i:i + batch]
        scorer.score_batch(chunk, ctx[: len(chunk)])
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    ap.add_argument("--models", type=Path, default=ROOT / "models")
    ap.add_argument("--storm", type=int, default=5000)
    ap.add_argument("--n", type=int, default=640, help="messages for the batch-size runs")
    args = ap.parse_args()

    model = MiniLMEmbedder(batch_size=64).load()
    heads = load_heads(args.models, embedder_id=model.model_id, embed_dim=model.dim)
    detector = LinguaDetector()
    detector.detect("warm up the language models")
    texts = distinct_texts(args.n * 2 + args.storm, args.data_dir)
    a, b, c = texts[: args.n], texts[args.n: args.n * 2], texts[args.n * 2:]
    model.embed(a[:64])  # warm-up: first call pays for lazy init

    def fresh() -> ModelScorer:  # an empty cache per run so no run borrows another's embeddings
        return ModelScorer(CachedEmbedder(model), heads, detector=detector)

    print(f"model {heads.version}, {model.model_id}, machine: 2 shared cores")
    start = time.perf_counter()
    model.embed(a)
    print(f"raw MiniLM embed, batch 64 (ceiling)      {rate(len(a), time.perf_counter() - start)}")
    n1 = max(64, args.n // 5)
    print(f"ModelScorer, batch 1                      {rate(n1, score_all(fresh(), messages(b[:n1]), 1))}")
    print(f"ModelScorer, batch 64                     {rate(len(b), score_all(fresh(), messages(b), 64))}")

    copy = "@brand your app has been down for 3 hours and I can't pay my bills!!!"
    storm = messages([f"RT @fan{i % 97}: {copy} https://t.co/{i}" if i % 3 else copy
                      for i in range(args.storm)])
    distinct = messages(c)
    for label, msgs in ((f"{args.storm:,}-message copy-paste storm", storm),
                        (f"{len(distinct):,} distinct messages", distinct)):
        scorer = fresh()
        seconds = score_all(scorer, msgs, 64)
        t = time.perf_counter()
        emb = scorer.embedder.embed([m.text for m in msgs])  # all cached by now
        incidents = group_near_duplicates(emb, [m.created_at for m in msgs])
        grouping = time.perf_counter() - t
        print(f"{label:<42}score {seconds:6.1f} s ({len(msgs) / seconds:7.1f} msg/s), "
              f"grouping {grouping:5.2f} s -> {len(incidents):,} incident(s), "
              f"model calls on {scorer.embedder.misses:,} distinct texts")


if __name__ == "__main__":
    main()
