"""An index answers with the model that encoded it: kept inside when not reloadable, refused when changed."""

from __future__ import annotations

import shutil

import pytest
import torch

from splade_search import SparseEncoder
from splade_search.data import Document
from splade_search.errors import IndexMismatchError
from splade_search.retrieval import SparseRetriever, index_corpus
from splade_search.retrieval.model_record import fingerprint, recorded_model

DOCS = [
    Document("d1", "", "insulin and blood sugar in patients with diabetes"),
    Document("d2", "", "the cat and the dog"),
    Document("d3", "", "heart disease risk increase"),
]
QUERIES = ["diabetes", "cat dog", "heart risk"]


def ranked(retriever: SparseRetriever) -> list[list[str]]:
    return [[hit.id for hit in hits] for hits in retriever.search(QUERIES, k=3)]


def test_a_model_built_in_memory_is_kept_inside_the_index(csr_model, tmp_path):
    report = index_corpus(csr_model, DOCS, tmp_path / "idx", show_progress=False)
    assert report.index.model_folder is not None
    assert recorded_model(report.index) == str(report.index.model_folder)
    expected = ranked(SparseRetriever(csr_model, report.index))
    assert ranked(SparseRetriever.from_index(tmp_path / "idx")) == expected
    assert ranked(SparseRetriever.from_index(tmp_path / "idx")) == expected


def test_a_dense_folder_loaded_as_csr_is_kept_and_reproducible(tiny_bert_dir, tmp_path):
    model = SparseEncoder(tiny_bert_dir, device="cpu")
    report = index_corpus(model, DOCS, tmp_path / "idx", model_reference=tiny_bert_dir, show_progress=False)
    assert report.index.model_folder is not None, "a fresh random autoencoder must be saved with the index"
    first, second = (ranked(SparseRetriever.from_index(tmp_path / "idx")) for _ in range(2))
    assert first == second == ranked(SparseRetriever(model, report.index))


def test_a_model_folder_is_kept_only_by_reference(splade_model, tiny_mlm_dir, tmp_path):
    report = index_corpus(splade_model, DOCS, tmp_path / "idx", model_reference=tiny_mlm_dir, show_progress=False)
    assert report.index.model_folder is None and report.index.metadata["model_fingerprint"] == fingerprint(splade_model)


def test_a_model_folder_changed_after_indexing_is_refused(splade_model, tiny_mlm_dir, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_mlm_dir, folder)
    model = SparseEncoder(str(folder), device="cpu")
    index_corpus(model, DOCS, tmp_path / "idx", model_reference=str(folder), show_progress=False)
    assert ranked(SparseRetriever.from_index(tmp_path / "idx"))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(1.5)
    model.save(str(folder))
    with pytest.raises(IndexMismatchError, match="has changed since the index"):
        SparseRetriever.from_index(tmp_path / "idx")
    assert ranked(SparseRetriever.from_index(tmp_path / "idx", model=model))  # an explicit model is the caller's choice


def test_fingerprint_sees_every_weight(splade_model):
    before = fingerprint(splade_model)
    assert fingerprint(splade_model) == before
    with torch.no_grad():
        list(splade_model.parameters())[-1].view(-1)[0] += 1e-3
    assert fingerprint(splade_model) != before
