"""Fit the heads on embeddings with scikit-learn: source-balanced, then temperature-calibrated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar

from triage.scoring.classifier.data import CORRECTIONS, FIELDS, split_of
from triage.scoring.classifier.familiarity import Gate, reference_sample, taught_sample
from triage.scoring.classifier.features import FeatureSpec, build_rows, hashed_counts, idf_of
from triage.scoring.classifier.heads import Head, Heads
from triage.scoring.classifier.text import normalize

DEFAULT_C = 2.0  # inverse L2 strength when one is asked for without a search (tests, toys)
# `triage train` picks C from this grid on the calibration rows (never on held-back rows).
C_GRID = (1.0, 2.0, 4.0, 8.0, 16.0)
CORRECTION_WEIGHT = 10.0  # one manager correction counts as ten average starter rows
SOURCE_POWER = 0.5  # a source's share grows with sqrt(rows): BANKING77 can't drown the tweets

Step = Callable[[str], None]


def sample_weights(records: Sequence[dict], field: str) -> np.ndarray:
    """Weights giving each source a sqrt(size) share and each class an equal part of it."""
    per_source = Counter(r["dataset"] for r in records)
    per_class = Counter((r["dataset"], r[field]) for r in records)
    classes_in = Counter(d for d, _ in per_class)
    w = np.array([
        per_source[r["dataset"]] ** SOURCE_POWER
        / (per_class[(r["dataset"], r[field])] * classes_in[r["dataset"]])
        for r in records], dtype=np.float64)
    starter = np.array([r["dataset"] != CORRECTIONS for r in records])
    w = w / (w[starter].mean() if starter.any() else w.mean())
    w[~starter] = CORRECTION_WEIGHT
    return w


def fit_temperature(logits: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """The single softmax temperature minimising weighted log-loss on the calibration rows."""
    if len(y) < 20:
        return 1.0

    def nll(log_t: float) -> float:
        z = logits / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-(w * logp[np.arange(len(y)), y]).sum() / w.sum())

    res = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(res.x))


def fit_linear(rows: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, n_classes: int,
               c: float) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression; the binary case is turned into two softmax rows."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=3000, tol=1e-4)
    clf.fit(rows, y, sample_weight=w)
    coef = np.zeros((n_classes, rows.shape[1]), dtype=np.float32)
    intercept = np.zeros(n_classes, dtype=np.float32)
    if len(clf.classes_) == 2:
        coef[clf.classes_[1]], intercept[clf.classes_[1]] = clf.coef_[0], clf.intercept_[0]
    else:
        coef[clf.classes_], intercept[clf.classes_] = clf.coef_, clf.intercept_
    return coef, intercept


def fit_heads(records: Sequence[dict], embeddings: np.ndarray, *, version: str,
              embedder_id: str, spec: FeatureSpec | None = None, c: float | None = DEFAULT_C,
              step: Step | None = None, splits: Sequence[str] | None = None,
              gate: Gate | None = None) -> Heads:
    """Train one head per field on its labelled 'train' rows, calibrate on its 'calib' rows.

    With a `gate`, a per-source sample of the 'train' rows is kept as the familiarity reference
    (see familiarity.py): on text unlike it, the rule scorer's urgency weighs in.

    With `c=None`, C is picked from C_GRID by mean macro-F1 over (source, field) on the 'calib'
    rows; the held-back rows play no part in any choice.
    """
    spec = spec or FeatureSpec(embed_dim=embeddings.shape[1])
    splits = np.array(list(splits) if splits is not None else [split_of(r) for r in records])
    norm = [normalize(r["text"]) for r in records]
    fit_idx = np.flatnonzero(splits == "train")
    idf = idf_of(hashed_counts([norm[i] for i in fit_idx], spec.hash_dim)) \
        if spec.hash_dim else None
    rows = build_rows(spec, embeddings, norm, [r["text"] for r in records], idf)
    extra: dict = {"gate": gate}
    if gate is not None:
        starter = np.array([records[i]["dataset"] != CORRECTIONS for i in fit_idx], dtype=bool)
        extra["reference"] = reference_sample(
            embeddings[fit_idx[starter]], [records[i]["dataset"] for i in fit_idx[starter]])
        extra["taught"] = taught_sample(embeddings[fit_idx[~starter]])
    if c is not None:
        heads = _fit_all(records, rows, splits, c, step)
        return Heads(version=version, spec=spec, embedder_id=embedder_id, idf=idf, heads=heads,
                     meta={"c": c}, **extra)
    search: dict[float, float] = {}
    best, chosen = {}, C_GRID[0]
    for cand in C_GRID:
        heads = _fit_all(records, rows, splits, cand, step)
        search[cand] = calib_score(records, rows, splits, heads)
        if not best or search[cand] > search[chosen]:  # a tie keeps the stronger regularisation
            best, chosen = heads, cand
    return Heads(version=version, spec=spec, embedder_id=embedder_id, idf=idf, heads=best,
                 meta={"c": chosen, "c_search": {str(k): round(v, 4) for k, v in search.items()}},
                 **extra)


def calib_score(records: Sequence[dict], rows: sparse.csr_matrix, splits: np.ndarray,
                heads: dict[str, Head]) -> float:
    """Mean macro-F1 over (source, field) on the calibration rows: the score C is chosen by."""
    from triage.scoring.classifier.metrics import macro_f1

    scores = []
    for field, head in heads.items():
        ca = np.flatnonzero((splits == "calib") & np.array([r.get(field) is not None
                                                            for r in records]))
        if not len(ca):
            continue
        pred = np.asarray(head.classes)[np.argmax(head.logits(rows[ca]), axis=1)]
        for ds in sorted({records[i]["dataset"] for i in ca}):
            mask = np.array([records[i]["dataset"] == ds for i in ca])
            scores.append(macro_f1([records[i][field] for i in ca[mask]], list(pred[mask])))
    return float(np.mean(scores)) if scores else 0.0


def _fit_all(records: Sequence[dict], rows: sparse.csr_matrix, splits: np.ndarray, c: float,
             step: Step | None) -> dict[str, Head]:
    heads: dict[str, Head] = {}
    for field in FIELDS:
        if step:
            step(f"fitting {field}")
        labelled = np.array([r.get(field) is not None for r in records])
        tr = np.flatnonzero(labelled & (splits == "train"))
        ca = np.flatnonzero(labelled & (splits == "calib"))
        classes = tuple(sorted({records[i][field] for i in tr}))
        if len(classes) < 2:
            continue  # nothing to learn: the scorer falls back to rules for this field
        index = {cl: k for k, cl in enumerate(classes)}
        ca = np.array([i for i in ca if records[i][field] in index], dtype=int)
        y_tr = np.array([index[records[i][field]] for i in tr])
        w_tr = sample_weights([records[i] for i in tr], field)
        coef, intercept = fit_linear(rows[tr], y_tr, w_tr, len(classes), c)
        head = Head(field, classes, coef, intercept)
        if len(ca):
            y_ca = np.array([index[records[i][field]] for i in ca])
            w_ca = sample_weights([records[i] for i in ca], field)
            head.temperature = fit_temperature(head.logits(rows[ca]), y_ca, w_ca)
        heads[field] = head
    return heads
