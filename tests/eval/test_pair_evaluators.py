"""Similarity, binary classification, triplet, MSE, reranking and translation evaluators: keys, directions, CSVs."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from eval_stubs import StubEncoder

from splade_search.errors import InputError
from splade_search.eval.evaluators import (
    SparseBinaryClassificationEvaluator,
    SparseEmbeddingSimilarityEvaluator,
    SparseMSEEvaluator,
    SparseRerankingEvaluator,
    SparseTranslationEvaluator,
    SparseTripletEvaluator,
)
from splade_search.eval.evaluators.classification import average_precision, best_accuracy, best_f1, classify

# identical texts are the positive pairs: distance 0, the best possible
PAIRS_1 = ["apple banana", "cherry date", "fig grape", "honey ice", "jam kiwi"]
PAIRS_2 = ["apple banana", "cherry date", "lime mango", "honey olive", "nut pear"]
LABELS = [1, 1, 0, 0, 0]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("fn", ["euclidean", "manhattan"])
def test_binary_classification_thresholds_distances_the_right_way(fn, tmp_path) -> None:
    evaluator = SparseBinaryClassificationEvaluator(PAIRS_1, PAIRS_2, LABELS, similarity_fn_names=[fn], name="pairs")
    results = evaluator(StubEncoder(), output_path=str(tmp_path))
    assert results[f"pairs_{fn}_accuracy"] == 1.0
    assert results[f"pairs_{fn}_ap"] == 1.0
    assert results[f"pairs_{fn}_f1"] == 1.0 and results[f"pairs_{fn}_mcc"] == 1.0
    # a distance threshold: positives lie at 0, the nearest negative pair further away
    assert 0.0 < results[f"pairs_{fn}_accuracy_threshold"] < 2.0
    assert evaluator.primary_metric == f"pairs_{fn}_ap"
    header = read_csv(tmp_path / "binary_classification_evaluation_pairs_results.csv")[0]
    assert header[2:] == [f"{fn}_{m}" for m in ("accuracy", "accuracy_threshold", "f1", "precision", "recall", "f1_threshold", "ap", "mcc")] + [
        "active_dims", "sparsity_ratio"
    ]


def test_binary_classification_several_functions_report_max() -> None:
    evaluator = SparseBinaryClassificationEvaluator(PAIRS_1, PAIRS_2, LABELS, similarity_fn_names=["cosine", "dot", "euclidean"])
    results = evaluator(StubEncoder())
    assert evaluator.primary_metric == "max_ap"
    assert results["max_ap"] == max(results[f"{fn}_ap"] for fn in ("cosine", "dot", "euclidean"))
    assert results["active_dims"] == pytest.approx(2.0)
    with pytest.raises(InputError, match="0 or 1"):
        SparseBinaryClassificationEvaluator(["a"], ["b"], [2])


def test_classification_helpers_agree_with_sklearn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = np.round(labels * 0.5 + rng.normal(size=200), 1)  # rounded: many ties
    assert average_precision(scores, labels) == pytest.approx(metrics.average_precision_score(labels, scores))
    accuracy, threshold = best_accuracy(scores, labels)
    assert accuracy == pytest.approx(metrics.accuracy_score(labels, scores >= threshold))
    f1, _, _, f1_threshold = best_f1(scores, labels)
    assert f1 == pytest.approx(metrics.f1_score(labels, scores >= f1_threshold))
    distance = classify(-scores, labels, greater_is_better=False)
    assert distance.mcc == pytest.approx(metrics.matthews_corrcoef(labels, -scores <= distance.f1_threshold))
    assert distance.ap == pytest.approx(metrics.average_precision_score(labels, scores))


def test_embedding_similarity_keys_and_csv(tmp_path) -> None:
    evaluator = SparseEmbeddingSimilarityEvaluator(PAIRS_1, PAIRS_2, [1.0, 0.9, 0.1, 0.4, 0.0], similarity_fn_names=["cosine", "dot"], name="sts")
    results = evaluator(StubEncoder(), output_path=str(tmp_path))
    assert set(results) == {f"sts_{m}_{fn}" for m in ("pearson", "spearman") for fn in ("cosine", "dot", "max")} | {
        "sts_active_dims", "sts_sparsity_ratio"
    }
    assert evaluator.primary_metric == "sts_spearman_max"
    rows = read_csv(tmp_path / "similarity_evaluation_sts_results.csv")
    assert rows[0] == ["epoch", "steps", "cosine_pearson", "cosine_spearman", "dot_pearson", "dot_spearman", "active_dims", "sparsity_ratio"]
    single = SparseEmbeddingSimilarityEvaluator(PAIRS_1, PAIRS_2, [1.0, 0.9, 0.1, 0.4, 0.0], main_similarity="cosine")
    single(StubEncoder())
    assert single.primary_metric == "spearman_cosine"


@pytest.mark.parametrize("fn", ["dot", "euclidean", "manhattan"])
def test_triplet_accuracy_is_right_for_distances(fn) -> None:
    anchors = ["apple banana", "cherry date"]
    positives = ["apple banana", "cherry date fig"]
    negatives = ["grape", "honey ice"]
    evaluator = SparseTripletEvaluator(anchors, positives, negatives, similarity_fn_names=[fn], name="tri")
    results = evaluator(StubEncoder())
    assert results[f"tri_{fn}_accuracy"] == 1.0
    assert results["tri_anchor_active_dims"] == 2.0 and results["tri_positive_active_dims"] == 2.5
    assert results["tri_negative_active_dims"] == 1.5
    strict = SparseTripletEvaluator(anchors, positives, negatives, similarity_fn_names=[fn], margin=100.0)
    assert strict(StubEncoder())[f"{fn}_accuracy"] == 0.0


def test_mse_against_a_teacher(tmp_path) -> None:
    teacher = StubEncoder()
    evaluator = SparseMSEEvaluator(["apple", "fig"], ["apple", "apple"], teacher_model=teacher, name="distill")
    results = evaluator(StubEncoder(), output_path=str(tmp_path))
    expected = 100 * 2 / (2 * len(teacher.vocab))  # "fig" vs "apple": two dimensions off by 1
    assert results["distill_negative_mse"] == pytest.approx(-expected)
    assert evaluator.primary_metric == "distill_negative_mse"
    rows = read_csv(tmp_path / "mse_evaluation_distill_results.csv")
    assert rows[0] == ["epoch", "steps", "MSE", "active_dims", "sparsity_ratio"]
    assert float(rows[1][2]) == pytest.approx(expected)
    with pytest.raises(InputError, match="teacher_model"):
        SparseMSEEvaluator(["a"], ["a"])


@pytest.mark.parametrize("batched", [True, False])
def test_reranking_metrics(batched, tmp_path) -> None:
    samples = [
        {"query": "apple", "positive": ["apple banana"], "negative": ["fig", "apple apple cherry"]},
        {"query": "grape", "positive": "grape", "negative": ["honey"]},
        {"query": "lime", "positive": [], "negative": ["nut"]},  # dropped: no positive
    ]
    evaluator = SparseRerankingEvaluator(samples, at_k=10, use_batched_encoding=batched)
    results = evaluator(StubEncoder(), output_path=str(tmp_path))
    # sample 1 by cosine: "apple apple cherry" (0.894) > "apple banana" (0.707) > "fig" (0): positive at rank 2
    assert results["mrr@10"] == pytest.approx((0.5 + 1.0) / 2)
    assert results["map"] == pytest.approx((0.5 + 1.0) / 2)
    assert results["ndcg@10"] == pytest.approx((1 / np.log2(3) + 1.0) / 2)
    assert results["query_active_dims"] == 1.0
    assert evaluator.primary_metric == "ndcg@10"
    assert read_csv(tmp_path / "RerankingEvaluator_results_@10.csv")[0][2:5] == ["MAP", "MRR@10", "NDCG@10"]


def test_translation_accuracy_both_ways() -> None:
    evaluator = SparseTranslationEvaluator(["apple", "fig grape", "honey"], ["apple", "fig", "kiwi"], name="en-xx")
    results = evaluator(StubEncoder())
    # "honey" and "kiwi" share nothing: all cosine scores tie at 0 and argmax picks the first candidate
    assert results["en-xx_src2trg_accuracy"] == pytest.approx(2 / 3)
    assert results["en-xx_trg2src_accuracy"] == pytest.approx(2 / 3)
    assert results["en-xx_mean_accuracy"] == pytest.approx(2 / 3)
    assert evaluator.primary_metric == "en-xx_mean_accuracy"
