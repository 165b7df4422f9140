"""BM25Retriever, in-process: a normal index folder, hits with stored documents, explain, search modes, open_retriever."""

from __future__ import annotations

import numpy as np
import pytest
from bm25_data import CORPUS, QUERIES

from splade_search.bm25 import BM25Retriever, is_bm25_index
from splade_search.data.documents import Document
from splade_search.errors import IndexMismatchError, InputError
from splade_search.indexes import SparseIndex
from splade_search.retrieval import Retriever
from splade_search.retrieval.opener import open_retriever


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return BM25Retriever.build(CORPUS, tmp_path_factory.mktemp("bm25") / "idx", implementation="inprocess")


def test_the_folder_is_a_normal_csr_index_recording_bm25(built):
    index = SparseIndex.open(built.index.path)
    assert index.backend == "csr" and is_bm25_index(index)
    assert index.metadata["bm25"]["implementation"] == "inprocess" and index.metadata["bm25"]["k1"] == 0.9
    assert (index.model_folder / "bm25.json").is_file()
    assert index.doc_ids == [doc.id for doc in CORPUS]
    assert built.report.documents == len(CORPUS)


def test_hits_carry_stored_documents_and_explanations(built):
    hits = built.search("insulin diabetes", k=3, explain=True)
    assert isinstance(built, Retriever) and built.implementation == "inprocess"
    assert [h.id for h in hits][:2] == ["d1", "d3"]
    assert hits[0].title == "Insulin and diabetes" and hits[0].rank == 1
    assert {t.token for t in hits[0].terms} == {"insulin", "diabet"}
    assert sum(t.contribution for t in hits[0].terms) == pytest.approx(hits[0].score, rel=1e-6)


def test_queries_with_no_known_term_find_nothing(built):
    assert built.search(["the of and", "zzzz"], k=5) == [[], []]


def test_pruned_mode_returns_the_exact_hits(built):
    pruned = BM25Retriever.open(built.index.path, mode="pruned")
    for exact, fast in zip(built.search(QUERIES, k=3), pruned.search(QUERIES, k=3)):
        assert [h.id for h in exact] == [h.id for h in fast]


def test_run_matches_search(built):
    run = built.run({"q1": QUERIES[0], "q2": QUERIES[1]}, k=4)
    assert list(run["q1"]) == [h.id for h in built.search(QUERIES[0], k=4)]


def test_open_retriever_picks_bm25_and_refuses_another_model(built):
    assert isinstance(open_retriever(built.index.path), BM25Retriever)
    with pytest.raises(InputError, match="BM25 index"):
        open_retriever(built.index.path, model="splade-tiny")


def test_lucene_is_refused_on_an_in_process_index(built):
    with pytest.raises(IndexMismatchError, match="no Lucene index"):
        BM25Retriever.open(built.index.path, implementation="lucene")
    with pytest.raises(InputError, match="implementation"):
        BM25Retriever.open(built.index.path, implementation="elastic")


def test_a_sparse_index_is_not_a_bm25_index(tmp_path):
    from splade_search.indexes import build_index

    index = build_index(tmp_path / "sparse", [(["a"], np.ones((1, 2), dtype=np.float32))], ["x", "y"], show_progress=False)
    with pytest.raises(IndexMismatchError, match="not a BM25 index"):
        BM25Retriever(index)


def test_rebuilding_publishes_a_new_generation(tmp_path):
    path = tmp_path / "idx"
    BM25Retriever.build(CORPUS[:3], path, implementation="inprocess")
    again = BM25Retriever.build(CORPUS, path, implementation="inprocess")
    assert len(again.index) == len(CORPUS) and again.index.folder.name == "gen-000002"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]  # no scratch folder left behind


@pytest.mark.parametrize(
    "documents, message",
    [([], "no documents"), ([Document("a", "", "x"), Document("a", "", "y")], "twice"), ([Document("a", "", "the")], "no terms")],
)
def test_bad_corpora_are_refused_and_leave_nothing(tmp_path, documents, message):
    with pytest.raises(InputError, match=message):
        BM25Retriever.build(documents, tmp_path / "idx", implementation="inprocess")
    assert not (tmp_path / "idx" / "CURRENT").exists()


def test_metadata_is_stored_for_hits_and_filters(tmp_path):
    docs = [Document(d.id, d.title, d.text, {"year": 2000 + i, "source": "a" if i % 2 else "b"}) for i, d in enumerate(CORPUS)]
    built = BM25Retriever.build(docs, tmp_path / "idx", implementation="inprocess")
    hits = built.search("insulin", k=5)
    assert hits[0].metadata == {"year": 2000, "source": "b"}
    filtered = built.search("insulin", k=5, filter="year>=2002")
    assert [h.id for h in filtered] == [h.id for h in hits if h.metadata["year"] >= 2002] and filtered
    assert list(built.run({"q": "insulin"}, k=5, filter={"source": "a"})["q"]) == [h.id for h in hits if h.metadata["source"] == "a"]
