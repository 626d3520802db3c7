"""The heads' maths as written before issue 15's batch-1 work: the oracle for "no prediction changed".

scipy builds and stacks each feature block, the heads multiply by their transposed weights, and the
familiarity gate's product runs on however many BLAS threads numpy has. The scorer's fast path
(numpy-stacked rows, weights laid out once, one BLAS thread for a message or two) must agree.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy import sparse

from triage.core.scoring import URGENCIES
from triage.scoring.classifier import familiarity
from triage.scoring.classifier.features import channel_onehots, rule_onehots, shape_features
from triage.scoring.classifier.heads import Heads, softmax, temper
from triage.scoring.classifier.text import normalize, scrub

FIELDS = ("urgency", "intent", "sentiment")
DATA_FILES = ("airline_dev.jsonl", "crisislex_dev.jsonl", "disaster_dev.jsonl",
              "banking77_train.jsonl", "tickets_smoke.jsonl")


class LookupEmbedder:
    """Embedder port fake: each text's vector from a table (the same vectors for both recipes)."""

    def __init__(self, table: dict[str, np.ndarray], model_id: str, dim: int) -> None:
        self.table, self.model_id, self.dim = table, model_id, dim

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts])


def real_texts(data_dir: Path, n: int) -> list[str]:
    """`n` distinct texts taken round-robin from the shared data files (tweets, SMS, chats, mail)."""
    per_file = [[json.loads(line)["text"] for line in (data_dir / name).open(encoding="utf-8")]
                for name in DATA_FILES if (data_dir / name).exists()]
    seen: set[str] = set()
    out: list[str] = []
    for i in range(max(map(len, per_file), default=0)):
        for texts in per_file:
            if i < len(texts) and texts[i] not in seen and len(out) < n:
                seen.add(texts[i])
                out.append(texts[i])
    return out


def plain_proba(heads: Heads, emb: np.ndarray, text: str, english: bool,
                channel: str | None) -> tuple[dict[str, np.ndarray], float]:
    """One message through the pre-issue-15 recipe: probabilities per field and the rules' share."""
    spec, texts, emb = heads.spec, [scrub(text)], np.asarray(emb, dtype=np.float32)[None, :]
    blocks = [sparse.csr_matrix(emb)]
    if spec.vocab_dim:
        blocks.append(heads.vocab.transform([normalize(texts[0])], spec.lex_scale))
    blocks.append(sparse.csr_matrix(spec.rule_scale * rule_onehots(texts)))
    if spec.shape_scale:
        blocks.append(sparse.csr_matrix(spec.shape_scale * shape_features(texts)))
    if spec.channel_scale:
        blocks.append(sparse.csr_matrix(spec.channel_scale * channel_onehots([channel], 1)))
    rows = sparse.hstack(blocks, format="csr", dtype=np.float32)
    sim = familiarity.similarity(emb, heads.reference, heads.gate.k, heads.taught)
    weights = np.where([english], heads.gate.weights(sim), 0.0)
    out = {}
    for name, head in heads.heads.items():
        logits = np.asarray(rows @ head.coef.T) + head.intercept
        if name != "urgency" or not np.any(weights):
            out[name] = softmax(logits / head.temperature)[0]
            continue
        start = spec.embed_dim + spec.vocab_dim
        onehot = rows[:, start:start + len(URGENCIES)].toarray() / spec.rule_scale
        onehot = onehot[:, [URGENCIES.index(c) for c in head.classes]]
        out[name] = temper(familiarity.blend(softmax(logits), onehot, weights), head.temperature)[0]
    return out, float(weights[0])


def compare_batch1(scorer, heads: Heads, texts: list[str], embeddings: np.ndarray) -> dict:
    """Each text scored alone by `scorer` (its embedder must give `embeddings[i]` for the scrubbed
    `texts[i]`) vs the recipe, on all BLAS threads.

    Returns the largest probability difference, label disagreements and the rule shares seen.
    """
    worst, disagree, shares = 0.0, [], []
    for i, text in enumerate(texts):
        english, channel = i % 7 != 3, ("x", "email", None)[i % 3]
        (fast,) = scorer._predict([scrub(text)], [english], [channel])
        plain, share = plain_proba(heads, embeddings[i], text, english, channel)
        shares.append(share)
        worst = max(worst, abs(fast.rule_share - share))
        for field in FIELDS:
            p = np.array([fast.proba[field][c] for c in heads.heads[field].classes])
            worst = max(worst, float(np.abs(p - plain[field]).max()))
            if int(p.argmax()) != int(plain[field].argmax()):
                disagree.append((i, field))
    return {"worst": worst, "disagree": disagree, "shares": np.array(shares)}
