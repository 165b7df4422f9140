"""ReciprocalRankFusionEvaluator on a hand-worked example, and SequentialEvaluator."""

from __future__ import annotations

import json
import math

import pytest
from eval_stubs import StubEncoder

from splade_search.errors import InputError
from splade_search.eval.evaluators import ReciprocalRankFusionEvaluator, SequentialEvaluator, SparseTranslationEvaluator
from splade_search.retrieval.fusion import reciprocal_rank_fusion

DENSE = [{"query_id": "q", "query": "x", "positive": ["d"], "documents": ["a", "b", "c"]}]
SPARSE = [{"query_id": "q", "query": "x", "positive": ["d"], "documents": ["c", "d"]}]


def test_canonical_one_based_rrf_scores_only_returned_documents() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["c", "d"]], rrf_k=60))
    assert fused == pytest.approx({"a": 1 / 61, "b": 1 / 62, "c": 1 / 63 + 1 / 61, "d": 1 / 62})
    # b and d tie: the dense order comes first
    assert [doc for doc, _ in reciprocal_rank_fusion([["a", "b", "c"], ["c", "d"]])] == ["c", "a", "b", "d"]


def test_hand_worked_metrics_and_prefixed_primary_metric(tmp_path) -> None:
    evaluator = ReciprocalRankFusionEvaluator(DENSE, SPARSE, name="hybrid", write_predictions=True)
    results = evaluator(output_path=str(tmp_path))
    assert evaluator.primary_metric == "hybrid_ndcg@10"
    assert results == pytest.approx(
        {
            "hybrid_dense_map": 0.0, "hybrid_dense_mrr@10": 0.0, "hybrid_dense_ndcg@10": 0.0,
            "hybrid_sparse_map": 0.5, "hybrid_sparse_mrr@10": 0.5, "hybrid_sparse_ndcg@10": 1 / math.log2(3),
            "hybrid_map": 0.25, "hybrid_mrr@10": 0.25, "hybrid_ndcg@10": 1 / math.log2(5),
        }
    )
    header = (tmp_path / "ReciprocalRankFusion_evaluation_hybrid_results.csv").read_text().splitlines()[0]
    assert header.startswith("epoch,steps,Dense_MAP,Dense_MRR@10,Dense_NDCG@10,Sparse_MAP")
    prediction = json.loads((tmp_path / "ReciprocalRankFusion_evaluation_hybrid_predictions.jsonl").read_text())
    assert prediction["documents"] == ["c", "a", "b", "d"]


def test_path_as_first_argument_and_model_ignored(tmp_path) -> None:
    evaluator = ReciprocalRankFusionEvaluator(DENSE, SPARSE)
    evaluator(str(tmp_path))
    assert (tmp_path / "ReciprocalRankFusion_evaluation_results.csv").is_file()
    assert evaluator(StubEncoder())["ndcg@10"] == pytest.approx(1 / math.log2(5))


def test_mismatched_samples_are_refused() -> None:
    with pytest.raises(InputError, match="same length"):
        ReciprocalRankFusionEvaluator(DENSE, SPARSE * 2)
    with pytest.raises(InputError, match="query_id"):
        ReciprocalRankFusionEvaluator(DENSE, [{**SPARSE[0], "query_id": "other"}])


def test_sequential_merges_and_scores_the_last_primary_metric() -> None:
    translation = SparseTranslationEvaluator(["apple", "fig"], ["apple", "fig"], name="tr")
    rrf = ReciprocalRankFusionEvaluator(DENSE, SPARSE, name="hybrid")
    sequential = SequentialEvaluator([translation, rrf])
    results = sequential(StubEncoder())
    assert sequential.primary_metric == "sequential_score"
    assert results["tr_mean_accuracy"] == 1.0
    assert results["sequential_score"] == results["hybrid_ndcg@10"]
    averaged = SequentialEvaluator([translation, rrf], main_score_function=lambda scores: sum(scores) / len(scores))
    assert averaged(StubEncoder())["sequential_score"] == pytest.approx((1.0 + 1 / math.log2(5)) / 2)
