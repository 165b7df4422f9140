"""Syncing an index with a changed folder: only new or changed files are encoded, the result equals a rebuild."""

from __future__ import annotations

import numpy as np
import pytest

from splade_search.data import read_corpus
from splade_search.errors import InputError
from splade_search.indexes import SparseIndex
from splade_search.retrieval import SparseRetriever, index_corpus
from splade_search.retrieval.updates import sync_corpus

WORDS = "cat dog heart disease insulin sugar rain sun city river music film book water apple banana".split()
QUERIES = ["cat dog", "heart disease risk", "rain in the city", "apple banana", "music and film"]


def write_folder(folder, n=30, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    for i in range(n):
        (folder / f"doc{i:02d}.txt").write_text(" ".join(rng.choice(WORDS, size=12)), encoding="utf-8")


def postings_by_doc(index):
    rows = index.postings
    out = {}
    for term in range(len(index.vocab)):
        for p in range(int(rows.indptr[term]), int(rows.indptr[term + 1])):
            out[(index.doc_ids[int(rows.docs[p])], term)] = float(rows.weights[p])
    return out


def test_sync_encodes_only_changes_and_equals_a_full_rebuild(splade_model, tmp_path, monkeypatch):
    folder = tmp_path / "notes"
    write_folder(folder)
    index_corpus(splade_model, read_corpus(folder), tmp_path / "idx", model_reference="tiny", show_progress=False)
    (folder / "doc03.txt").write_text("insulin and sugar in the blood", encoding="utf-8")
    (folder / "doc07.txt").unlink()
    (folder / "new.txt").write_text("a new file about the river", encoding="utf-8")
    encoded = []
    original = type(splade_model).encode_document
    monkeypatch.setattr(type(splade_model), "encode_document", lambda self, texts, **kw: encoded.extend(texts) or original(self, texts, **kw))
    report = sync_corpus(splade_model, lambda: read_corpus(folder), tmp_path / "idx")
    assert (report.encoded, report.deleted, report.kept) == (2, 1, 28)
    assert sorted(encoded) == ["a new file about the river", "insulin and sugar in the blood"]
    monkeypatch.setattr(type(splade_model), "encode_document", original)
    rebuilt = index_corpus(splade_model, read_corpus(folder), tmp_path / "full", model_reference="tiny", show_progress=False).index
    synced = SparseIndex.open(tmp_path / "idx")
    assert synced.doc_ids == rebuilt.doc_ids
    assert [synced.fields.record(i) for i in range(len(synced))] == [rebuilt.fields.record(i) for i in range(len(rebuilt))]
    a, b = postings_by_doc(synced), postings_by_doc(rebuilt)
    assert a.keys() == b.keys() and max(abs(a[key] - b[key]) for key in a) < 1e-5
    for query in QUERIES:
        assert [h.id for h in SparseRetriever(splade_model, synced).search(query, k=5)] == [
            h.id for h in SparseRetriever(splade_model, rebuilt).search(query, k=5)
        ]


def test_a_corpus_that_changes_during_the_sync_changes_nothing(splade_model, tmp_path):
    folder = tmp_path / "notes"
    write_folder(folder, n=5)
    index_corpus(splade_model, read_corpus(folder), tmp_path / "idx", show_progress=False)
    before = SparseIndex.open(tmp_path / "idx").folder
    (folder / "doc01.txt").write_text("changed once", encoding="utf-8")
    calls = []

    def read():
        calls.append(1)
        if len(calls) == 2:
            (folder / "doc02.txt").write_text("edited while syncing", encoding="utf-8")
        return read_corpus(folder)

    with pytest.raises(InputError, match="changed while it was being synced"):
        sync_corpus(splade_model, read, tmp_path / "idx")
    assert SparseIndex.open(tmp_path / "idx").folder == before


def test_sync_refuses_another_model(splade_model, csr_model, tmp_path):
    folder = tmp_path / "notes"
    write_folder(folder, n=3)
    index_corpus(splade_model, read_corpus(folder), tmp_path / "idx", show_progress=False)
    with pytest.raises(InputError, match="model_fingerprint"):
        sync_corpus(csr_model, lambda: read_corpus(folder), tmp_path / "idx")


def test_sync_keeps_the_passages_of_unchanged_documents(splade_model, tmp_path):
    from splade_search.passages import PassageSettings

    folder = tmp_path / "notes"
    write_folder(folder, n=6)
    (folder / "doc00.txt").write_text(" ".join(["cat dog rain sun city river"] * 12), encoding="utf-8")
    settings = PassageSettings(tokens=16, overlap=4)
    index_corpus(splade_model, read_corpus(folder), tmp_path / "idx", passages=settings, show_progress=False)
    (folder / "doc02.txt").write_text(" ".join(["heart disease insulin sugar"] * 10), encoding="utf-8")
    report = sync_corpus(splade_model, lambda: read_corpus(folder), tmp_path / "idx")
    assert (report.encoded, report.kept, report.deleted) == (1, 5, 0)
    rebuilt = index_corpus(splade_model, read_corpus(folder), tmp_path / "full", passages=settings, show_progress=False).index
    synced = SparseIndex.open(tmp_path / "idx")
    assert synced.doc_ids == rebuilt.doc_ids and synced.document_ids == rebuilt.document_ids
    assert (synced.passages.spans == rebuilt.passages.spans).all() and (synced.passages.parents == rebuilt.passages.parents).all()
    a, b = postings_by_doc(synced), postings_by_doc(rebuilt)
    assert a.keys() == b.keys() and max(abs(a[key] - b[key]) for key in a) < 1e-5
