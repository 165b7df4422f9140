"""Build-time validation of the batch stream."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from splade_search.errors import InputError
from splade_search.indexes import CsrIndex

VOCAB = ["a", "b", "c"]


def build(tmp_path, batches, **options):
    return CsrIndex.build(tmp_path / "idx", batches, VOCAB, show_progress=False, **options)


def rows(*values):
    return sp.csr_matrix(np.array(values, dtype=np.float32))


@pytest.mark.parametrize(
    ("batches", "message"),
    [
        ([], "no documents"),
        ([([], rows([0, 0, 0])[:0])], "no documents"),
        ([(["d1", "d2"], rows([1, 0, 0]))], "2 ids for 1 vectors"),
        ([(["d1"], rows([1, 0, 0])), (["d1"], rows([0, 1, 0]))], "duplicate document id 'd1'"),
        ([(["d1"], rows([1, 0, 0, 0]))], "batch 0: .*4 columns, expected 3"),
        ([(["d1"], rows([1, np.nan, 0]))], "NaN"),
        ([(["d1"], rows([np.inf, 0, 0]))], "NaN or infinite"),
        ([(["line\nbreak"], rows([1, 0, 0]))], "line break"),
        ([([""], rows([1, 0, 0]))], "empty"),
        ([([7], rows([1, 0, 0]))], "must be strings"),
        ([("d1", rows([1, 0, 0]))], "not one string"),
        ([(["d1"],)], r"\(doc_ids, sparse_matrix\) pair"),
    ],
)
def test_invalid_batches_are_rejected(tmp_path, batches, message):
    with pytest.raises(InputError, match=message):
        build(tmp_path, iter(batches))
    assert not (tmp_path / "idx").exists()


def test_invalid_arguments_are_rejected(tmp_path):
    good = [(["d1"], rows([1, 0, 0]))]
    with pytest.raises(InputError, match="unknown quantization"):
        build(tmp_path, good, quantization="int4")
    with pytest.raises(InputError, match="JSON-serialisable"):
        build(tmp_path, good, metadata={"x": object()})
    with pytest.raises(InputError, match="vocabulary is empty"):
        CsrIndex.build(tmp_path / "idx", good, [], show_progress=False)


def test_documents_must_match_vector_ids(tmp_path):
    good = [(["d1", "d2"], rows([1, 0, 0], [0, 1, 0]))]
    with pytest.raises(InputError, match="same ids, in the same order"):
        build(tmp_path, good, documents=[("d2", "", ""), ("d1", "", "")])


def test_empty_documents_and_negative_weights_are_indexed(tmp_path):
    index = build(tmp_path, [(["empty", "neg", "pos"], rows([0, 0, 0], [-1, 2, 0], [1, 1, 0]))])
    result = index.search(np.array([1.0, 0, 0]), k=5)[0]
    assert result.ids == ["pos", "neg"] and result.scores.tolist() == [1.0, -1.0]
