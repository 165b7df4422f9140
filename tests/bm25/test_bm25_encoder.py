"""BM25Encoder: fitted statistics, weights whose dot product is BM25, and a hand-writable JSON file."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from bm25_data import CORPUS, QUERIES

from splade_search.bm25 import Analyzer, BM25Encoder
from splade_search.bm25.scoring import byte_length, length_byte
from splade_search.errors import InputError, ModelFormatError
from splade_search.retrieval import document_text

TEXTS = [document_text(doc) for doc in CORPUS]


@pytest.fixture(scope="module")
def fitted():
    return BM25Encoder.fit_encode(TEXTS)


def reference_bm25(query: str, k1: float = 0.9, b: float = 0.4) -> np.ndarray:
    """BM25 of every document from the analyzed texts, in float64, Lucene's way (idf, quantised lengths)."""
    analyze = Analyzer()
    docs = [analyze(text) for text in TEXTS]
    non_empty = [d for d in docs if d]
    n, avgdl = len(non_empty), sum(map(len, non_empty)) / len(non_empty)
    scores = np.zeros(len(docs))
    for term in set(analyze(query)):
        count = analyze(query).count(term)
        df = sum(term in d for d in docs)
        if not df:
            continue
        term_idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for i, doc in enumerate(docs):
            tf = doc.count(term)
            dl = byte_length(length_byte(len(doc)))
            scores[i] += count * term_idf * tf / (tf + k1 * (1 - b + b * dl / avgdl)) if tf else 0.0
    return scores


def test_statistics_leave_out_documents_without_terms(fitted):
    encoder, weights = fitted
    assert encoder.num_docs == 6  # d5 (only stop words) and d7 (empty) have no terms
    assert encoder.vocabulary == sorted(encoder.vocabulary)
    assert weights.shape == (len(CORPUS), len(encoder.vocabulary))
    assert encoder.df[encoder.vocabulary.index("insulin")] == 3
    assert encoder.avgdl == pytest.approx(sum(len(Analyzer()(t)) for t in TEXTS) / 6)


@pytest.mark.parametrize("query", QUERIES)
def test_dot_product_is_bm25(fitted, query):
    encoder, weights = fitted
    scores = (weights @ encoder.encode_queries([query]).T).toarray().ravel()
    assert scores == pytest.approx(reference_bm25(query), rel=1e-5, abs=1e-6)


def test_queries_are_term_counts_over_the_vocabulary(fitted):
    encoder, _ = fitted
    vector = encoder.encode_queries(["insulin INSULIN unknownword the"])
    assert vector.nnz == 1 and vector[0, encoder.vocabulary.index("insulin")] == 2


def test_save_and_load_round_trip(fitted, tmp_path):
    encoder, weights = fitted
    loaded = BM25Encoder.load(encoder.save(tmp_path / "bm25"))
    assert loaded.vocabulary == encoder.vocabulary and loaded.num_docs == encoder.num_docs
    assert (loaded.encode_documents(TEXTS) != weights).nnz == 0


def test_a_hand_written_file_loads(tmp_path):
    settings = {"format": "splade-search-bm25", "format_version": 1, "k1": 1.2, "b": 0.75, "N": 10, "avgdl": 5.0,
                "df": {"appl": 2, "fruit": 5}}
    (tmp_path / "bm25.json").write_text(json.dumps(settings))
    encoder = BM25Encoder.load(tmp_path)
    assert encoder.k1 == 1.2 and encoder.analyzer == Analyzer()
    assert encoder.encode_queries(["apples"]).toarray().tolist() == [[1.0, 0.0]]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"format": "other"}, "format"),
        ({"N": 0}, "'N'"),
        ({"avgdl": -1}, "avgdl"),
        ({"df": {"a": 11}}, "'df' of 'a'"),
        ({"df": []}, "'df'"),
        ({"b": 2}, "b must"),
        ({"analyzer": {"stemmer": "x"}}, "stemmer"),
    ],
)
def test_bad_files_are_refused_naming_the_field(tmp_path, change, message):
    settings = {"format": "splade-search-bm25", "format_version": 1, "N": 10, "avgdl": 5.0, "df": {"a": 1}, **change}
    (tmp_path / "bm25.json").write_text(json.dumps(settings))
    with pytest.raises(ModelFormatError, match=message):
        BM25Encoder.load(tmp_path)


def test_duplicate_terms_and_missing_files_are_refused(tmp_path):
    (tmp_path / "bm25.json").write_text('{"format": "splade-search-bm25", "format_version": 1, "N": 3, "avgdl": 1, "df": {"a": 1, "a": 2}}')
    with pytest.raises(ModelFormatError, match="twice"):
        BM25Encoder.load(tmp_path)
    with pytest.raises(ModelFormatError, match="does not exist"):
        BM25Encoder.load(tmp_path / "nothing")


def test_a_corpus_without_terms_and_bad_parameters_are_refused():
    with pytest.raises(InputError, match="no terms"):
        BM25Encoder.fit(["the of", ""])
    with pytest.raises(InputError, match="k1"):
        BM25Encoder.fit(["apple"], k1=-1)
