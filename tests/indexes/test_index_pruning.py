"""Search mode "pruned" (safe dynamic pruning) returns exactly the exhaustive results.

Both implementations are checked: the numba kernels (when numba is installed) and the plain numpy
block-max scorer (``SPLADE_SEARCH_NO_NUMBA``), each forced to prune (``max_scored=1``) and left to
choose (default).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from index_data import batches, doc_ids, random_sparse, vocab

from splade_search.errors import InputError
from splade_search.indexes import CsrIndex
from splade_search.indexes.csr import fast
from splade_search.indexes.csr.blockmax import block_maxima, term_maxima
from splade_search.indexes.csr.postings import from_doc_major
from splade_search.indexes.csr.pruning import PrunedScorer
from splade_search.indexes.csr.ranges import concat_ranges

PATHS = ["numba", "numpy"] if fast.available() else ["numpy"]


@pytest.fixture(params=PATHS)
def path(request, monkeypatch):
    if request.param == "numpy":
        monkeypatch.setenv("SPLADE_SEARCH_NO_NUMBA", "1")
    return request.param


def build(tmp_path, docs, **options):
    ids = doc_ids(docs.shape[0])
    vocabulary = vocab(docs.shape[1])
    return CsrIndex.build(tmp_path / "idx", batches(ids, docs, 256), vocabulary, show_progress=False, **options)


def assert_same(expected, got):
    for a, b in zip(expected, got, strict=True):
        assert a.indices.tolist() == b.indices.tolist()
        np.testing.assert_array_equal(a.scores, b.scores)
        assert a.ids == b.ids


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_scored", [1.0, 0.2])
def test_pruned_equals_exhaustive_on_many_corpora(tmp_path, path, seed, max_scored):
    rng = np.random.default_rng(seed)
    n_docs, n_terms = int(rng.integers(1, 900)), int(rng.integers(20, 300))
    levels = 3 if seed % 2 else None  # few weight levels: many exact ties, also at the k-th place
    docs = random_sparse(n_docs, n_terms, int(rng.integers(3, 40)), seed, levels=levels)
    queries = random_sparse(15, n_terms, int(rng.integers(1, 12)), seed + 500, levels=levels)
    index = build(tmp_path, docs)
    for k in (1, 7, 10, n_docs + 5):
        exact = index.search(queries, k=k, threads=1)
        assert_same(exact, index.search(queries, k=k, threads=1, mode="pruned", max_scored=max_scored))


@pytest.mark.parametrize("block_size", [1, 5, 64, 4096])
def test_block_scorer_equals_exhaustive_for_any_block_size(tmp_path, block_size):
    docs = random_sparse(600, 100, 20, seed=13, levels=3)
    queries = random_sparse(20, 100, 6, seed=14, levels=3)
    index = build(tmp_path, docs)
    scorer = PrunedScorer(index.postings, block_maxima(index.postings, 600, block_size), 600)
    for k in (1, 10, 700):
        for query, expected in zip(queries, index.search(queries, k=k), strict=True):
            docs_found, scores = scorer.top_k(query.indices, query.data, k)
            assert docs_found.tolist() == expected.indices.tolist()
            np.testing.assert_array_equal(scores, expected.scores)


@pytest.mark.parametrize("quantization", ["float16", "uint8", "int8"])
def test_pruned_equals_exhaustive_on_quantized_indexes(tmp_path, path, quantization):
    docs = random_sparse(700, 120, 25, seed=3)
    queries = random_sparse(30, 120, 8, seed=4)
    index = build(tmp_path, docs, quantization=quantization)
    assert_same(index.search(queries, k=10), index.search(queries, k=10, mode="pruned", max_scored=1.0))


def test_negative_weights_are_bounded_by_magnitude(tmp_path, path):
    docs = random_sparse(400, 60, 15, seed=5)
    docs.data[::3] *= -1
    queries = random_sparse(25, 60, 6, seed=6)
    queries.data[::2] *= -1
    index = build(tmp_path, docs)
    assert_same(index.search(queries, k=10), index.search(queries, k=10, mode="pruned", max_scored=1.0))


def test_all_documents_tied_keep_document_order(tmp_path, path):
    index = build(tmp_path, sp.csr_matrix(np.ones((300, 3), dtype=np.float32)))
    result = index.search(np.array([0, 1.0, 0]), k=5, mode="pruned", max_scored=1.0)[0]
    assert result.indices.tolist() == [0, 1, 2, 3, 4]


def test_query_without_matching_documents_is_empty(tmp_path, path):
    docs = sp.csr_matrix(np.array([[1.0, 0, 0], [0, 2.0, 0]], dtype=np.float32))
    index = build(tmp_path, docs)
    assert len(index.search(np.array([0, 0, 1.0]), mode="pruned")[0]) == 0
    assert len(index.search(np.zeros(3), mode="pruned")[0]) == 0


def skewed(seed):
    docs = random_sparse(4000, 500, 30, seed=seed)
    docs.data[::97] *= 40  # a few heavy postings make the top-k easy to bound
    return docs, random_sparse(1, 500, 8, seed=seed + 1)


def test_block_scorer_skips_blocks_on_skewed_data():
    docs, query = skewed(9)
    postings = from_doc_major(docs)
    stats: dict = {}
    scorer = PrunedScorer(postings, block_maxima(postings, 4000, 64), 4000)
    scorer.top_k(query.indices, query.data, 10, stats=stats)
    assert stats["blocks_scored"] < stats["blocks"]


@pytest.mark.skipif(not fast.available(), reason="needs numba")
def test_maxscore_kernel_prunes_on_skewed_data():
    from splade_search.indexes.csr import numba_kernels

    docs, query = skewed(9)
    postings = from_doc_major(docs)
    maxima, _ = term_maxima(postings)
    stats = np.zeros(4, dtype=np.int64)
    terms = query.indices.astype(np.int64)
    acc = np.zeros(4000, dtype=np.float32)
    numba_kernels.maxscore_top_k(*postings, maxima, terms, query.data, 10, 1.0, 0.0, stats, acc)
    assert not acc.any()
    assert stats[0] == 1 and stats[2] < np.diff(postings.indptr)[query.indices].sum()


@pytest.mark.skipif(not fast.available(), reason="needs numba")
@pytest.mark.parametrize("block", [1, 7, 64, 1000])
def test_dense_kernel_results_do_not_depend_on_its_document_block(block):
    from splade_search.indexes.csr import numba_kernels

    docs = random_sparse(1000, 200, 20, seed=block)
    docs.data[::5] *= -1
    postings = from_doc_major(docs)
    query = random_sparse(1, 200, 12, seed=block + 1)
    terms, factors = query.indices.astype(np.int64), query.data.astype(np.float32)
    acc = np.zeros(1000, dtype=np.float32)
    got = numba_kernels.dense_top_k(*postings, terms, factors, 25, acc, block)
    assert not acc.any()
    whole = numba_kernels.dense_top_k(*postings, terms, factors, 25, acc, 1000)
    np.testing.assert_array_equal(got[0], whole[0])
    np.testing.assert_array_equal(got[1], whole[1])
    scores = docs[got[0]].astype(np.float32) @ sp.csr_matrix((factors, terms, [0, len(terms)]), shape=(1, 200)).T
    np.testing.assert_allclose(got[1], scores.toarray()[:, 0], rtol=1e-6)
    assert np.all(np.diff(got[1]) <= 0) and len(got[0]) == 25


def test_term_maxima():
    docs = random_sparse(300, 50, 10, seed=15)
    docs.data[::4] *= -1
    maxima, negative = term_maxima(from_doc_major(docs))
    np.testing.assert_array_equal(maxima, abs(docs).max(axis=0).toarray().ravel())
    assert negative


def test_block_maxima_bound_every_posting():
    docs = random_sparse(500, 80, 20, seed=11)
    postings = from_doc_major(docs)
    maxima = block_maxima(postings, 500, 32)
    for term in range(80):
        pairs = np.arange(maxima.indptr[term], maxima.indptr[term + 1])
        where = concat_ranges(maxima.starts[pairs], maxima.starts[pairs + 1])
        assert where.tolist() == list(range(postings.indptr[term], postings.indptr[term + 1]))
        for pair in pairs.tolist():
            lo, hi = maxima.starts[pair], maxima.starts[pair + 1]
            assert (postings.docs[lo:hi] // 32 == maxima.blocks[pair]).all()
            assert maxima.maxima[pair] == np.abs(postings.weights[lo:hi]).max()


def test_unknown_mode_and_knobs_are_refused(tmp_path):
    index = build(tmp_path, random_sparse(50, 20, 5, seed=12))
    query = np.ones(20)
    with pytest.raises(InputError, match="unknown search mode"):
        index.search(query, mode="fastest")
    with pytest.raises(InputError, match="max_scored"):
        index.search(query, mode="pruned", heap_factor=0.5)
    with pytest.raises(InputError, match="max_scored"):
        index.search(query, mode="pruned", max_scored=2)
    with pytest.raises(InputError, match="takes no options"):
        index.search(query, max_scored=0.5)


@pytest.mark.lucene
def test_lucene_backend_offers_exact_mode_only(tmp_path):
    from splade_search.indexes import LuceneIndex

    docs = random_sparse(40, 20, 5, seed=16)
    index = LuceneIndex.build(tmp_path / "lucene", batches(doc_ids(40), docs, 20), vocab(20), show_progress=False)
    assert len(index.search(np.ones(20), k=3, mode="exact")[0]) == 3
    with pytest.raises(InputError, match="offers search mode 'exact' only"):
        index.search(np.ones(20), mode="pruned")
