"""Search mode "approximate": exact with every knob at "no pruning", good recall on a skewed corpus.

Run on both paths: the numba kernel (when numba is installed) and the numpy one.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from index_data import batches, doc_ids, random_sparse, vocab

from splade_search.errors import InputError
from splade_search.indexes import CsrIndex
from splade_search.indexes.csr import fast
from splade_search.indexes.csr.approximate import ApproximateIndex
from splade_search.indexes.csr.postings import from_doc_major

SAFE = {"budget": 1.0, "rerank": None, "query_cut": None, "list_cut": None}


@pytest.fixture(params=["numba", "numpy"] if fast.available() else ["numpy"])
def path(request, monkeypatch):
    if request.param == "numpy":
        monkeypatch.setenv("SPLADE_SEARCH_NO_NUMBA", "1")
    return request.param


def recall(exact, found) -> float:
    return float(np.mean([len(set(a.indices.tolist()) & set(b.indices.tolist())) / max(1, len(a)) for a, b in zip(exact, found)]))


def build(tmp_path, docs, **options):
    ids = doc_ids(docs.shape[0])
    vocabulary = vocab(docs.shape[1])
    return CsrIndex.build(tmp_path / "idx", batches(ids, docs, 512), vocabulary, show_progress=False, **options)


def topical(n_docs: int, n_terms: int, seed: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Documents and queries drawn around 40 topics, each a few heavy terms over a light background."""
    rng = np.random.default_rng(seed)
    topics = rng.integers(0, n_terms, size=(40, 6))

    def sample(count: int, extra: int, heavy: float) -> sp.csr_matrix:
        rows, cols, vals = [], [], []
        for row, topic in enumerate(rng.integers(0, 40, size=count)):
            terms = np.unique(np.concatenate([topics[topic], rng.integers(0, n_terms, size=extra)]))
            weights = rng.lognormal(-1.0, 0.5, size=len(terms))
            on_topic = np.isin(terms, topics[topic])
            weights[on_topic] *= heavy * rng.uniform(0.5, 1.5, size=on_topic.sum())
            rows += [row] * len(terms)
            cols += terms.tolist()
            vals += weights.tolist()
        return sp.csr_matrix((np.float32(vals), (rows, cols)), shape=(count, n_terms))

    return sample(n_docs, 20, 6.0), sample(40, 4, 3.0)


@pytest.mark.parametrize("seed", range(4))
def test_no_pruning_knobs_give_the_exact_results(tmp_path, path, seed):
    levels = 3 if seed % 2 else None
    docs = random_sparse(900, 150, 20, seed, levels=levels)
    queries = random_sparse(25, 150, 7, seed + 50, levels=levels)
    index = build(tmp_path, docs)
    for k in (1, 10, 950):
        approximate = index.search(queries, k=k, mode="approximate", **SAFE)
        for expected, found in zip(index.search(queries, k=k), approximate, strict=True):
            assert found.indices.tolist() == expected.indices.tolist()
            np.testing.assert_array_equal(found.scores, expected.scores)


def test_recall_on_a_skewed_corpus_and_exact_scores(tmp_path, path):
    docs, queries = topical(6000, 2000, seed=1)
    index = build(tmp_path, docs)
    exact = index.search(queries, k=10)
    found = index.search(queries, k=10, mode="approximate", budget=0.05, rerank=50, query_cut=6)
    assert recall(exact, found) >= 0.9
    dense = (docs.astype(np.float64) @ queries.astype(np.float64).T).toarray()
    for column, result in enumerate(found):
        np.testing.assert_allclose(result.scores, dense[result.indices, column], rtol=1e-5)


def test_more_budget_never_lowers_recall_much(tmp_path, path):
    docs, queries = topical(3000, 1000, seed=2)
    index = build(tmp_path, docs)
    exact = index.search(queries, k=10)
    recalls = [recall(exact, index.search(queries, k=10, mode="approximate", budget=b, rerank=30)) for b in (0.01, 0.1, 1.0)]
    assert recalls[0] <= recalls[1] + 0.05 and recalls[1] <= recalls[2] + 0.05 and recalls[2] >= 0.95


def test_impact_lists_are_cut_heaviest_first_and_tiered():
    docs = random_sparse(3000, 30, 10, seed=5)
    structure = ApproximateIndex.build(from_doc_major(docs), 3000, list_cut=400)
    impact, tiers = structure.impact, structure.tiers
    for term in range(30):
        column = docs[:, term].toarray().ravel()
        lo, hi = impact.indptr[term], impact.indptr[term + 1]
        assert hi - lo == min(400, np.count_nonzero(column))
        heaviest = np.sort(column[column != 0])[::-1][: hi - lo]
        np.testing.assert_array_equal(np.sort(impact.weights[lo:hi])[::-1], heaviest)
        ends = tiers.ends[tiers.indptr[term] : tiers.indptr[term + 1]]
        for start, end in zip([lo, *ends[:-1]], ends):
            assert np.all(np.diff(impact.docs[start:end]) > 0)
            assert tiers.maxima[np.searchsorted(tiers.ends, end)] == impact.weights[start:end].max()
            assert end == hi or impact.weights[start:end].min() >= impact.weights[end:hi].max()
    np.testing.assert_array_equal(structure.forward.indptr, docs.indptr)


def test_knobs_are_checked(tmp_path):
    index = build(tmp_path, random_sparse(60, 20, 5, seed=4))
    query = np.ones(20)
    for knobs, message in [
        ({"budget": 0}, "budget"),
        ({"budget": 1.5}, "budget"),
        ({"query_cut": 0}, "query_cut"),
        ({"list_cut": 2.5}, "list_cut"),
        ({"rerank": True}, "rerank"),
        ({"max_scored": 0.5}, "takes budget"),
    ]:
        with pytest.raises(InputError, match=message):
            index.search(query, mode="approximate", **knobs)


def test_query_terms_without_postings_at_the_end_of_the_vocabulary(tmp_path, path):
    docs = sp.hstack([random_sparse(200, 40, 8, 3), sp.csr_matrix((200, 5), dtype=np.float32)], format="csr")
    queries = sp.csr_matrix(np.r_[np.zeros(30), np.ones(15)][None, :].astype(np.float32))  # 5 empty lists last
    index = build(tmp_path, docs)
    for budget in (0.05, 0.3, 1.0):
        found = index.search(queries, k=10, mode="approximate", budget=budget, rerank=None)[0]
        assert 0 < len(found) <= 10
    exact = index.search(queries, k=10)[0]
    assert index.search(queries, k=10, mode="approximate", **SAFE)[0].indices.tolist() == exact.indices.tolist()
