"""Choosing backends: dispatch on open, unknown names, and a clear error without the Lucene extra."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from splade_search.errors import BackendUnavailableError, IndexFormatError, InputError
from splade_search.indexes import CsrIndex, SparseIndex, build_index, check_backend
from splade_search.indexes.lucene import java as java_module
from splade_search.indexes.lucene import LuceneIndex
from splade_search.indexes.generations import current_folder

BATCHES = [(["d1", "d2"], sp.csr_matrix(np.eye(2, dtype=np.float32)))]


def set_backend(path, backend):
    manifest = json.loads((current_folder(path) / "manifest.json").read_text())
    manifest["backend"] = backend
    (current_folder(path) / "manifest.json").write_text(json.dumps(manifest))


def test_build_index_dispatches_and_open_checks_the_backend(tmp_path):
    index = build_index(tmp_path / "idx", BATCHES, ["a", "b"], backend="csr", show_progress=False)
    assert isinstance(index, CsrIndex)
    with pytest.raises(InputError, match="unknown index backend"):
        build_index(tmp_path / "other", BATCHES, ["a", "b"], backend="faiss")
    set_backend(tmp_path / "idx", "lucene")
    with pytest.raises(IndexFormatError, match=r"open it with SparseIndex\.open"):
        CsrIndex.open(tmp_path / "idx")
    set_backend(tmp_path / "idx", "faiss")
    with pytest.raises(IndexFormatError, match="unknown backend 'faiss'"):
        SparseIndex.open(tmp_path / "idx")


def test_missing_lucene_extra_gives_install_hint(tmp_path, monkeypatch):
    real_find_spec = java_module.importlib.util.find_spec
    monkeypatch.setattr(
        java_module.importlib.util, "find_spec", lambda name: None if name == "pyserini" else real_find_spec(name)
    )
    consumed = []

    def batches():
        consumed.append(True)
        yield from BATCHES

    with pytest.raises(BackendUnavailableError, match=r"pip install 'splade-search\[lucene\]'"):
        LuceneIndex.build(tmp_path / "idx", batches(), ["a", "b"], show_progress=False)
    assert not consumed and not (tmp_path / "idx").exists()


def test_missing_milvus_extra_gives_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # what an environment without the extra imports
    with pytest.raises(BackendUnavailableError, match=r"pip install 'splade-search\[milvus\]'"):
        check_backend("milvus")
    with pytest.raises(BackendUnavailableError, match=r"pip install 'splade-search\[milvus\]'"):
        build_index(tmp_path / "idx", iter(BATCHES), ["a", "b"], backend="milvus", show_progress=False)
    assert not (tmp_path / "idx").exists()
