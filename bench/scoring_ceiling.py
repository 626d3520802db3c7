"""The in-process part of bench_scoring_path: MiniLM alone (the ceiling) vs ModelScorer, one run.

Embedding-only and the scorer are timed on the same texts, interleaved block by block, so a busy
spell on this shared machine lands on both sides of each ratio instead of on one of them. The
scorer wraps the same MiniLM in a fresh CachedEmbedder, so every text is a cache miss for it too.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

B1_TARGET = 0.8  # issue 15: batch-1 scoring at >= 0.8x the batch-1 embedding rate
B64_TARGET = 0.9  # and batch 64 at >= 0.9x its ceiling (embedding-only at batch 64)
BLOCK1 = 10  # batch-1 messages per interleaved block


@dataclass
class Phase:
    """One row of the result table."""

    name: str
    n: int
    seconds: float
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0


def load() -> str:
    return "load {:.1f}/{:.1f}".format(*os.getloadavg()[:2])


@dataclass
class Versus:
    """Scorer vs embedding-only at one batch size, timed interleaved on the same texts."""

    batch: int
    n: int
    embed_s: float
    scorer_s: float
    target: float
    load_before: str
    load_after: str

    @property
    def ratio(self) -> float:
        """Scorer rate over embedding rate (1.0: the scorer adds nothing to the forward pass)."""
        return self.embed_s / self.scorer_s if self.scorer_s else 0.0

    def line(self) -> str:
        ms_e, ms_s = 1000 * self.embed_s / self.n, 1000 * self.scorer_s / self.n
        verdict = "met" if self.ratio >= self.target else "MISSED"
        return (f"batch {self.batch}: ModelScorer {ms_s:.2f} ms/msg ({self.n / self.scorer_s:.1f} "
                f"msg/s) vs embedding-only {ms_e:.2f} ms/msg ({self.n / self.embed_s:.1f} msg/s), "
                f"same {self.n} texts interleaved: ratio {self.ratio:.2f} (target >= "
                f"{self.target:.1f}: {verdict}); {self.load_before} before, {self.load_after} after")


def _messages(texts: list[str]):
    from datetime import UTC, datetime, timedelta

    from triage.core.message import Author, Message

    t0, author = datetime(2026, 11, 20, tzinfo=UTC), Author(id="bench")
    return [Message(source="bench", external_id=str(i), author=author, text=x,
                    created_at=t0 + timedelta(seconds=i)) for i, x in enumerate(texts)]


def versus(model, heads, detector, texts: list[str], batch: int, target: float) -> Versus:
    """Embedding-only and ModelScorer over the same texts, alternating blocks of messages."""
    from triage.core.scoring import AuthorContext
    from triage.scoring.classifier.embedder import CachedEmbedder
    from triage.scoring.classifier.scorer import ModelScorer

    msgs = _messages(texts)
    scorer = ModelScorer(CachedEmbedder(model), heads, detector=detector)
    block = batch if batch > 1 else BLOCK1
    embed_s = scorer_s = 0.0
    before = load()
    for start in range(0, len(texts), block):
        chunk = range(start, min(start + block, len(texts)))
        t = time.perf_counter()
        for i in range(chunk.start, chunk.stop, batch):
            model.embed(texts[i:min(i + batch, chunk.stop)])
        embed_s += time.perf_counter() - t
        t = time.perf_counter()
        for i in range(chunk.start, chunk.stop, batch):
            part = msgs[i:min(i + batch, chunk.stop)]
            scorer.score_batch(part, [AuthorContext()] * len(part))
        scorer_s += time.perf_counter() - t
    return Versus(batch, len(texts), embed_s, scorer_s, target, before, load())


def ceiling(texts64: list[str], texts1: list[str]) -> tuple[list[Phase], list[Versus]]:
    """Embedding-only and in-process ModelScorer speeds of the same model, no stack running.

    Rows: embedding-only at batch 64 (the ceiling) and 1, batch 1 on every torch thread (as
    before issue 15), ModelScorer at batch 1 and 64; plus the two scorer-vs-embedding ratios.
    """
    from bench.stack import ROOT
    from triage.scoring.classifier.embedder import MiniLMEmbedder
    from triage.scoring.classifier.heads import load_heads
    from triage.scoring.classifier.language import LinguaDetector

    model = MiniLMEmbedder(batch_size=64).load()
    heads = load_heads(ROOT / "models", embedder_id=model.model_id, embed_dim=model.dim)
    detector = LinguaDetector()
    detector.detect("warm up the language models")
    model.embed(texts64[:64])  # first call pays for lazy init
    model.embed(texts1[:2])
    b64 = versus(model, heads, detector, texts64, 64, B64_TARGET)
    b1 = versus(model, heads, detector, texts1, 1, B1_TARGET)
    t = time.perf_counter()
    for text in texts1:  # the same forward pass on every torch thread, as before issue 15
        model._model.encode([text], normalize_embeddings=True, convert_to_numpy=True,
                            show_progress_bar=False)
    all_threads = time.perf_counter() - t
    rows = [Phase("embedding only, batch 64 (ceiling)", b64.n, b64.embed_s, heads.version),
            Phase("embedding only, batch 1", b1.n, b1.embed_s),
            Phase("embedding only, batch 1, all torch threads", len(texts1), all_threads),
            Phase("ModelScorer in-process, batch 1", b1.n, b1.scorer_s, "no queue, no database"),
            Phase("ModelScorer in-process, batch 64", b64.n, b64.scorer_s, "no queue, no database")]
    return rows, [b1, b64]
