"""Indexing documents as passages: nothing past the model's length is lost, documents come back aggregated."""

from __future__ import annotations

import pytest

from splade_search.data import Document
from splade_search.errors import InputError
from splade_search.passages import PassageSettings
from splade_search.retrieval import SparseRetriever, index_corpus

FILLER = " ".join(["The weather report said rain and sun over the river city."] * 12)
DOCS = [
    Document("late", "Long report", FILLER + " Insulin resistance causes type 2 diabetes.", {"year": 2021}),
    Document("early", "Short note", "Insulin is a hormone made by the pancreas.", {"year": 2019}),
    Document("other", "Music", "A film about music and books.", {"year": 2021}),
]


@pytest.fixture()
def model(real_splade):
    real_splade.max_seq_length = 64
    yield real_splade
    real_splade.max_seq_length = 512


def test_truncation_is_counted_and_passages_find_text_past_the_limit(model, tmp_path):
    whole = index_corpus(model, DOCS, tmp_path / "whole", show_progress=False)
    assert whole.truncated == 1 and whole.passages is None
    passages = index_corpus(model, DOCS, tmp_path / "parts", passages=PassageSettings(tokens=32, overlap=8), show_progress=False)
    assert passages.truncated is None and passages.passages > len(DOCS)
    index = passages.index
    assert index.document_ids == ["late", "early", "other"] and len(index) == passages.passages
    assert index.doc_ids[0] == "late#0" and index.passages.settings["tokens"] == 32
    truncated_hits = [h.id for h in SparseRetriever(model, whole.index).search("insulin resistance diabetes", k=3)]
    hits = SparseRetriever(model, index).search("insulin resistance diabetes", k=3, explain=True)
    assert hits[0].id == "late" and "late" not in truncated_hits[:1]
    start, end = hits[0].passage
    assert "Insulin resistance" in hits[0].text[start:end]
    assert hits[0].snippet is not None and any("nsulin" in hits[0].snippet.text[a:b] for a, b in hits[0].snippet.marks)
    assert hits[0].to_dict()["passage"] == {"start": start, "end": end}


def test_aggregations_filters_and_passage_hits(model, tmp_path):
    index = index_corpus(model, DOCS, tmp_path / "idx", passages=PassageSettings(tokens=32, overlap=8), show_progress=False).index
    retriever = SparseRetriever(model, index)
    query = "insulin resistance diabetes"
    assert [h.id for h in retriever.search(query, k=3, aggregation="first")][:1] == ["early"]
    assert retriever.search(query, k=1, aggregation="sum-top-m")[0].id in {"late", "early"}
    filtered = retriever.search(query, k=3, filter="year>=2020")
    assert {h.id for h in filtered} <= {"late", "other"} and filtered[0].id == "late" and filtered[0].metadata == {"year": 2021}
    rows = retriever.search(query, k=2, passages=True)
    assert rows[0].id.startswith("late#") and "Insulin resistance" in rows[0].text
    assert len({h.id for h in retriever.search("weather rain river", k=3)}) == len(retriever.search("weather rain river", k=3))
    run = retriever.run({"q": query}, k=3)
    assert set(run["q"]) <= {"late", "early", "other"}


def test_bad_passage_settings_are_clear_errors(model, tmp_path):
    with pytest.raises(InputError, match="--passage-stride|overlap"):
        index_corpus(model, DOCS, tmp_path / "x", passages=PassageSettings(tokens=16, overlap=16), show_progress=False)
    with pytest.raises(InputError, match="--passage-tokens"):
        index_corpus(model, DOCS, tmp_path / "y", passages=PassageSettings(tokens=500), show_progress=False)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
