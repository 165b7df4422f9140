"""Searching a subset of documents: ``allowed`` masks rank inside the top-k, in every mode and backend."""

from __future__ import annotations

import numpy as np
import pytest
from index_data import batches, brute_force, doc_ids, random_sparse, vocab

from splade_search.errors import InputError
from splade_search.indexes import CsrIndex

DOCS = random_sparse(600, 80, 12, seed=3)
QUERIES = random_sparse(25, 80, 5, seed=4)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = tmp_path_factory.mktemp("allowed") / "idx"
    return CsrIndex.build(path, batches(doc_ids(600), DOCS, 100), vocab(80), show_progress=False)


@pytest.mark.parametrize("share", [0.01, 0.1, 0.5])
@pytest.mark.parametrize("mode, knobs", [("exact", {}), ("pruned", {"max_scored": 1.0}), ("approximate", {"budget": 1.0, "rerank": None})])
def test_filtered_search_equals_brute_force_over_the_allowed_documents(index, share, mode, knobs):
    allowed = np.random.default_rng(7).random(600) < share
    kept = np.flatnonzero(allowed)
    for query, result in zip(QUERIES, index.search(QUERIES, k=10, mode=mode, allowed=allowed, **knobs)):
        order, scores = brute_force(DOCS[kept], query, 10)
        assert result.indices.tolist() == kept[order].tolist()
        np.testing.assert_allclose(result.scores, scores, rtol=1e-5)


def test_filtered_search_still_returns_k_hits(index):
    allowed = np.zeros(600, dtype=bool)
    allowed[::7] = True
    unfiltered = index.search(QUERIES, k=5)
    for query, result in zip(QUERIES, index.search(QUERIES, k=5, allowed=allowed)):
        matching = np.flatnonzero((DOCS[allowed] @ query.T).toarray().ravel())
        assert len(result) == min(5, len(matching))
    assert any(set(r.indices.tolist()) - set(np.flatnonzero(allowed)) for r in unfiltered)


@pytest.mark.parametrize("bad", [np.ones(599, dtype=bool), np.ones(600, dtype=np.int8), [True] * 600])
def test_a_malformed_mask_is_refused(index, bad):
    with pytest.raises(InputError, match="boolean mask of 600"):
        index.search(QUERIES[0], allowed=bad if not isinstance(bad, list) else np.asarray(bad, dtype=object))
