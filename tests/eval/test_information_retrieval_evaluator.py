"""SparseInformationRetrievalEvaluator: agreement with a brute-force ranking, keys, CSV, predictions, self hits."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch
from eval_stubs import StubEncoder

from splade_search.data import load_beir
from splade_search.errors import InputError
from splade_search.eval.evaluators import SparseInformationRetrievalEvaluator
from splade_search.eval.metrics import evaluate_run
from splade_search.retrieval import document_text
from splade_search.similarity import euclidean_sim

BEIR_TINY = Path(__file__).resolve().parent.parent / "fixtures" / "beir_tiny"
IR_KEYS = [f"accuracy@{k}" for k in (1, 3, 5, 10)] + [f"{m}@{k}" for k in (1, 3, 5, 10) for m in ("precision", "recall")]
IR_KEYS += ["mrr@10", "ndcg@10", "map@100"]
SPARSITY_KEYS = ["query_active_dims", "query_sparsity_ratio", "corpus_active_dims", "corpus_sparsity_ratio", "avg_flops"]


def brute_force_run(model, data, score_fn=None, skip_zeros=True):
    """Every document scored against every query, as a run."""
    doc_ids = list(data.corpus)
    queries = model.encode_query([data.queries[q] for q in data.queries], convert_to_sparse_tensor=False)
    docs = model.encode_document([document_text(data.corpus[d]) for d in doc_ids], convert_to_sparse_tensor=False)
    scores = (score_fn or model.similarity)(queries, docs)
    return {
        qid: {doc_id: float(s) for doc_id, s in zip(doc_ids, row.tolist()) if s != 0 or not skip_zeros}
        for qid, row in zip(data.queries, scores)
    }


@pytest.mark.parametrize("chunk_size", [2, 50000])
def test_matches_evaluate_run_on_a_brute_force_ranking(splade_model, chunk_size) -> None:
    data = load_beir(BEIR_TINY)
    evaluator = SparseInformationRetrievalEvaluator.from_beir(data, name="", corpus_chunk_size=chunk_size)
    results = evaluator(splade_model)
    expected = evaluate_run(data.qrels, brute_force_run(splade_model, data), (1, 3, 5, 10, 100)).aggregate
    assert sorted(results) == sorted([f"dot_{key}" for key in IR_KEYS] + SPARSITY_KEYS)
    for key in IR_KEYS:
        assert results[f"dot_{key}"] == pytest.approx(expected[key]), key
    assert evaluator.primary_metric == "dot_ndcg@10"
    assert evaluator.greater_is_better is True


def test_dense_path_for_other_score_functions(splade_model) -> None:
    data = load_beir(BEIR_TINY)
    evaluator = SparseInformationRetrievalEvaluator.from_beir(data, score_functions={"euclidean": euclidean_sim}, corpus_chunk_size=3)
    results = evaluator(splade_model)
    expected = evaluate_run(data.qrels, brute_force_run(splade_model, data, euclidean_sim, skip_zeros=False)).aggregate
    assert results["beir_tiny_euclidean_ndcg@10"] == pytest.approx(expected["ndcg@10"])
    assert evaluator.primary_metric == "beir_tiny_euclidean_ndcg@10"


def test_keys_are_prefixed_and_sparsity_is_reported(tmp_path) -> None:
    model = StubEncoder()
    corpus = {"d1": "apple apple banana", "d2": "cherry", "d3": "apple cherry date"}
    evaluator = SparseInformationRetrievalEvaluator({"q1": "apple", "q2": "cherry"}, corpus, {"q1": {"d1"}, "q2": {"d2", "d3"}}, name="toy")
    results = evaluator(model)
    assert evaluator.primary_metric == "toy_dot_ndcg@10"
    assert results["toy_query_active_dims"] == 1.0
    assert results["toy_corpus_active_dims"] == pytest.approx(2.0)
    assert results["toy_corpus_sparsity_ratio"] == pytest.approx(1 - 2.0 / len(model.vocab))
    # apple: 1 of 2 queries x 2 of 3 docs; cherry: 1/2 x 2/3
    assert results["toy_avg_flops"] == pytest.approx(0.5 * 2 / 3 + 0.5 * 2 / 3)
    assert results["toy_dot_recall@1"] == pytest.approx((1.0 + 0.5) / 2)  # q2: d2 and d3 tie, d3 first (trec_eval)


def test_csv_written_with_the_reference_header_and_appended(tmp_path) -> None:
    model = StubEncoder()
    evaluator = SparseInformationRetrievalEvaluator(
        {"q1": "apple"}, {"d1": "apple", "d2": "fig"}, {"q1": {"d1"}}, name="toy", write_predictions=True,
        accuracy_at_k=[1], precision_recall_at_k=[1, 3], mrr_at_k=[10], ndcg_at_k=[10], map_at_k=[100],
    )
    evaluator(model, output_path=str(tmp_path), epoch=1, steps=10)
    evaluator(model, output_path=str(tmp_path), epoch=2, steps=20)
    with open(tmp_path / "Information-Retrieval_evaluation_toy_results.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        "epoch", "steps", "dot-Accuracy@1", "dot-Precision@1", "dot-Recall@1", "dot-Precision@3", "dot-Recall@3",
        "dot-MRR@10", "dot-NDCG@10", "dot-MAP@100", *SPARSITY_KEYS,
    ]
    assert [row[:2] for row in rows[1:]] == [["1", "10"], ["2", "20"]]
    assert float(rows[1][rows[0].index("dot-NDCG@10")]) == 1.0
    lines = (tmp_path / "Information-Retrieval_evaluation_toy_predictions_dot.jsonl").read_text().splitlines()
    assert json.loads(lines[0]) == {"query_id": "q1", "query": "apple", "results": [{"corpus_id": "d1", "score": 1.0}]}


def test_self_hits_are_removed_on_request() -> None:
    model = StubEncoder()
    corpus = {"q1": "apple banana banana", "d1": "apple apple", "d2": "fig"}
    queries, qrels = {"q1": "apple banana"}, {"q1": {"d1": 1}}
    kept = SparseInformationRetrievalEvaluator(queries, corpus, qrels)(model)
    removed_evaluator = SparseInformationRetrievalEvaluator(queries, corpus, qrels, ignore_identical_ids=True)
    removed = removed_evaluator(model)
    assert kept["dot_mrr@10"] == 0.5
    assert removed["dot_mrr@10"] == 1.0
    assert "q1" not in removed_evaluator.runs["dot"]["q1"]


def test_only_judged_queries_are_encoded_and_bad_input_is_refused() -> None:
    model = StubEncoder()
    evaluator = SparseInformationRetrievalEvaluator({"q1": "apple", "q2": "fig"}, {"d1": "apple"}, {"q1": ["d1"]})
    evaluator(model)
    assert ("query", 1) in model.calls
    with pytest.raises(InputError, match="no.*judgements|none of the"):
        SparseInformationRetrievalEvaluator({"q1": "apple"}, {"d1": "apple"}, {"q9": {"d1"}})
    with pytest.raises(InputError, match="corpus is empty"):
        SparseInformationRetrievalEvaluator({"q1": "apple"}, {}, {"q1": {"d1"}})


def test_cosine_model_uses_normalised_products() -> None:
    model = StubEncoder("cosine")
    evaluator = SparseInformationRetrievalEvaluator({"q1": "apple"}, {"d1": "apple apple fig", "d2": "apple"}, {"q1": {"d2"}})
    results = evaluator(model)
    assert results["cosine_mrr@10"] == 1.0
    scores = evaluator.runs["cosine"]["q1"]
    assert scores["d2"] == pytest.approx(1.0)
    assert scores["d1"] == pytest.approx(float(2 / torch.tensor(5.0).sqrt()))
