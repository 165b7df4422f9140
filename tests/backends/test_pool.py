"""encode(..., pool=...): worker processes return exactly the vectors of one process."""

from __future__ import annotations

import pytest
import torch

from splade_search import SparseEncoder

TEXTS = [f"{'diabetes insulin blood sugar ' * (i % 7)}study {i} of cells and genes" for i in range(23)]


def test_pool_returns_exactly_the_single_process_vectors(mlm_copy):
    """With the onnx backend when it is installed: each worker opens its own session from the pickled model."""
    try:
        import onnxruntime  # noqa: F401

        backend = "onnx"
    except ImportError:
        backend = "torch"
    model = SparseEncoder(mlm_copy, device="cpu", backend=backend, prompts={"query": "query: "})
    expected_docs = model.encode_document(TEXTS, batch_size=4)
    expected_queries = model.encode_query(TEXTS, batch_size=4, convert_to_sparse_tensor=False)
    expected_one = model.encode_query(TEXTS[5], batch_size=4)
    pool = model.start_multi_process_pool(["cpu", "cpu"])
    try:
        docs = model.encode_document(TEXTS, batch_size=4, pool=pool, chunk_size=5)  # rounded up to 2 batches
        queries = model.encode_query(TEXTS, batch_size=4, pool=pool, convert_to_sparse_tensor=False)
        rows = model.encode_document(TEXTS, batch_size=4, pool=pool, convert_to_tensor=False)
        one = model.encode_query(TEXTS[5], batch_size=4, pool=pool)
    finally:
        model.stop_multi_process_pool(pool)
    assert docs.is_sparse and torch.equal(docs.to_dense(), expected_docs.to_dense())
    assert not queries.is_sparse and torch.equal(queries, expected_queries)  # the query prompt is added once
    assert len(rows) == len(TEXTS) and all(torch.equal(r.to_dense(), e) for r, e in zip(rows, expected_docs.to_dense()))
    assert one.dim() == 1 and torch.equal(one.to_dense(), expected_one.to_dense())
    assert not torch.equal(queries, expected_docs.to_dense())
