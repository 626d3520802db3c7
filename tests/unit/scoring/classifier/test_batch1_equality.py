"""Issue 15's batch-1 speed-up changes no prediction: the committed heads vs the plain recipe.

No MiniLM here: embeddings are the model's own reference rows (real MiniLM vectors of training
texts) moved by noise of several sizes, so the familiarity gate sees familiar, in-band and novel
messages; the texts are real messages from ../shared/data. The ml-marked twin in
tests/integration/scoring uses real MiniLM embeddings of those texts.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from triage.scoring.classifier.embedder import MINILM_DIM, MINILM_ID
from triage.scoring.classifier.features import stack_blocks
from triage.scoring.classifier.heads import load_heads
from triage.scoring.classifier.scorer import ModelScorer
from triage.scoring.classifier.text import scrub
from triage.scoring.classifier.threads import one_blas_thread

from .plain_recipe import LookupEmbedder, compare_batch1, real_texts
from .test_committed_model import MODELS

N = 300


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="needs ../shared/data")
def test_batch1_scoring_matches_the_plain_recipe_on_real_messages():
    heads = load_heads(MODELS, embedder_id=MINILM_ID, embed_dim=MINILM_DIM)
    texts = real_texts(SHARED_DATA, N)
    rng = np.random.default_rng(15)
    noise = np.repeat([0.0, 0.03, 0.05, 0.07, 0.1, 0.3], -(-N // 6))[:N, None]
    emb = heads.reference[rng.integers(0, len(heads.reference), N)] \
        + noise * rng.standard_normal((N, MINILM_DIM)).astype(np.float32)
    emb = (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype(np.float32)
    table = {scrub(t): e for t, e in zip(texts, emb, strict=True)}
    scorer = ModelScorer(LookupEmbedder(table, MINILM_ID, MINILM_DIM), heads)
    result = compare_batch1(scorer, heads, texts, emb)
    assert result["disagree"] == []
    assert result["worst"] <= 1e-9
    shares = result["shares"]  # the gate was exercised: familiar, in-band and novel messages
    assert (shares == 0).any() and (shares == heads.gate.max_weight).any()
    assert ((shares > 0) & (shares < heads.gate.max_weight)).sum() >= 10


def test_numpy_stacked_rows_equal_scipys_hstack_entry_for_entry():
    from scipy import sparse

    rng = np.random.default_rng(0)
    dense = rng.standard_normal((7, 5)).astype(np.float32)
    dense[[1, 4]] = 0.0  # empty rows and exact zeros are left out, as csr_matrix(dense) does
    dense[2, 3] = 0.0
    words = sparse.csr_matrix((np.arange(1, 6, dtype=np.float32), [9, 2, 5, 0, 7],
                               [0, 2, 2, 3, 3, 3, 5, 5]), shape=(7, 10))  # unsorted in a row
    tail = 0.5 * (rng.random((7, 3)) > 0.5).astype(np.float32)
    got = stack_blocks([dense, words, tail], 7)
    want = sparse.hstack([sparse.csr_matrix(dense), words, sparse.csr_matrix(tail)],
                         format="csr", dtype=np.float32)
    assert got.shape == want.shape and got.dtype == want.dtype
    for a, b in ((got.indptr, want.indptr), (got.indices, want.indices), (got.data, want.data)):
        assert np.array_equal(a, b)


def test_one_blas_thread_restores_the_thread_count():
    from threadpoolctl import threadpool_info

    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    with one_blas_thread():
        inside = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    after = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert set(inside) <= {1} and after == before
