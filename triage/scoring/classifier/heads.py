"""Calibrated linear heads saved as plain arrays (.npz + meta.json): no pickle, checked on load."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from triage.core.scoring import URGENCIES
from triage.scoring.classifier import familiarity
from triage.scoring.classifier.errors import ModelLoadError
from triage.scoring.classifier.familiarity import Gate
from triage.scoring.classifier.features import FeatureSpec, Vocabulary, build_rows, rule_urgency
from triage.scoring.classifier.text import normalize

# Bump when the array layout or feature recipe changes; old artifacts are refused with the reason.
# 2: TF-IDF vocabulary instead of hashed words, channel block, temperature applied after the blend.
FORMAT_VERSION = 2
ARRAYS = "heads.npz"
META = "meta.json"
CARD = "MODEL_CARD.md"


@dataclass
class Head:
    """Multinomial logistic regression over feature rows, softened by a fitted temperature.

    The temperature is fitted on out-of-fold probabilities *after* the familiarity blend (see
    Heads.predict_proba); for heads without a blend that is the usual softmax(logits / T).
    """

    field: str
    classes: tuple[str, ...]
    coef: np.ndarray  # (n_classes, width)
    intercept: np.ndarray  # (n_classes,)
    temperature: float = 1.0
    # coef.T laid out once: scipy copies a transposed view to C order on every product (~1 MB a
    # call for the three heads, which is most of a single message's head cost). Same numbers.
    _coef_t: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._coef_t = np.ascontiguousarray(self.coef.T)

    def logits(self, rows: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(rows @ self._coef_t) + self.intercept

    def raw_proba(self, rows: sparse.csr_matrix) -> np.ndarray:
        """Uncalibrated softmax of the logits (what the blend mixes with the rules)."""
        return softmax(self.logits(rows))

    def predict_proba(self, rows: sparse.csr_matrix) -> np.ndarray:
        """Calibrated class probabilities, one row per input row, columns in `classes` order."""
        return softmax(self.logits(rows) / self.temperature)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def temper(proba: np.ndarray, temperature: float) -> np.ndarray:
    """p ** (1/T), renormalised: a temperature applied to probabilities (softmax(log p / T))."""
    if temperature == 1.0:
        return proba
    return softmax(np.log(np.clip(proba, 1e-12, 1.0)) / temperature)


@dataclass
class Heads:
    """Everything needed to turn embeddings + text into probabilities for each field."""

    version: str
    spec: FeatureSpec
    embedder_id: str
    vocab: Vocabulary | None
    heads: dict[str, Head]
    meta: dict = field(default_factory=dict)
    # Reference rows and gate of familiarity.py: on unfamiliar text the urgency rules weigh in.
    # None on both (older artifacts, toy models) means the urgency head alone decides.
    reference: np.ndarray | None = None
    gate: Gate | None = None
    taught: np.ndarray | None = None  # managers' corrections, each vouching for its neighbourhood

    def rows(self, embeddings: np.ndarray, texts: list[str],
             channels: Sequence[str | None] | None = None) -> sparse.csr_matrix:
        """Feature rows for raw texts whose embeddings are already computed."""
        if embeddings.shape[1] != self.spec.embed_dim:
            raise ValueError(f"got {embeddings.shape[1]}-d embeddings, model expects "
                             f"{self.spec.embed_dim}")
        return build_rows(self.spec, embeddings, [normalize(t) for t in texts], texts, self.vocab,
                          channels)

    def predict_proba(self, embeddings: np.ndarray, texts: list[str], *,
                      rule_weights: np.ndarray | None = None,
                      channels: Sequence[str | None] | None = None) -> dict[str, np.ndarray]:
        """Calibrated probabilities per field for a batch (columns in each head's class order).

        `rule_weights` overrides the gate's share of the rules per row (the scorer zeroes it
        for text the English keyword rules cannot read). `channels` (data or connector channel
        names, None where unknown) fill the channel block.
        """
        rows = self.rows(embeddings, texts, channels)
        weights = self.rule_weights(embeddings) if rule_weights is None else rule_weights
        return {name: self.field_proba(name, rows, texts, weights) for name in self.heads}

    def field_proba(self, name: str, rows: sparse.csr_matrix, texts: Sequence[str],
                    weights: np.ndarray | None) -> np.ndarray:
        """One field: the head, blended with the rules (urgency on unfamiliar text), tempered."""
        head = self.heads[name]
        if name != "urgency" or weights is None or not np.any(weights):
            return head.predict_proba(rows)
        onehot = rule_urgency(self.spec, rows, texts)[:, [URGENCIES.index(c) for c in head.classes]]
        return temper(familiarity.blend(head.raw_proba(rows), onehot, weights), head.temperature)

    def rule_weights(self, embeddings: np.ndarray) -> np.ndarray | None:
        """The rules' share in each row's urgency (0 on familiar text); None without a gate."""
        if self.gate is None or self.reference is None:
            return None
        sim = familiarity.similarity(embeddings, self.reference, self.gate.k, self.taught)
        return self.gate.weights(sim)

    def save(self, models_dir: Path) -> Path:
        """Write models/<version>/heads.npz + meta.json (with the arrays' sha256)."""
        out = Path(models_dir) / self.version
        out.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        if self.vocab is not None and len(self.vocab):
            arrays["vocab.terms"] = self.vocab.encoded_terms()
            arrays["vocab.idf"] = self.vocab.idf.astype(np.float32)
        for name, head in self.heads.items():
            arrays[f"{name}.coef"] = head.coef.astype(np.float16)  # halves the artifact, no F1 loss
            arrays[f"{name}.intercept"] = head.intercept.astype(np.float32)
        if self.reference is not None and self.gate is not None:
            arrays["familiarity.reference"] = self.reference.astype(np.float16)
            if self.taught is not None and len(self.taught):
                arrays["familiarity.taught"] = self.taught.astype(np.float16)
        np.savez_compressed(out / ARRAYS, **arrays)
        meta = dict(self.meta)
        meta.update({
            "format_version": FORMAT_VERSION, "version": self.version,
            "embedder": {"model_id": self.embedder_id, "dim": self.spec.embed_dim},
            "features": self.spec.as_dict(),
            "heads": {n: {"classes": list(h.classes), "temperature": h.temperature}
                      for n, h in self.heads.items()},
            "familiarity_gate": self.gate.as_dict() if self.gate and self.reference is not None
            else None,
            "sha256": _sha256(out / ARRAYS),
        })
        (out / META).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        self.meta = meta
        return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def current_version(models_dir: Path) -> str:
    """The promoted version named in models/CURRENT."""
    path = Path(models_dir) / "CURRENT"
    if not path.exists():
        raise ModelLoadError(f"no promoted model: {path} is missing")
    name = path.read_text().strip()
    if not name or "/" in name or name.startswith("."):
        raise ModelLoadError(f"{path} does not name a model version: {name!r}")
    return name


def promote(models_dir: Path, version: str) -> None:
    """Point models/CURRENT at `version` (written via a temp file so readers never see half)."""
    tmp = Path(models_dir) / "CURRENT.tmp"
    tmp.write_text(version + "\n")
    tmp.replace(Path(models_dir) / "CURRENT")


def load_heads(models_dir: Path, version: str | None = None, *,
               embedder_id: str | None = None, embed_dim: int | None = None) -> Heads:
    """Load and verify a version (CURRENT by default); anything off raises ModelLoadError."""
    version = version or current_version(models_dir)
    where = Path(models_dir) / version
    try:
        meta = json.loads((where / META).read_text())
    except FileNotFoundError as exc:
        raise ModelLoadError(f"model {version}: {exc.filename} is missing") from exc
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"model {version}: meta.json unreadable ({exc})") from exc
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(f"model {version} has format {meta.get('format_version')!r}; "
                             f"this code reads format {FORMAT_VERSION} (the feature recipe "
                             "changed): retrain with `triage train`")
    if meta.get("version") != version:
        raise ModelLoadError(f"model dir {version} holds version {meta.get('version')!r}")
    emb = meta.get("embedder", {})
    if embedder_id is not None and emb.get("model_id") != embedder_id:
        raise ModelLoadError(f"model {version} was trained on {emb.get('model_id')!r} embeddings,"
                             f" the embedder here is {embedder_id!r}")
    if embed_dim is not None and emb.get("dim") != embed_dim:
        raise ModelLoadError(f"model {version} expects {emb.get('dim')}-d embeddings, got {embed_dim}")
    try:
        if _sha256(where / ARRAYS) != meta.get("sha256"):
            raise ModelLoadError(f"model {version}: {ARRAYS} does not match its checksum (corrupt?)")
        return _build(version, meta, np.load(where / ARRAYS, allow_pickle=False))
    except ModelLoadError:
        raise
    except FileNotFoundError as exc:
        raise ModelLoadError(f"model {version}: {exc.filename} is missing") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"model {version}: arrays unreadable or inconsistent ({exc})") from exc


def _build(version: str, meta: dict, arrays) -> Heads:
    spec = FeatureSpec(**meta["features"])
    heads = {}
    for name, info in meta["heads"].items():
        coef = arrays[f"{name}.coef"].astype(np.float32)
        intercept = arrays[f"{name}.intercept"].astype(np.float32)
        classes = tuple(info["classes"])
        if coef.shape != (len(classes), spec.width) or intercept.shape != (len(classes),):
            raise ModelLoadError(f"model {version}: head {name} has shape {coef.shape}, "
                                 f"expected {(len(classes), spec.width)}")
        heads[name] = Head(name, classes, coef, intercept, float(info["temperature"]))
    vocab = Vocabulary.decode(arrays["vocab.terms"], arrays["vocab.idf"].astype(np.float32)) \
        if "vocab.terms" in arrays.files else None
    if spec.vocab_dim != (len(vocab) if vocab is not None else 0):
        raise ModelLoadError(f"model {version}: vocabulary of {len(vocab) if vocab else 0} terms,"
                             f" expected {spec.vocab_dim}")
    gate, reference, taught = None, None, None
    if meta.get("familiarity_gate"):
        gate = Gate(**meta["familiarity_gate"])
        reference = arrays["familiarity.reference"].astype(np.float32)
        taught = arrays["familiarity.taught"].astype(np.float32) \
            if "familiarity.taught" in arrays.files else None
        for name, rows in (("reference", reference), ("taught rows", taught)):
            if rows is not None and (rows.ndim != 2 or rows.shape[1] != spec.embed_dim):
                raise ModelLoadError(f"model {version}: familiarity {name} has shape "
                                     f"{rows.shape}, expected (n, {spec.embed_dim})")
    return Heads(version, spec, meta["embedder"]["model_id"], vocab, heads, meta,
                 reference=reference, gate=gate, taught=taught)
