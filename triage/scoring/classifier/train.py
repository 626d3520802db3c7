"""Fit the heads with scikit-learn: source-balanced, C and temperature from the splits, then refit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar

from triage.scoring.classifier.data import CORRECTIONS, FIELDS, split_of
from triage.scoring.classifier.familiarity import Gate, reference_sample, similarity, taught_sample
from triage.scoring.classifier.features import FeatureSpec, Vocabulary, build_rows
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
    """Choose C and the temperatures on the splits, then refit on every fitted row.

    1. Heads are fitted on the 'train' rows. With `c=None`, C is picked from C_GRID by mean
       macro-F1 over (source, field) on the 'calib' rows; held-back rows play no part anywhere.
    2. The temperature of each head is fitted on the 'calib' rows' out-of-fold probabilities
       (the 'train' fit's), after the familiarity blend: it calibrates what serving outputs.
    3. The heads are refit on 'train' + 'calib' with that C (issue 15: fitting on a fraction of
       the rows cost points on every proxy); the gate's reference sample comes from those rows.
    """
    spec = spec or FeatureSpec(embed_dim=embeddings.shape[1])
    splits = np.array(list(splits) if splits is not None else [split_of(r) for r in records])
    norm = [normalize(r["text"]) for r in records]
    fit_idx = np.flatnonzero(np.isin(splits, ("train", "calib")))
    vocab = Vocabulary.fit([norm[i] for i in fit_idx]) if spec.lex_scale else None
    spec = replace(spec, vocab_dim=len(vocab) if vocab is not None else 0)
    rows = build_rows(spec, embeddings, norm, [r["text"] for r in records], vocab,
                      [r.get("channel") for r in records])
    texts = [r["text"] for r in records]
    meta: dict = {}
    if c is None:
        search: dict[float, float] = {}
        first, c = {}, C_GRID[0]
        for cand in C_GRID:
            heads = _fit_all(records, rows, splits == "train", cand, step)
            search[cand] = calib_score(records, rows, splits, heads)
            if not first or search[cand] > search[c]:  # a tie keeps the stronger regularisation
                first, c = heads, cand
        meta["c_search"] = {str(k): round(v, 4) for k, v in search.items()}
    else:
        first = _fit_all(records, rows, splits == "train", c, step)
    meta["c"] = c
    temperatures = _temperatures(records, embeddings, rows, texts, splits, first, gate, spec)
    final = _fit_all(records, rows, np.isin(splits, ("train", "calib")), c, step)
    for name, head in final.items():
        head.temperature = temperatures.get(name, 1.0)
    extra: dict = {"gate": gate}
    if gate is not None:
        extra["reference"], extra["taught"] = _reference(records, embeddings, fit_idx)
    meta["refit_rows"] = int(len(fit_idx))
    return Heads(version=version, spec=spec, embedder_id=embedder_id, vocab=vocab, heads=final,
                 meta=meta, **extra)


def _reference(records: Sequence[dict], embeddings: np.ndarray,
               idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gate's per-source reference sample and managers' taught rows, from rows `idx`."""
    starter = np.array([records[i]["dataset"] != CORRECTIONS for i in idx], dtype=bool)
    reference = reference_sample(embeddings[idx[starter]],
                                 [records[i]["dataset"] for i in idx[starter]])
    return reference, taught_sample(embeddings[idx[~starter]])


def _temperatures(records: Sequence[dict], embeddings: np.ndarray, rows: sparse.csr_matrix,
                  texts: Sequence[str], splits: np.ndarray, heads: dict[str, Head],
                  gate: Gate | None, spec: FeatureSpec) -> dict[str, float]:
    """Per field, the temperature of the blended 'calib' probabilities of heads fitted on 'train'."""
    ca_all = np.flatnonzero(splits == "calib")
    weights = None
    if gate is not None and len(ca_all):
        reference, taught = _reference(records, embeddings, np.flatnonzero(splits == "train"))
        weights = gate.weights(similarity(embeddings[ca_all], reference, gate.k, taught))
    probe = Heads(version="oof", spec=spec, embedder_id="", vocab=None, heads=heads)
    out: dict[str, float] = {}
    for name, head in heads.items():
        keep = np.array([records[i].get(name) in head.classes for i in ca_all], dtype=bool)
        if not keep.any():
            continue
        idx = ca_all[keep]
        head.temperature = 1.0
        proba = probe.field_proba(name, rows[idx], [texts[i] for i in idx],
                                  None if weights is None else weights[keep])
        index = {cl: k for k, cl in enumerate(head.classes)}
        y = np.array([index[records[i][name]] for i in idx])
        out[name] = fit_temperature(np.log(np.clip(proba, 1e-12, 1.0)), y,
                                    sample_weights([records[i] for i in idx], name))
    return out


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


def _fit_all(records: Sequence[dict], rows: sparse.csr_matrix, fit_mask: np.ndarray, c: float,
             step: Step | None) -> dict[str, Head]:
    """One head per field with two or more classes, on the labelled rows in `fit_mask`."""
    heads: dict[str, Head] = {}
    for field in FIELDS:
        if step:
            step(f"fitting {field}")
        labelled = np.array([r.get(field) is not None for r in records])
        tr = np.flatnonzero(labelled & fit_mask)
        classes = tuple(sorted({records[i][field] for i in tr}))
        if len(classes) < 2:
            continue  # nothing to learn: the scorer falls back to rules for this field
        index = {cl: k for k, cl in enumerate(classes)}
        y_tr = np.array([index[records[i][field]] for i in tr])
        w_tr = sample_weights([records[i] for i in tr], field)
        coef, intercept = fit_linear(rows[tr], y_tr, w_tr, len(classes), c)
        heads[field] = Head(field, classes, coef, intercept)
    return heads
