"""Reading an index's rows back from its term-major postings, a batch at a time: every batch size, storage and
quantization gives the index's own vectors; passages carry their document and span; other backends are refused."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from splade_search.errors import InputError
from splade_search.exports import record_batches, vector_batches
from splade_search.indexes import CsrIndex, build_index
from splade_search.indexes.passage_map import PassageMap, passage_id

from export_data import N_DOCS, build, doc_ids, vectors, vocabulary


def read_all(index, batch_rows: int) -> sp.csr_matrix:
    batches = list(vector_batches(index, batch_rows))
    assert [b.start for b in batches] == list(range(0, len(index), batch_rows))
    assert sum((b.ids for b in batches), []) == index.doc_ids
    assert all(b.vectors.shape == (len(b.ids), len(index.vocab)) and b.vectors.has_sorted_indices for b in batches)
    return sp.vstack([b.vectors for b in batches]).tocsr()


@pytest.mark.parametrize("batch_rows", [1, 7, 50, N_DOCS, 10_000])
def test_rows_equal_the_built_vectors_for_any_batch_size(tmp_path, batch_rows):
    index, matrix = build(tmp_path / "idx", stored=False)
    rows = read_all(index, batch_rows)
    assert rows.dtype == np.float32 and rows.nnz == matrix.nnz and (rows != matrix).nnz == 0


@pytest.mark.parametrize(("quantization", "storage"), [("uint8", None), ("int8", "compact"), ("float16", None), (None, "compact")])
def test_rows_are_dequantized_as_explain_reports_them(tmp_path, quantization, storage):
    index, matrix = build(tmp_path / "idx", stored=False, quantization=quantization, storage=storage)
    rows = read_all(index, 13)
    tolerance = 0.5 / index.quantization.scale if index.quantization.scale else 2e-3 * matrix.data.max()
    assert abs(rows - matrix).max() <= tolerance * 1.001
    for doc in (0, 37, N_DOCS - 1):
        (terms,) = np.nonzero(rows[doc].toarray())[1:]
        explained = {t.token: t.doc_weight for t in index.explain(sp.csr_matrix(np.ones((1, len(index.vocab)), np.float32)), doc)}
        assert {index.vocab[t]: float(rows[doc, t]) for t in terms} == explained


def test_rows_follow_deletes_and_additions(tmp_path):
    index, matrix = build(tmp_path / "idx", stored=False)
    ids = doc_ids()
    CsrIndex.delete(tmp_path / "idx", [ids[0], ids[70]])
    more = vectors(seed=5, n_rows=10)
    index = CsrIndex.add(tmp_path / "idx", [([f"new{i}" for i in range(10)], more)], show_progress=False)
    kept = [i for i in range(N_DOCS) if i not in (0, 70)]
    expected = sp.vstack([matrix[kept], more]).tocsr()
    assert index.doc_ids == [ids[i] for i in kept] + [f"new{i}" for i in range(10)]
    assert (read_all(index, 16) != expected).nnz == 0


def test_records_carry_stored_documents_and_metadata(tmp_path):
    index, _ = build(tmp_path / "idx")
    records = [r for batch in record_batches(index, 32) for r in batch.records]
    assert records[5] == {
        "id": doc_ids()[5],
        "title": "Title 5",
        "text": "text of document 5",
        "metadata": {"year": 2005, "lang": "en", "tags": ["x", "y"]},
    }
    bare, _ = build(tmp_path / "bare", stored=False)
    assert next(record_batches(bare)).records[0] == {"id": doc_ids()[0]}


def test_passage_rows_name_their_document_and_keep_their_own_span(tmp_path):
    parents = np.repeat(np.arange(N_DOCS // 2), 2)
    spans = np.tile([[0, 4], [5, 12]], (N_DOCS // 2, 1))
    document_ids = [f"d{i}" for i in range(N_DOCS // 2)]
    row_ids = [passage_id(document_ids[p], n) for p, n in zip(parents.tolist(), [0, 1] * (N_DOCS // 2))]
    documents = [(d, f"T{i}", f"text {i:03d} and more") for i, d in enumerate(document_ids)]
    index = build_index(
        tmp_path / "idx",
        [(row_ids, vectors())],
        vocabulary(),
        passages=PassageMap(document_ids, parents, spans, {"aggregation": "max", "top_m": 3}),
        documents=documents,
        fields=[{"n": i} for i in range(N_DOCS // 2)],
        show_progress=False,
    )
    records = [r for batch in record_batches(index, 7) for r in batch.records]
    assert records[2:4] == [
        {"id": "d1#0", "document_id": "d1", "title": "T1", "text": "text", "metadata": {"n": 1}},
        {"id": "d1#1", "document_id": "d1", "title": "T1", "text": "001 and", "metadata": {"n": 1}},
    ]


def test_an_index_without_csr_postings_is_refused_naming_its_backend():
    class Foreign:
        backend, path = "lucene", "somewhere/idx"

        def __len__(self):
            return 3

    with pytest.raises(InputError, match=r"'lucene' index somewhere/idx.*--backend csr"):
        next(vector_batches(Foreign()))


@pytest.mark.parametrize("batch_rows", [0, -1, 1.5, True])
def test_batch_rows_must_be_a_positive_integer(tmp_path, batch_rows):
    index, _ = build(tmp_path / "idx", stored=False)
    with pytest.raises(InputError, match="batch_rows"):
        next(vector_batches(index, batch_rows))
