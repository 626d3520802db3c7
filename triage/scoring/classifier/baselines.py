"""The baselines `triage eval` trains in the same run: rules, TF-IDF + LR, TF-IDF + MiniLM + LR."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from triage.core.message import MAX_TEXT_CHARS, Author, Message
from triage.core.scoring import INTENTS, SENTIMENTS, URGENCIES, AuthorContext
from triage.scoring.classifier.data import FIELDS
from triage.scoring.classifier.text import scrub
from triage.scoring.classifier.train import sample_weights
from triage.scoring.domain.rules import RuleScorer

LABELS = {"urgency": URGENCIES, "intent": INTENTS, "sentiment": SENTIMENTS}
Predictions = dict[str, tuple[list[str], list[dict[str, float]]]]


def rule_predictions(texts: Sequence[str]) -> Predictions:
    """Rule scorer labels; its confidence goes to the label, the rest spread over the others."""
    scorer, ctx, author = RuleScorer(), AuthorContext(), Author(id="eval")
    at = datetime(2020, 1, 1, tzinfo=UTC)
    out: Predictions = {f: ([], []) for f in FIELDS}
    for i, text in enumerate(texts):
        s = scorer.score_one(Message(source="eval", external_id=str(i), author=author,
                                     text=scrub(text[:MAX_TEXT_CHARS]), created_at=at), ctx)
        for field in FIELDS:
            label, classes = getattr(s, field), LABELS[field]
            rest = (1.0 - s.confidence) / (len(classes) - 1)
            out[field][0].append(label)
            out[field][1].append({c: (s.confidence if c == label else rest) for c in classes})
    return out


class TfidfBaseline:
    """Word 1-2 gram TF-IDF + logistic regression per field, same rows and weights as the model."""

    def __init__(self, c: float = 1.0) -> None:
        self.c = c
        self.fitted: dict[str, tuple] = {}

    def fit(self, records: Sequence[dict]) -> TfidfBaseline:
        """Fit one vectorizer + classifier per field on that field's labelled rows."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        for field in FIELDS:
            rows = [r for r in records if r.get(field) is not None]
            if len({r[field] for r in rows}) < 2:
                continue
            vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
            x = vec.fit_transform([r["text"] for r in rows])
            clf = LogisticRegression(C=self.c, max_iter=3000)
            clf.fit(x, [r[field] for r in rows], sample_weight=sample_weights(rows, field))
            self.fitted[field] = (vec, clf)
        return self

    def predict(self, texts: Sequence[str]) -> Predictions:
        """Labels and probabilities per field for `texts`."""
        out: Predictions = {}
        for field, (vec, clf) in self.fitted.items():
            proba = clf.predict_proba(vec.transform(list(texts)))
            best = np.argmax(proba, axis=1)
            out[field] = ([str(clf.classes_[k]) for k in best],
                          [dict(zip(map(str, clf.classes_), map(float, row), strict=True))
                           for row in proba])
        return out


class EmbeddingTfidfBaseline:
    """Baseline B of issue 15: TF-IDF word 1-2-grams next to the sentence embedding, plain
    logistic regression (C=1, no tuning, no weights, no calibration, no gate).

    The simple thing the model must beat on text it never saw; fitted in the same run.
    """

    def __init__(self, c: float = 1.0) -> None:
        self.c = c
        self.fitted: dict[str, tuple] = {}

    def fit(self, records: Sequence[dict], embeddings: np.ndarray,
            fields: Sequence[str] = FIELDS) -> EmbeddingTfidfBaseline:
        """One vectorizer + classifier per field on that field's labelled rows."""
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        for field in fields:
            idx = [i for i, r in enumerate(records) if r.get(field) is not None]
            if len({records[i][field] for i in idx}) < 2:
                continue
            vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
            x = sparse.hstack([vec.fit_transform([records[i]["text"] for i in idx]),
                               sparse.csr_matrix(embeddings[idx])], format="csr")
            clf = LogisticRegression(C=self.c, max_iter=3000)
            clf.fit(x, [records[i][field] for i in idx])
            self.fitted[field] = (vec, clf)
        return self

    def predict(self, texts: Sequence[str], embeddings: np.ndarray) -> Predictions:
        """Labels and probabilities per field for `texts` (rows of `embeddings`)."""
        from scipy import sparse

        out: Predictions = {}
        for field, (vec, clf) in self.fitted.items():
            x = sparse.hstack([vec.transform(list(texts)), sparse.csr_matrix(embeddings)],
                              format="csr")
            proba = clf.predict_proba(x)
            best = np.argmax(proba, axis=1)
            out[field] = ([str(clf.classes_[k]) for k in best],
                          [dict(zip(map(str, clf.classes_), map(float, row), strict=True))
                           for row in proba])
        return out
