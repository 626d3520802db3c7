"""Use cases behind `triage train` and `triage eval`: load, embed (cached), fit, compare, promote."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from triage.scoring.classifier.baselines import (
    EmbeddingTfidfBaseline,
    TfidfBaseline,
    rule_predictions,
)
from triage.scoring.classifier.data import (
    FIELDS,
    load_corrections,
    load_starter,
    split_of,
    subsample,
)
from triage.scoring.classifier.embedder import CachedEmbedder, DiskCache, Embedder, MiniLMEmbedder
from triage.scoring.classifier.errors import ModelLoadError
from triage.scoring.classifier.evaluate import compare, model_predictions
from triage.scoring.classifier.familiarity import Gate
from triage.scoring.classifier.features import FeatureSpec
from triage.scoring.classifier.heads import Heads, load_heads, promote
from triage.scoring.classifier.train import C_GRID, fit_heads

DEFAULT_CACHE = Path("var/cache")
# "Does not regress": mean held-back macro-F1 may dip by at most this much. One manager
# correction moves it by ~0.0005 (seen on the starter model); a real regression costs points.
PROMOTE_TOLERANCE = 0.002
SHAPE_SCALE = 0.5  # the text-shape block of new models (see FeatureSpec); same weight as rules
# Rules weigh in on unfamiliar text (familiarity.py). Chosen by `bench/bench_generalisation.py
# --choose-gate`: the largest leave-one-source-out urgency macro-F1 (rows never held back) among
# gates this pipeline would promote (in-source held-back cost within PROMOTE_TOLERANCE).
GATE = Gate(novel=0.35, familiar=0.45, max_weight=0.5)

# track(description, total) -> advance(n); the CLI passes a rich progress bar
Track = Callable[[str, int], Callable[[int], None]]


def _no_track(_: str, __: int) -> Callable[[int], None]:
    return lambda _n: None


def default_embedder(cache_dir: Path = DEFAULT_CACHE) -> CachedEmbedder:
    """MiniLM behind the in-memory LRU and the on-disk cache under var/cache/."""
    inner = MiniLMEmbedder()
    return CachedEmbedder(inner, disk=DiskCache(cache_dir, inner.model_id))


def embed_all(embedder: Embedder, texts: Sequence[str], track: Track = _no_track,
              chunk: int = 512) -> np.ndarray:
    """Embed with a progress bar; chunks keep each disk-cache shard small."""
    advance = track("embedding", len(texts))
    parts = []
    for i in range(0, len(texts), chunk):
        parts.append(embedder.embed(list(texts[i:i + chunk])))
        advance(len(parts[-1]))
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


def holdout_scores(report: dict, system: str = "model") -> dict[str, float]:
    """'dataset/field' -> macro-F1 for one system, from a per-dataset report."""
    return {f"{ds}/{fld}": systems[system]["macro_f1"]
            for ds, fields in report.items() for fld, systems in fields.items()
            if system in systems}


def summary(scores: dict[str, float]) -> float:
    """The one number promotion looks at: mean macro-F1 over (source, field) pairs."""
    return float(np.mean(list(scores.values()))) if scores else 0.0


def per_dataset_report(records: Sequence[dict], embeddings: np.ndarray,
                       systems: dict[str, Heads | str], train_idx: Sequence[int],
                       baseline_c: float = 1.0) -> dict:
    """Held-back rows only, grouped by source: every system's metrics per field.

    The baselines are fitted on rows `train_idx` (the model's own fitted rows).
    """
    hold = [i for i, r in enumerate(records) if split_of(r) == "holdout"]
    train_records = [records[i] for i in train_idx]
    tfidf = TfidfBaseline(c=baseline_c).fit(train_records) if "tfidf_lr" in systems else None
    b = EmbeddingTfidfBaseline(c=baseline_c).fit(train_records, embeddings[list(train_idx)]) \
        if "baseline_b" in systems else None
    out: dict = {}
    for ds in sorted({records[i]["dataset"] for i in hold}):
        idx = [i for i in hold if records[i]["dataset"] == ds]
        rows, texts = [records[i] for i in idx], [records[i]["text"] for i in idx]
        preds = {}
        for name, what in systems.items():
            if isinstance(what, Heads):
                preds[name] = model_predictions(what, embeddings[idx], texts,
                                                [r.get("channel") for r in rows])
            elif what == "baseline_b":
                preds[name] = b.predict(texts, embeddings[idx])
            elif what == "tfidf_lr":
                preds[name] = tfidf.predict(texts)
            elif what == "rules":
                preds[name] = rule_predictions(texts)
        out[ds] = compare(rows, preds)
    return out


def free_version(out: Path, now: datetime) -> str:
    """clf-YYYYMMDD-HHMMSS, suffixed when that second already has a version (never overwrite)."""
    base = now.strftime("clf-%Y%m%d-%H%M%S")
    version, n = base, 1
    while (Path(out) / version).exists():
        n += 1
        version = f"{base}-{n}"
    return version


@dataclass
class TrainResult:
    """What `triage train` prints and the model card records."""

    heads: Heads
    path: Path
    report: dict
    new_score: float
    current_version: str | None
    current_score: float | None
    promoted: bool
    counts: dict = field(default_factory=dict)


def run_train(*, data_dir: Path, out: Path, corrections: Path | None = None,
              embedder: Embedder | None = None, now: datetime, track: Track = _no_track,
              c: float | None = None, tolerance: float = PROMOTE_TOLERANCE,
              spec: FeatureSpec | None = None, limit: int | None = None) -> TrainResult:
    """Retrain from starter data + corrections, compare with CURRENT on held-back rows, promote.

    `limit` keeps at most that many starter rows per source (quick runs, tests); corrections are
    always kept whole.
    """
    from triage.scoring.classifier.card import data_counts, library_versions, write_card

    embedder = embedder or default_embedder()
    records = load_starter(data_dir)
    if limit:
        records = subsample(records, limit)
    if corrections:
        records += load_corrections(corrections)
    emb = embed_all(embedder, [r["text"] for r in records], track)
    version = free_version(out, now)
    advance = track("training", len(FIELDS) * (2 if c else len(C_GRID) + 1))
    heads = fit_heads(records, emb, version=version, embedder_id=embedder.model_id,
                      spec=spec or FeatureSpec(embed_dim=emb.shape[1], shape_scale=SHAPE_SCALE),
                      step=lambda _: advance(1), c=c or None, gate=GATE)
    systems: dict = {"model": heads, "baseline_b": "baseline_b", "tfidf_lr": "tfidf_lr",
                     "rules": "rules"}
    current_version, current_score = None, None
    try:
        current = load_heads(out, embedder_id=embedder.model_id, embed_dim=embedder.dim)
        systems["current"] = current
        current_version = current.version
    except ModelLoadError as exc:  # e.g. an older format: nothing to compare with
        current = None
        current_version = f"unreadable ({exc})"
    train_idx = [i for i, r in enumerate(records) if split_of(r) != "holdout"]
    report = per_dataset_report(records, emb, systems, train_idx)
    new_score = summary(holdout_scores(report))
    if current is not None:
        current_score = summary(holdout_scores(report, "current"))
    promoted = current_score is None or new_score >= current_score - tolerance
    counts = data_counts(records)
    heads.meta.update({"created_at": now.isoformat(), "holdout_macro_f1": round(new_score, 4),
                       "trained_on": counts,
                       "promoted_over": current_version if current is not None else None,
                       "libraries": library_versions(), "limit_per_source": limit})
    path = heads.save(out)
    write_card(path, heads, report, counts)
    if promoted:
        promote(out, version)
    return TrainResult(heads, path, report, new_score, current_version, current_score,
                       promoted, counts)
