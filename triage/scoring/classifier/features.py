"""Feature rows for the heads: sentence embedding, hashed words and the rule scorer's verdicts."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import pairwise

import numpy as np
from scipy import sparse

from triage.core.message import MAX_TEXT_CHARS, Author, Message
from triage.core.scoring import INTENTS, SENTIMENTS, URGENCIES, AuthorContext
from triage.scoring.classifier.text import scrub
from triage.scoring.domain.rules import RuleScorer

RULE_DIM = len(URGENCIES) + len(INTENTS) + len(SENTIMENTS)
SHAPE_DIM = 4
_SUBJECT = re.compile(r"^[^\n]{3,120}\n\s*\n")  # a subject line, then a blank line
_GREETING = re.compile(r"\b(dear|hello|hi|sehr geehrte\w*|hallo|bonjour|hola)\b", re.IGNORECASE)
_RULES = RuleScorer()
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeatureSpec:
    """How a text becomes a row; stored in meta.json so serving rebuilds exactly the same row."""

    embed_dim: int
    hash_dim: int = 2**14  # 0 turns the word block off
    lex_scale: float = 0.5  # words help in-domain; kept below the embedding so sources generalise
    rule_scale: float = 0.5
    # Text shape (length, lines, subject line, greeting): lets the head tell a formal e-mail from a
    # tweet, whose urgency words mean different things. 0 (artifacts before it) turns it off.
    shape_scale: float = 0.0

    @property
    def width(self) -> int:
        return self.embed_dim + self.hash_dim + RULE_DIM + (SHAPE_DIM if self.shape_scale else 0)

    def as_dict(self) -> dict:
        return asdict(self)


def tokens(normalized: str) -> list[str]:
    """Word unigrams and bigrams of already-normalised text."""
    words = [w.strip(".,!?;:\"'()[]") for w in normalized.split()]
    words = [w for w in words if w]
    return words + [f"{a} {b}" for a, b in pairwise(words)]


def hashed_counts(normalized: Sequence[str], dim: int) -> sparse.csr_matrix:
    """Sublinear term counts hashed with crc32 (stable across library versions)."""
    rows, cols, vals = [], [], []
    for i, text in enumerate(normalized):
        counts: dict[int, int] = {}
        for tok in tokens(text):
            j = zlib.crc32(tok.encode("utf-8")) % dim
            counts[j] = counts.get(j, 0) + 1
        rows.extend([i] * len(counts))
        cols.extend(counts)
        vals.extend(1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))))
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(normalized), dim), dtype=np.float32)


def idf_of(counts: sparse.csr_matrix) -> np.ndarray:
    """Smoothed inverse document frequency over the training rows."""
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    return (np.log((1 + counts.shape[0]) / (1 + df)) + 1.0).astype(np.float32)


def rule_onehots(texts: Sequence[str]) -> np.ndarray:
    """The keyword baseline's urgency, intent and sentiment as one-hots: cues that travel."""
    out = np.zeros((len(texts), RULE_DIM), dtype=np.float32)
    author, ctx = Author(id="feature"), AuthorContext()
    for i, text in enumerate(texts):
        msg = Message(source="features", external_id=str(i), author=author,
                      text=scrub(text[:MAX_TEXT_CHARS]), created_at=_EPOCH)
        s = _RULES.score_one(msg, ctx)
        out[i, URGENCIES.index(s.urgency)] = 1.0
        out[i, len(URGENCIES) + INTENTS.index(s.intent)] = 1.0
        out[i, len(URGENCIES) + len(INTENTS) + SENTIMENTS.index(s.sentiment)] = 1.0
    return out


def shape_features(texts: Sequence[str]) -> np.ndarray:
    """Length, line count, subject line and greeting, each scaled to about [0, 1]."""
    out = np.zeros((len(texts), SHAPE_DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        text = text[:MAX_TEXT_CHARS]
        out[i, 0] = np.log1p(len(text)) / 8.0  # log(3,000 chars) ~ 8
        out[i, 1] = min(text.count("\n"), 10) / 10.0
        out[i, 2] = 1.0 if _SUBJECT.match(text) else 0.0
        out[i, 3] = 1.0 if _GREETING.search(text[:200]) else 0.0
    return out


def rule_urgency(spec: FeatureSpec, rows: sparse.csr_matrix, texts: Sequence[str]) -> np.ndarray:
    """The rule scorer's urgency one-hot (URGENCIES order): read back from built rows if there."""
    if not spec.rule_scale:
        return rule_onehots(texts)[:, :len(URGENCIES)]
    start = spec.embed_dim + spec.hash_dim
    return rows[:, start:start + len(URGENCIES)].toarray() / spec.rule_scale


def build_rows(spec: FeatureSpec, embeddings: np.ndarray, normalized: Sequence[str],
               texts: Sequence[str], idf: np.ndarray | None) -> sparse.csr_matrix:
    """[embedding | scaled tf-idf words | scaled rule one-hots | scaled shape] as one sparse matrix."""
    blocks = [sparse.csr_matrix(embeddings.astype(np.float32))]
    if spec.hash_dim:
        counts = hashed_counts(normalized, spec.hash_dim)
        if idf is not None:
            counts = counts.multiply(idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        blocks.append(sparse.diags(spec.lex_scale / norms) @ counts)
    blocks.append(sparse.csr_matrix(spec.rule_scale * rule_onehots(texts)))
    if spec.shape_scale:
        blocks.append(sparse.csr_matrix(spec.shape_scale * shape_features(texts)))
    return sparse.hstack(blocks, format="csr", dtype=np.float32)
