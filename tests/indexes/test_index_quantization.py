"""Quantized csr indexes: recall against float32 and score error within the quantization step."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from index_data import batches, brute_force, doc_ids, random_sparse, vocab

from splade_search.errors import InputError
from splade_search.indexes import CsrIndex

DOCS = random_sparse(2000, 500, 60, seed=11)
QUERIES = random_sparse(50, 500, 12, seed=12)


def build(path, docs=DOCS, **options):
    return CsrIndex.build(
        path, batches(doc_ids(docs.shape[0]), docs, 500), vocab(docs.shape[1]), show_progress=False, **options
    )


@pytest.mark.parametrize("mode", ["float16", "int8", "uint8"])
def test_recall_and_score_error(tmp_path, mode):
    index = build(tmp_path / mode, quantization=mode)
    stats = index.stats()
    assert stats.quantization == mode
    recall = []
    for query, result in zip(QUERIES, index.search(QUERIES, k=10), strict=True):
        exact_docs, _ = brute_force(DOCS, query, 10)
        recall.append(len(set(exact_docs) & set(result.indices)) / len(exact_docs))
        exact = (DOCS[result.indices].astype(np.float64) @ query.astype(np.float64).T).toarray().ravel()
        if mode == "float16":
            bound = 2**-11 * exact + 1e-6
        else:
            bound = np.abs(query.data).sum() * 0.5 / stats.scale + 1e-6
        assert np.all(np.abs(result.scores - exact) <= bound)
    assert np.mean(recall) >= 0.9


def test_integer_modes_are_smaller_on_disk(tmp_path):
    sizes = {
        mode: build(tmp_path / str(mode), quantization=mode).stats().bytes_on_disk for mode in (None, "float16", "int8")
    }
    assert sizes["int8"] < sizes["float16"] < sizes[None]


def test_int8_keeps_signs_and_uint8_refuses_negatives(tmp_path):
    docs = sp.csr_matrix(np.array([[-2.0, 1.0], [1.0, 0.5]], dtype=np.float32))
    index = build(tmp_path / "int8", docs=docs, quantization="int8")
    assert index.search(np.array([1.0, 0.0]), k=2)[0].scores.tolist() == pytest.approx([1.0, -2.0], abs=0.01)
    with pytest.raises(InputError, match="negative"):
        build(tmp_path / "uint8", docs=docs, quantization="uint8")


def test_float16_overflow_is_refused(tmp_path):
    docs = sp.csr_matrix(np.array([[1e6, 1.0]], dtype=np.float32))
    with pytest.raises(InputError, match="float16 range"):
        build(tmp_path / "f16", docs=docs, quantization="float16")


def test_weights_rounding_to_zero_are_dropped(tmp_path):
    docs = sp.csr_matrix(np.array([[100.0, 0.1], [0.0, 0.15]], dtype=np.float32))
    index = build(tmp_path / "uint8", docs=docs, quantization="uint8")
    assert index.stats().postings == 1
    assert len(index.search(np.array([0.0, 1.0]))[0]) == 0
