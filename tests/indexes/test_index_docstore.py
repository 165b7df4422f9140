"""Stored titles and texts: standalone stores and stores built with an index."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from splade_search.errors import IndexFormatError, InputError
from splade_search.indexes import CsrIndex, DocStore, SparseIndex, StoredDocument

DOCUMENTS = [("d1", "Title one", "Text with\nnewline and ünïcode"), ("d2", "", "")]


def test_write_and_read_back(tmp_path):
    store = DocStore.write(tmp_path / "docs", DOCUMENTS)
    assert len(store) == 2
    assert store[0] == StoredDocument(*DOCUMENTS[0])
    assert store[1].id == "d2" and store.ids() == ["d1", "d2"]
    with pytest.raises(IndexError):
        store[2]


def test_empty_store(tmp_path):
    assert len(DocStore.write(tmp_path / "docs", [])) == 0


def test_corruption_is_detected(tmp_path):
    DocStore.write(tmp_path / "docs", DOCUMENTS)
    target = tmp_path / "docs" / "docs.jsonl"
    target.write_bytes(target.read_bytes().replace(b"one", b"two"))
    with pytest.raises(IndexFormatError, match=r"docs\.jsonl"):
        DocStore(tmp_path / "docs")


def test_malformed_records_are_rejected(tmp_path):
    with pytest.raises(InputError, match="triple"):
        DocStore.write(tmp_path / "docs", [("d1", "title")])
    with pytest.raises(InputError, match="must be strings"):
        DocStore.write(tmp_path / "docs", [("d1", None, "text")])


def test_index_keeps_documents(tmp_path):
    vectors = sp.csr_matrix(np.eye(2, dtype=np.float32))
    CsrIndex.build(tmp_path / "idx", [(["d1", "d2"], vectors)], ["a", "b"], documents=DOCUMENTS, show_progress=False)
    index = SparseIndex.open(tmp_path / "idx")
    hit = index.search(np.array([0.0, 1.0]))[0]
    assert index.documents[int(hit.indices[0])] == StoredDocument(*DOCUMENTS[1])
    CsrIndex.build(tmp_path / "idx", [(["d1", "d2"], vectors)], ["a", "b"], show_progress=False)
    assert SparseIndex.open(tmp_path / "idx").documents is None
