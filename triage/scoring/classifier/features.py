"""Feature rows for the heads: sentence embedding, TF-IDF words, channel, the rules' verdicts, shape."""

from __future__ import annotations

import re
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
# The labelled data's channels (../shared/data README). A message from a channel the data does
# not name gets an all-zero block: the head then reads its text alone.
CHANNELS = ("twitter", "sms", "news", "chat", "email", "web")
# Connector channel names (triage/connectors) -> the data channel whose messages they resemble.
CONNECTOR_CHANNEL = {"x": "twitter", "mastodon": "twitter", "email": "email", "imap": "email",
                     "slack": "chat", "discourse": "web", "reddit": "web", "rss": "web",
                     "youtube": "web", "meta": "web", "linkedin": "web"}
MIN_DF = 2  # a term must occur in two fitted rows: one-off typos and ids never enter the vocabulary
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
_SUBJECT = re.compile(r"^[^\n]{3,120}\n\s*\n")  # a subject line, then a blank line
_GREETING = re.compile(r"\b(dear|hello|hi|sehr geehrte\w*|hallo|bonjour|hola)\b", re.IGNORECASE)
_RULES = RuleScorer()
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeatureSpec:
    """How a text becomes a row; stored in meta.json so serving rebuilds exactly the same row.

    Issue 15's recipe "C3": the word block is a TF-IDF vocabulary weighed like the embedding
    (hashed words at half weight lost to a plain TF-IDF + MiniLM regression on new events and
    airlines), plus the channel. Rules and text shape stay at half weight: cues that travel.
    """

    embed_dim: int
    vocab_dim: int = 0  # terms in the TF-IDF vocabulary; set by training (0: no word block)
    lex_scale: float = 1.0  # 0 turns the word block off
    rule_scale: float = 0.5
    shape_scale: float = 0.5  # length, lines, subject line, greeting: an e-mail is not a tweet
    channel_scale: float = 0.5  # 0 turns the channel one-hot off

    @property
    def width(self) -> int:
        return (self.embed_dim + self.vocab_dim + RULE_DIM + (SHAPE_DIM if self.shape_scale else 0)
                + (len(CHANNELS) if self.channel_scale else 0))

    def as_dict(self) -> dict:
        return asdict(self)


def tokens(normalized: str) -> list[str]:
    """Word unigrams and bigrams of already-normalised text (scikit-learn's word analyzer)."""
    words = _TOKEN.findall(normalized)
    return words + [f"{a} {b}" for a, b in pairwise(words)]


class Vocabulary:
    """TF-IDF over word 1-2-grams: sublinear counts times idf, each row L2-normalised.

    Fitted with scikit-learn (min_df=2, smoothed idf) but applied in plain numpy, so serving one
    message costs a dictionary look-up per token.
    """

    def __init__(self, terms: Sequence[str], idf: np.ndarray) -> None:
        if len(terms) != len(idf):
            raise ValueError(f"{len(terms)} terms but {len(idf)} idf weights")
        self.terms = list(terms)
        self.index = {t: j for j, t in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.terms)

    @classmethod
    def fit(cls, normalized: Sequence[str], min_df: int = MIN_DF) -> Vocabulary:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(analyzer=tokens, min_df=min_df, sublinear_tf=True, dtype=np.float32)
        try:
            vec.fit(list(normalized))
        except ValueError:  # no term occurs twice (toy data): no word block
            return cls([], np.zeros(0, dtype=np.float32))
        terms = vec.get_feature_names_out().tolist()
        return cls(terms, vec.idf_)

    def transform(self, normalized: Sequence[str], scale: float = 1.0) -> sparse.csr_matrix:
        """One row per text, norm `scale` (0 for texts with no known term)."""
        indptr, cols, vals = [0], [], []
        for text in normalized:
            counts: dict[int, int] = {}
            for tok in tokens(text):
                j = self.index.get(tok)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            row_cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
            row = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64,
                                            count=len(counts)))) * self.idf[row_cols]
            norm = np.sqrt((row * row).sum())
            cols.append(row_cols)
            vals.append(row * (scale / norm) if norm else row)
            indptr.append(indptr[-1] + len(counts))
        data = np.concatenate(vals) if vals else np.zeros(0)
        idx = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        return sparse.csr_matrix((data.astype(np.float32), idx, indptr),
                                 shape=(len(normalized), len(self)))

    def encoded_terms(self) -> np.ndarray:
        """The terms as one UTF-8 byte array (newline-separated): no pickle, no padding."""
        return np.frombuffer("\n".join(self.terms).encode("utf-8"), dtype=np.uint8)

    @classmethod
    def decode(cls, encoded: np.ndarray, idf: np.ndarray) -> Vocabulary:
        text = encoded.astype(np.uint8).tobytes().decode("utf-8")
        return cls(text.split("\n") if text else [], idf)


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


def channel_onehots(channels: Sequence[str | None] | None, n: int) -> np.ndarray:
    """Data channel one-hots; connector names are mapped, unknown or None stay all zero."""
    out = np.zeros((n, len(CHANNELS)), dtype=np.float32)
    for i, ch in enumerate(channels or ()):
        ch = CONNECTOR_CHANNEL.get(ch, ch) if ch else None
        if ch in CHANNELS:
            out[i, CHANNELS.index(ch)] = 1.0
    return out


def rule_urgency(spec: FeatureSpec, rows: sparse.csr_matrix, texts: Sequence[str]) -> np.ndarray:
    """The rule scorer's urgency one-hot (URGENCIES order): read back from built rows if there."""
    if not spec.rule_scale:
        return rule_onehots(texts)[:, :len(URGENCIES)]
    start = spec.embed_dim + spec.vocab_dim
    return rows[:, start:start + len(URGENCIES)].toarray() / spec.rule_scale


def build_rows(spec: FeatureSpec, embeddings: np.ndarray, normalized: Sequence[str],
               texts: Sequence[str], vocab: Vocabulary | None,
               channels: Sequence[str | None] | None = None) -> sparse.csr_matrix:
    """[embedding | tf-idf words | rule one-hots | shape | channel], each block scaled."""
    blocks: list[np.ndarray | sparse.csr_matrix] = [embeddings.astype(np.float32)]
    if spec.vocab_dim:
        if vocab is None or len(vocab) != spec.vocab_dim:
            raise ValueError(f"spec expects a {spec.vocab_dim}-term vocabulary")
        blocks.append(vocab.transform(normalized, spec.lex_scale))
    blocks.append(spec.rule_scale * rule_onehots(texts))
    if spec.shape_scale:
        blocks.append(spec.shape_scale * shape_features(texts))
    if spec.channel_scale:
        blocks.append(spec.channel_scale * channel_onehots(channels, len(texts)))
    return stack_blocks(blocks, len(texts))


def stack_blocks(blocks: Sequence[np.ndarray | sparse.csr_matrix], n: int) -> sparse.csr_matrix:
    """`sparse.hstack([csr_matrix(b) for b in blocks], format="csr", dtype=float32)`, in numpy.

    The same entries in the same order (in each row, block by block, each block's nonzeros in
    its stored order), so a head's product sums the same terms in the same order, bit for bit.
    Building five scipy matrices and stacking them cost ~1 ms per call, most of a single message's
    feature time; this is a few dozen array operations at any batch size.
    """
    parts, width = [], 0
    for b in blocks:
        if sparse.issparse(b):
            counts = np.diff(b.indptr)
            rows, cols, vals = np.repeat(np.arange(n), counts), b.indices, b.data
        else:
            rows, cols = np.nonzero(b)
            vals, counts = b[rows, cols], np.bincount(rows, minlength=n)
        parts.append((rows, cols + width, vals, counts))
        width += b.shape[1]
    counts = np.stack([p[3] for p in parts]).astype(np.int64).reshape(len(parts), n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts.sum(axis=0), out=indptr[1:])
    earlier = np.cumsum(counts, axis=0) - counts  # a row's entries in the blocks to its left
    data = np.empty(indptr[-1], dtype=np.float32)
    indices = np.empty(indptr[-1], dtype=np.int64)
    for (rows, cols, vals, _), per_row, left in zip(parts, counts, earlier, strict=True):
        rank = np.arange(len(rows)) - (np.cumsum(per_row) - per_row)[rows]
        at = indptr[rows] + left[rows] + rank
        data[at], indices[at] = vals, cols
    return sparse.csr_matrix((data, indices, indptr), shape=(n, width))
