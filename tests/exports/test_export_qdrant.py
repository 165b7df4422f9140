"""Qdrant, live in local mode: an exported collection searched with the query builder's vector returns csr exact
search's top-10 ids and scores; payloads carry the records; point ids are stable; collections and servers are checked."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from splade_search.errors import BackendUnavailableError, InputError
from splade_search.exports import export_index, point_id, qdrant_query
from splade_search.exports import qdrant

from export_data import build, doc_ids, exact_top, vectors


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qdrant")
    index, matrix = build(folder / "idx")
    summary = export_index(index, "qdrant", folder / "store", collection="docs", show_progress=False, batch_rows=40)
    client = qdrant.connect(path=str(folder / "store"))
    yield folder, index, matrix, summary, client
    client.close()


def search(client, vector, k: int = 10) -> list[tuple[str, float]]:
    points = client.query_points("docs", query=vector, using="tokens", limit=k, with_payload=["id"]).points
    return [(point.payload["id"], point.score) for point in points]


def test_qdrant_top_10_equals_csr_exact_search(exported):
    _, index, _, summary, client = exported
    assert summary["documents"] == len(index) and client.count("docs").count == len(index)
    queries = [q for q in vectors(seed=3, n_rows=12) if q.nnz]
    for query in queries:
        expected = exact_top(index, query)
        got = search(client, qdrant_query(query))
        assert len(expected) == 10
        assert [i for i, _ in got] == [i for i, _ in expected]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-5)


def test_token_mapping_and_vector_queries_build_the_same_sparse_vector(exported):
    _, index, _, _, client = exported
    query = vectors(seed=4, n_rows=1)
    tokens = {index.vocab[c]: float(w) for c, w in zip(query.indices, query.data)}
    by_tokens, by_vector = qdrant_query(tokens, vocab=index.vocab), qdrant_query(query)
    assert sorted(zip(by_tokens.indices, by_tokens.values)) == sorted(zip(by_vector.indices, by_vector.values))
    assert search(client, by_tokens) == search(client, by_vector)
    with pytest.raises(InputError, match="vocab="):
        qdrant_query(tokens)


def test_payloads_hold_the_records_and_point_ids_are_stable(exported):
    folder, index, matrix, _, client = exported
    (point,) = client.retrieve("docs", [point_id(doc_ids()[2])], with_vectors=True)
    assert point.payload == {
        "id": doc_ids()[2],
        "title": "Title 2",
        "text": "text of document 2",
        "metadata": {"year": 2002, "lang": "fr", "tags": ["x", "y"]},
    }
    stored = point.vector["tokens"]
    assert stored.indices == matrix[2].indices.tolist() and np.allclose(stored.values, matrix[2].data)
    assert point_id("a") == point_id("a") != point_id("b")
    marker = json.loads((folder / "store" / "export.json").read_text())
    assert marker["to"] == "qdrant" and marker["collection"] == "docs"


def test_an_existing_collection_is_replaced_only_when_asked(tmp_path):
    index, _ = build(tmp_path / "idx", stored=False)
    client = qdrant.connect(path=str(tmp_path / "live"))
    try:
        qdrant.write_collection(client, index, "c", batch_rows=64, advance=lambda n: None)
        with pytest.raises(InputError, match="'c' already exists; pass --force"):
            qdrant.write_collection(client, index, "c", batch_rows=64, advance=lambda n: None)
        qdrant.write_collection(client, index, "c", replace=True, batch_rows=64, advance=lambda n: None)
        assert client.count("c").count == len(index)
    finally:
        client.close()


def test_an_unreachable_server_fails_fast_naming_it(tmp_path):
    index, _ = build(tmp_path / "idx", stored=False)
    started = time.perf_counter()
    with pytest.raises(BackendUnavailableError, match=r"http://127\.0\.0\.1:9 does not answer"):
        export_index(index, "qdrant", url="http://127.0.0.1:9", show_progress=False)
    assert time.perf_counter() - started < 10


def test_a_model_indexed_corpus_searched_by_text_in_qdrant_ranks_as_the_retriever(splade_model, tmp_path):
    from splade_search.data.documents import Document
    from splade_search.retrieval.indexing import index_corpus
    from splade_search.retrieval.retriever import SparseRetriever
    from tiny_models import WORDS

    rng = np.random.default_rng(0)
    documents = [Document(f"d{i}", text=" ".join(rng.choice(WORDS, size=12))) for i in range(40)]
    index_corpus(splade_model, documents, tmp_path / "idx", show_progress=False)
    retriever = SparseRetriever.from_index(tmp_path / "idx", splade_model)
    export_index(retriever.index, "qdrant", tmp_path / "store", collection="docs", show_progress=False)
    client = qdrant.connect(path=str(tmp_path / "store"))
    try:
        for text in ("blood sugar and insulin", "the heart of the city", "rain"):
            expected = [(hit.id, hit.score) for hit in retriever.search(text, 10)]
            got = search(client, qdrant_query(text, model=splade_model))
            assert [i for i, _ in got] == [i for i, _ in expected] and len(got) == 10
            np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-5)
    finally:
        client.close()
