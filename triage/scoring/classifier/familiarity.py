"""How familiar a message is to the training data; on unfamiliar text the urgency rules weigh in.

Leave-one-source-out checks showed the learned urgency head transfers poorly to a source it never
saw: what `low`, `normal` and `high` meant was learned from each source's own label mapping. The
keyword rules (safety words, fraud, outages) travel. So the final urgency is a blend,
`p = (1 - a) * p_model + a * onehot(rule urgency)`, where `a` rises from 0 to `max_weight` as the
message's similarity to the training data falls from `familiar` to `novel`. On familiar text the
model alone decides; as managers' corrections cover a new source, the rules' weight on it fades.

Similarity is the mean cosine of the k nearest rows of a reference sample: at most `PER_SOURCE`
training rows of each source (small sources keep a voice; a global sample would be all BANKING77).
Managers' corrections are kept apart ("taught" rows) and count one by one: a message as close to
a corrected one as its neighbours would need to be is familiar, so a correction takes effect on
the next `triage train` instead of being outvoted by nine unrelated neighbours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

PER_SOURCE = 400  # reference rows kept per source: ~1.8 MB of float16 for the six starter sources
MAX_TAUGHT = 2000  # corrections kept as taught rows (a random sample beyond): ~1.5 MB at most
K_NEAREST = 10
SAMPLE_SEED = 0


@dataclass(frozen=True)
class Gate:
    """How much the rule scorer's urgency counts, as a function of familiarity."""

    novel: float = 0.35  # similarity at or below which the rules get `max_weight`
    familiar: float = 0.45  # similarity at or above which the model alone decides
    max_weight: float = 0.5  # the rules' class wins on the least familiar text unless p_model=1
    k: int = K_NEAREST

    def __post_init__(self) -> None:
        if not (self.familiar > self.novel and 0.0 <= self.max_weight <= 1.0 and self.k >= 1):
            raise ValueError(f"invalid familiarity gate {self}")

    def weights(self, similarity: np.ndarray) -> np.ndarray:
        """The rules' share per row, in [0, max_weight]."""
        span = (self.familiar - np.asarray(similarity, dtype=np.float64)) / (self.familiar - self.novel)
        return self.max_weight * np.clip(span, 0.0, 1.0)

    def as_dict(self) -> dict:
        return asdict(self)


def reference_sample(embeddings: np.ndarray, sources: Sequence[str],
                     per_source: int = PER_SOURCE) -> np.ndarray:
    """At most `per_source` rows of each source, picked by a fixed seed, unit-normalised."""
    sources = np.asarray(sources)
    rng = np.random.default_rng(SAMPLE_SEED)
    picked = [rng.permutation(np.flatnonzero(sources == s))[:per_source]
              for s in sorted(set(sources.tolist()))]
    return _unit(embeddings, np.concatenate(picked) if picked else np.zeros(0, dtype=int))


def taught_sample(embeddings: np.ndarray, limit: int = MAX_TAUGHT) -> np.ndarray:
    """The corrections' rows (a seeded sample beyond `limit`), unit-normalised."""
    order = np.random.default_rng(SAMPLE_SEED).permutation(len(embeddings))[:limit]
    return _unit(embeddings, order)


def _unit(embeddings: np.ndarray, idx: np.ndarray) -> np.ndarray:
    rows = np.asarray(embeddings, dtype=np.float32)[np.sort(idx)].reshape(-1, embeddings.shape[1])
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def similarity(embeddings: np.ndarray, reference: np.ndarray, k: int = K_NEAREST,
               taught: np.ndarray | None = None) -> np.ndarray:
    """Mean cosine of each row's k most similar reference rows, or its cosine to the closest
    taught row if higher (1 = seen this exact text)."""
    emb = np.asarray(embeddings, dtype=np.float32)
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    emb = emb / np.where(norms == 0, 1.0, norms)
    out = np.zeros(len(emb))
    if len(reference):
        sims = emb @ reference.T
        k = min(k, reference.shape[0])
        out = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
    if taught is not None and len(taught):
        out = np.maximum(out, (emb @ taught.T).max(axis=1))
    return out


def blend(proba: np.ndarray, rule_onehot: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(1 - a) * model + a * rules, row by row; rows still sum to 1."""
    a = np.asarray(weights, dtype=np.float64)[:, None]
    return (1.0 - a) * proba + a * rule_onehot
