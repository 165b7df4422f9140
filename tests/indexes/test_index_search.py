"""Exact top-k search of the csr backend against brute-force scoring."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from index_data import batches, brute_force, doc_ids, random_sparse, vocab

from splade_search.errors import IndexMismatchError, InputError
from splade_search.indexes import CsrIndex, SparseIndex, as_csr

N_DOCS, N_TERMS = 300, 200


def build(tmp_path, docs, name="idx", **options):
    ids = doc_ids(docs.shape[0])
    return CsrIndex.build(tmp_path / name, batches(ids, docs, 64), vocab(docs.shape[1]), show_progress=False, **options)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("k", [1, 10, 1000])
def test_top_k_equals_brute_force_with_exact_ties(tmp_path, seed, k):
    docs = random_sparse(N_DOCS, N_TERMS, 30, seed, levels=4)
    queries = random_sparse(20, N_TERMS, 8, seed + 100, levels=4)
    index = build(tmp_path, docs)
    ties = 0
    for query, result in zip(queries, index.search(queries, k=k), strict=True):
        expected_docs, expected_scores = brute_force(docs, query, k)
        all_scores = brute_force(docs, query, N_DOCS)[1]
        ties += int(len(expected_scores) < len(all_scores) and all_scores[k - 1] == all_scores[k])
        assert result.indices.tolist() == expected_docs.tolist()
        np.testing.assert_array_equal(result.scores, expected_scores.astype(np.float32))
        assert result.ids == [index.doc_ids[i] for i in expected_docs]
    if k < N_DOCS:
        assert ties > 0, "the data should contain ties at the k-th place"


def test_continuous_weights_match_brute_force(tmp_path):
    docs = random_sparse(N_DOCS, N_TERMS, 40, seed=7)
    queries = random_sparse(30, N_TERMS, 10, seed=8)
    index = build(tmp_path, docs)
    for query, result in zip(queries, index.search(queries, k=10), strict=True):
        expected_docs, expected_scores = brute_force(docs, query, 10)
        np.testing.assert_allclose(result.scores, expected_scores, rtol=1e-5)
        assert result.indices.tolist() == expected_docs.tolist()


def test_all_scores_tied_keeps_document_order(tmp_path):
    docs = sp.csr_matrix(np.ones((50, 4), dtype=np.float32))
    index = build(tmp_path, docs)
    result = index.search(np.array([0, 1.0, 0, 0]), k=5)[0]
    assert result.indices.tolist() == [0, 1, 2, 3, 4]


def test_batch_search_equals_one_by_one(tmp_path):
    docs = random_sparse(N_DOCS, N_TERMS, 30, seed=4)
    queries = random_sparse(25, N_TERMS, 8, seed=5)
    index = build(tmp_path, docs)
    together = index.search(queries, k=7, threads=2)
    for i, result in enumerate(together):
        alone = index.search(queries[i], k=7)[0]
        assert alone.ids == result.ids
        np.testing.assert_array_equal(alone.scores, result.scores)


def test_empty_and_unmatched_queries_give_empty_results(tmp_path):
    docs = sp.csr_matrix(np.array([[1.0, 0, 0], [0, 2.0, 0]], dtype=np.float32))
    index = build(tmp_path, docs)
    empty, unmatched, matched = index.search(np.array([[0, 0, 0], [0, 0, 5.0], [0, 1.0, 0]]), k=3)
    assert len(empty) == 0 and empty.scores.shape == (0,) and empty.indices.shape == (0,)
    assert len(unmatched) == 0
    assert matched.ids == [index.doc_ids[1]]


def test_query_inputs_and_errors(tmp_path):
    docs = random_sparse(50, 20, 5, seed=6)
    index = build(tmp_path, docs)
    dense = docs[3].toarray()
    expected = index.search(docs[3])[0].ids
    assert index.search(dense.ravel())[0].ids == expected
    assert index.search(sp.coo_array(dense))[0].ids == expected
    with pytest.raises(IndexMismatchError, match="20 tokens"):
        index.search(np.ones(21))
    with pytest.raises(InputError, match="k must be"):
        index.search(dense, k=0)
    with pytest.raises(InputError, match="NaN"):
        index.search(np.full(20, np.nan))


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_torch_queries(tmp_path):
    torch = pytest.importorskip("torch")
    docs = random_sparse(50, 20, 5, seed=6)
    index = build(tmp_path, docs)
    dense = torch.tensor(docs[:3].toarray())
    expected = [r.ids for r in index.search(docs[:3])]
    for tensor in (dense, dense.to_sparse(), dense.to_sparse_csr(), dense[0]):
        got = [r.ids for r in index.search(tensor)]
        assert got == expected[: len(got)]


def test_as_csr_canonicalizes_without_touching_input():
    matrix = sp.csr_matrix((np.array([1.0, 2.0, 0.0]), np.array([1, 1, 0]), np.array([0, 3])), shape=(1, 3))
    converted = as_csr(matrix)
    assert converted.indices.tolist() == [1] and converted.data.tolist() == [3.0]
    assert converted.dtype == np.float32 and matrix.nnz == 3
    with pytest.raises(InputError, match="columns, expected 4"):
        as_csr(matrix, n_cols=4)
    with pytest.raises(InputError, match="expected sparse vectors"):
        as_csr([[1.0, 2.0]])


def test_explain_lists_shared_terms_by_contribution(tmp_path):
    docs = sp.csr_matrix(np.array([[0.5, 2.0, 0, 1.0], [1.0, 0, 0, 0]], dtype=np.float32))
    index = build(tmp_path, docs)
    query = np.array([2.0, 1.0, 3.0, 0.0], dtype=np.float32)
    explanation = index.explain(query, 0)
    assert [(t.token, t.query_weight, t.doc_weight, t.contribution) for t in explanation] == [
        ("tok1", 1.0, 2.0, 2.0),
        ("tok0", 2.0, 0.5, 1.0),
    ]
    assert sum(t.contribution for t in explanation) == pytest.approx(index.search(query)[0].scores[0])
    with pytest.raises(InputError, match="out of range"):
        index.explain(query, 2)


def test_stats_and_accessors(tmp_path):
    docs = random_sparse(40, 30, 6, seed=9)
    index = build(tmp_path, docs, metadata={"model": "tiny-splade", "max_length": 256})
    stats = index.stats()
    assert (stats.backend, stats.documents, stats.postings, stats.vocab_size) == ("csr", 40, docs.nnz, 30)
    assert stats.avg_doc_terms == pytest.approx(docs.nnz / 40)
    assert stats.bytes_on_disk > 0 and stats.quantization == "float32" and stats.scale is None
    assert len(index) == 40 and index.doc_ids == doc_ids(40) and index.vocab == vocab(30)
    assert index.metadata == {"model": "tiny-splade", "max_length": 256}
    assert isinstance(SparseIndex.open(index.path), CsrIndex)
