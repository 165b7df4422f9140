"""Index-backed evaluation in a search mode: the mode is used, and its recall against exact search is reported."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from splade_search.data import BeirData, Document
from splade_search.errors import InputError
from splade_search.eval.index_eval import evaluate_model, evaluate_retriever, recall_vs_exact
from splade_search.indexes import SearchResult
from splade_search.retrieval import SparseRetriever

WORDS = (
    "the a of and in is diabetes disease insulin sugar blood cell cells cancer protein gene genes study patients "
    "risk heart brain lung liver virus infection apple banana fruit weather rain sun dog cat house car city river music"
).split()


@pytest.fixture(scope="module")
def data() -> BeirData:
    rng = random.Random(1)
    corpus = [Document(f"d{i}", "", " ".join(rng.choices(WORDS, k=12))) for i in range(80)]
    queries = {f"q{i}": " ".join(rng.choices(WORDS, k=4)) for i in range(12)}
    qrels = {qid: {f"d{i}": 1} for i, qid in enumerate(queries)}
    return BeirData.from_parts(corpus, queries, qrels, name="random")


def test_exact_mode_reports_no_comparison(splade_model, data, tmp_path) -> None:
    result = evaluate_model(splade_model, data, tmp_path / "idx", k=20, warmup=0)
    assert result.search_mode == "exact" and result.search_knobs == {} and result.recall_vs_exact is None
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["search_mode"] == "exact" and payload["recall_vs_exact"] is None


def test_approximate_mode_reports_recall_against_exact(splade_model, data, tmp_path) -> None:
    knobs = {"budget": 0.05, "rerank": 2}
    result = evaluate_model(splade_model, data, tmp_path / "idx", k=20, warmup=0, mode="approximate", knobs=knobs)
    assert result.search_mode == "approximate" and result.search_knobs == knobs
    recall = result.recall_vs_exact
    assert set(recall) == {"@10", "@k"} and all(0 <= value <= 1 for value in recall.values())
    assert recall["@k"] < 1  # two documents rescored cannot hold an exact top-20
    assert all(len(hits) <= 2 for hits in result.run.values())
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["search_knobs"] == knobs and payload["recall_vs_exact"] == recall


def test_mode_is_used_for_the_batch_run_and_the_latency_timing(splade_model, data, tmp_path, monkeypatch) -> None:
    evaluate_model(splade_model, data, tmp_path / "idx", k=5, warmup=0)
    retriever = SparseRetriever.from_index(tmp_path / "idx", splade_model, mode="pruned", knobs={"max_scored": 1})
    modes = []
    search = retriever.index.search

    def spy(queries, k=10, **options):
        modes.append(options.get("mode", "exact"))
        return search(queries, k, **options)

    monkeypatch.setattr(retriever.index, "search", spy)
    result = evaluate_retriever(retriever, data, k=5, warmup=1, latency_queries=4)
    assert modes.count("pruned") == 1 + 1 + 4 and modes.count("exact") == 1  # batch, warm-up, timed; the comparison
    assert result.recall_vs_exact == {"@10": 1.0, "@k": 1.0}  # pruned search is exact
    assert result.search.count == 4


def test_unsupported_mode_is_refused_before_indexing(splade_model, data, tmp_path) -> None:
    with pytest.raises(InputError, match="offers search mode 'exact' only"):
        evaluate_model(splade_model, data, tmp_path / "lucene", backend="lucene", mode="pruned")
    with pytest.raises(InputError, match="budget must be"):
        evaluate_model(splade_model, data, tmp_path / "csr", mode="approximate", knobs={"budget": 3})
    assert not (tmp_path / "lucene").exists() and not (tmp_path / "csr").exists()


def test_recall_vs_exact_counts_the_exact_hits_found() -> None:
    def result(*numbers: int) -> SearchResult:
        return SearchResult([str(n) for n in numbers], np.ones(len(numbers), np.float32), np.array(numbers, np.int64))

    exact = [result(*range(12)), result(3, 4), result()]
    found = [result(*range(5), 20, 21), result(4, 3), result(7)]
    assert recall_vs_exact(found, exact, k=12) == {"@10": pytest.approx((5 / 10 + 1) / 2), "@k": pytest.approx((5 / 12 + 1) / 2)}
    assert recall_vs_exact([result()], [result()], k=5) == {"@10": 1.0, "@k": 1.0}
