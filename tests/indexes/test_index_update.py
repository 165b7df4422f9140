"""Adding to and deleting from a csr index equal a fresh build of the resulting corpus."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from index_data import batches, doc_ids, random_sparse, vocab

from splade_search.errors import InputError
from splade_search.indexes import CsrIndex, SparseIndex

DOCS = random_sparse(150, 60, 12, seed=51)
IDS = doc_ids(150)
QUERIES = random_sparse(15, 60, 5, seed=52)
TEXTS = [(doc_id, f"title {i}", f"text {i}") for i, doc_id in enumerate(IDS)]


def build(path, rows, quantization=None, documents=None):
    ids = IDS[rows]
    return CsrIndex.build(
        path,
        batches(ids, DOCS[rows], 40),
        vocab(60),
        quantization=quantization,
        documents=documents,
        metadata={"model": "m"},
        show_progress=False,
    )


def same_index(a, b):
    assert a.doc_ids == b.doc_ids and a.metadata == b.metadata and a.stats().postings == b.stats().postings
    for x, y in zip(a.search(QUERIES, k=20), b.search(QUERIES, k=20), strict=True):
        assert x.ids == y.ids
        np.testing.assert_array_equal(x.scores, y.scores)


@pytest.mark.parametrize("quantization", [None, "float16"])
def test_add_equals_fresh_build(tmp_path, quantization):
    build(tmp_path / "grown", slice(0, 100), quantization, TEXTS[:100])
    grown = CsrIndex.add(
        tmp_path / "grown", batches(IDS[100:], DOCS[100:], 30), documents=TEXTS[100:], show_progress=False
    )
    fresh = build(tmp_path / "fresh", slice(0, 150), quantization)
    same_index(grown, fresh)
    same_index(SparseIndex.open(tmp_path / "grown"), fresh)
    assert grown.documents[149].title == "title 149"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh", "grown"]


def test_delete_equals_fresh_build(tmp_path):
    build(tmp_path / "shrunk", slice(0, 150), documents=TEXTS)
    doomed = IDS[::3]
    shrunk = CsrIndex.delete(tmp_path / "shrunk", doomed)
    keep = [i for i in range(150) if i % 3]
    fresh = CsrIndex.build(
        tmp_path / "fresh",
        [([IDS[i] for i in keep], DOCS[keep])],
        vocab(60),
        metadata={"model": "m"},
        show_progress=False,
    )
    same_index(shrunk, fresh)
    assert [shrunk.documents[n].id for n in range(len(shrunk))] == shrunk.doc_ids


def test_int8_add_keeps_scale_and_refuses_larger_weights(tmp_path):
    index = build(tmp_path / "idx", slice(0, 100), "int8")
    scale = index.quantization.scale
    grown = CsrIndex.add(tmp_path / "idx", [(IDS[100:], DOCS[100:] * 0.5)], show_progress=False)
    assert grown.quantization.scale == scale and len(grown) == 150
    too_big = sp.csr_matrix(np.full((1, 60), 1000.0, dtype=np.float32))
    with pytest.raises(InputError, match="exceed the int8 range"):
        CsrIndex.add(tmp_path / "idx", [(["big"], too_big)], show_progress=False)
    assert len(SparseIndex.open(tmp_path / "idx")) == 150


def test_update_errors_change_nothing(tmp_path):
    build(tmp_path / "idx", slice(0, 100))
    with pytest.raises(InputError, match="already in the index"):
        CsrIndex.add(tmp_path / "idx", [([IDS[5]], DOCS[5])], show_progress=False)
    with pytest.raises(InputError, match="exactly when the index stores documents"):
        CsrIndex.add(tmp_path / "idx", [([IDS[120]], DOCS[120])], documents=[TEXTS[120]], show_progress=False)
    with pytest.raises(InputError, match="not in the index"):
        CsrIndex.delete(tmp_path / "idx", [IDS[0], "unknown"])
    with pytest.raises(InputError, match="empty index"):
        CsrIndex.delete(tmp_path / "idx", IDS[:100])
    assert SparseIndex.open(tmp_path / "idx").doc_ids == IDS[:100]
