"""Query builders: request bodies of the documented shape for OpenSearch, Elasticsearch and Qdrant, from a text
and a model, a vector and a vocabulary, or a {token: weight} mapping, with token names escaped as in exports."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from splade_search.errors import InputError
from splade_search.exports import (
    QueryTerms,
    elasticsearch_query,
    opensearch_query,
    qdrant_query,
    query_terms,
    rank_feature_query,
)

VOCAB = ["[PAD]", ".", "_x", "apple", "##s", "a b"]
QUERY = {".": 0.5, "apple": 1.25, "_x": 2.0}


def test_opensearch_neural_sparse_body():
    assert opensearch_query(QUERY, k=5) == {
        "size": 5,
        "query": {"neural_sparse": {"tokens": {"query_tokens": {"%2E": 0.5, "apple": 1.25, "%5Fx": 2.0}}}},
        "_source": {"excludes": ["tokens"]},
    }


def test_rank_feature_body_is_a_bool_should_of_linear_clauses():
    body = rank_feature_query(QUERY, field="vec")
    assert body["size"] == 10 and body["_source"] == {"excludes": ["vec"]}
    assert body["query"]["bool"]["should"] == [
        {"rank_feature": {"field": "vec.%2E", "linear": {}, "boost": 0.5}},
        {"rank_feature": {"field": "vec.apple", "linear": {}, "boost": 1.25}},
        {"rank_feature": {"field": "vec.%5Fx", "linear": {}, "boost": 2.0}},
    ]


def test_elasticsearch_sparse_vector_body_asks_for_no_pruning_by_default():
    body = elasticsearch_query(QUERY)["query"]["sparse_vector"]
    assert body == {"field": "tokens", "query_vector": {"%2E": 0.5, "apple": 1.25, "%5Fx": 2.0}, "prune": False}
    assert "prune" not in elasticsearch_query(QUERY, prune=None)["query"]["sparse_vector"]


def test_vectors_are_named_by_the_vocabulary_and_zeros_dropped():
    vector = np.array([0, 0.5, 0, 1.25, 0, 3.0], dtype=np.float32)
    assert opensearch_query(vector, vocab=VOCAB)["query"]["neural_sparse"]["tokens"]["query_tokens"] == {
        "%2E": 0.5,
        "apple": 1.25,
        "a%20b": 3.0,
    }
    terms = query_terms(sp.csr_matrix(vector), vocab=VOCAB)
    assert terms == QueryTerms((1, 3, 5), (".", "apple", "a b"), (0.5, 1.25, 3.0))
    sparse = qdrant_query(vector)
    assert (sparse.indices, sparse.values) == ([1, 3, 5], [0.5, 1.25, 3.0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: opensearch_query(np.ones(6, np.float32)), "vocab="),
        (lambda: elasticsearch_query({"apple": -1.0}), "positive query weights only"),
        (lambda: rank_feature_query({"apple": 0.0}), "no terms"),
        (lambda: opensearch_query({"apple": float("nan")}), "finite number"),
        (lambda: qdrant_query({"pear": 1.0}, vocab=VOCAB), "'pear' is not in the vocabulary"),
        (lambda: opensearch_query("a text"), "model="),
        (lambda: qdrant_query(np.ones((2, 6), np.float32)), "one query vector, got 2"),
        (lambda: opensearch_query(np.ones(4, np.float32), vocab=VOCAB), "4 columns, expected 6"),
        (lambda: elasticsearch_query(QUERY, k=0), "k must be a positive integer"),
        (lambda: rank_feature_query(QUERY, k=True), "k must be a positive integer"),
    ],
)
def test_bad_queries_are_refused_with_a_reason(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_a_text_is_encoded_as_the_retriever_encodes_it(splade_model, tmp_path):
    from splade_search.retrieval.vocabulary import model_vocabulary, prepare_rows, score_space
    from splade_search.sparse import to_scipy_csr

    text = "the heart and blood"
    expected = prepare_rows(
        to_scipy_csr(splade_model.encode_query([text], convert_to_sparse_tensor=True, save_to_cpu=True)), score_space(splade_model)
    )
    terms = query_terms(text, model=splade_model)
    assert terms.ids == tuple(expected.indices.tolist()) and terms.weights == tuple(expected.data.tolist())
    assert terms.tokens == tuple(model_vocabulary(splade_model)[i] for i in terms.ids)
    body = elasticsearch_query(text, model=splade_model)["query"]["sparse_vector"]["query_vector"]
    assert len(body) == len(terms.ids) > 0
