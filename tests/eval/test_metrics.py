"""IR metrics: hand-computed cases and agreement with pytrec_eval (trec_eval) on random runs."""

from __future__ import annotations

import math
import random
import subprocess
import sys

import pytest

from splade_search.errors import InputError
from splade_search.eval.metrics import (
    METRICS,
    evaluate_rankings,
    evaluate_run,
    metric_key,
    rank_by_score,
    with_prefix,
)

K_VALUES = (1, 3, 5, 10, 100)


def test_hand_computed_example() -> None:
    qrels = {"q": {"a": 3, "b": 1, "c": 0, "z": 2}}
    result = evaluate_rankings(qrels, {"q": ["b", "x", "a", "c"]}, k_values=(1, 3))
    scores = result.per_query["q"]
    dcg3 = 1 + 3 / math.log2(4)
    idcg3 = 3 + 2 / math.log2(3) + 1 / math.log2(4)
    assert scores["ndcg@1"] == pytest.approx(1 / 3)
    assert scores["ndcg@3"] == pytest.approx(dcg3 / idcg3)
    assert scores["map@3"] == pytest.approx((1 / 1 + 2 / 3) / 3)
    assert scores["recall@3"] == pytest.approx(2 / 3)
    assert scores["precision@3"] == pytest.approx(2 / 3)
    assert scores["mrr@3"] == 1.0
    assert scores["accuracy@1"] == 1.0
    assert result.aggregate == scores


def test_first_relevant_hit_below_the_cutoff() -> None:
    scores = evaluate_rankings({"q": {"r": 1}}, {"q": ["x", "y", "r"]}, k_values=(1, 3)).per_query["q"]
    assert (scores["mrr@1"], scores["mrr@3"]) == (0.0, pytest.approx(1 / 3))
    assert (scores["accuracy@1"], scores["accuracy@3"]) == (0.0, 1.0)
    assert scores["precision@3"] == pytest.approx(1 / 3)


def test_ties_are_broken_by_descending_doc_id_like_trec_eval() -> None:
    assert rank_by_score({"a": 1.0, "c": 1.0, "b": 2.0, "d": 1.0}) == ["b", "d", "c", "a"]
    assert rank_by_score({"a": 1.0, "c": 1.0, "b": 2.0, "d": 1.0}, depth=2) == ["b", "d"]
    assert evaluate_run({"q": {"a": 1}}, {"q": {"a": 1.0, "b": 1.0}}, k_values=(1,)).aggregate["ndcg@1"] == 0.0


def test_missing_queries_score_zero_and_are_listed() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    result = evaluate_run(qrels, {"q1": {"a": 1.0}, "unjudged": {"a": 1.0}}, k_values=(10,))
    assert result.missing_queries == ("q2",)
    assert set(result.per_query) == {"q1", "q2"}
    assert result.aggregate["ndcg@10"] == 0.5


def test_query_without_relevant_docs_scores_zero() -> None:
    result = evaluate_run({"q": {"a": 0}}, {"q": {"a": 1.0}}, k_values=(10,))
    assert set(result.per_query["q"].values()) == {0.0}


def test_ignore_identical_ids() -> None:
    qrels = {"q1": {"d": 1}}
    run = {"q1": {"q1": 5.0, "d": 1.0}}
    assert evaluate_run(qrels, run, k_values=(1,)).aggregate["ndcg@1"] == 0.0
    assert evaluate_run(qrels, run, k_values=(1,), ignore_identical_ids=True).aggregate["ndcg@1"] == 1.0
    assert (
        evaluate_rankings(qrels, {"q1": ["q1", "d"]}, k_values=(1,), ignore_identical_ids=True).aggregate["ndcg@1"]
        == 1.0
    )


def test_rankings_and_runs_agree() -> None:
    qrels, run = random_case(random.Random(7))
    rankings = {query_id: rank_by_score(hits) for query_id, hits in run.items()}
    assert evaluate_rankings(qrels, rankings) == evaluate_run(qrels, run)


def test_metric_selection_and_key_names() -> None:
    result = evaluate_rankings({"q": {"a": 1}}, {"q": ["a"]}, k_values=[10, 1], metrics=["ndcg", "mrr"])
    assert list(result.aggregate) == ["ndcg@1", "ndcg@10", "mrr@1", "mrr@10"]
    assert metric_key("ndcg", 10) == "ndcg@10"
    assert metric_key("ndcg", 10, prefix="dot") == "dot_ndcg@10"
    assert with_prefix({"map@100": 0.5}, "cosine") == {"cosine_map@100": 0.5}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k_values": [0]}, "k_values must be positive integers"),
        ({"k_values": []}, "k_values must be positive integers"),
        ({"metrics": ["ndcg", "bleu"]}, r"unknown metric\(s\) \['bleu'\]"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        evaluate_rankings({"q": {"a": 1}}, {"q": ["a"]}, **kwargs)  # type: ignore[arg-type]


def test_empty_qrels_and_duplicate_hits() -> None:
    with pytest.raises(InputError, match="qrels are empty"):
        evaluate_run({}, {"q": {"a": 1.0}})
    with pytest.raises(InputError, match=r"query 'q': doc 'a' is ranked more than once"):
        evaluate_rankings({"q": {"a": 1}}, {"q": ["a", "b", "a"]})


def test_importing_eval_package_is_light() -> None:
    loaded = "'splade_search.eval.metrics' in sys.modules, 'pytrec_eval' in sys.modules"
    code = f"import sys, splade_search.eval; print({loaded})"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["False", "False"]


def random_case(rng: random.Random) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    """Graded qrels and a run with tied scores, short rankings, missing and unjudged queries."""
    docs = [f"d{n}" for n in range(60)]
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for n in range(40):
        query_id = f"q{n}"
        judged = rng.sample(docs, rng.randint(1, 12))
        grades = [0] * len(judged) if n % 9 == 0 else [rng.randint(0, 3) for _ in judged]
        qrels[query_id] = dict(zip(judged, grades, strict=True))
        if n % 7 != 3:
            retrieved = rng.sample(docs, rng.choice([0, 2, 4, 8, 30, 60]))
            run[query_id] = {doc_id: float(rng.randint(0, 5)) / 2 for doc_id in retrieved}
    run["unjudged"] = {"d1": 1.0}
    return qrels, run


@pytest.mark.parametrize("seed", range(5))
def test_agreement_with_pytrec_eval(seed: int) -> None:
    pytrec_eval = pytest.importorskip("pytrec_eval")
    qrels, run = random_case(random.Random(seed))
    cutoffs = ",".join(map(str, K_VALUES))
    measures = {
        f"ndcg_cut.{cutoffs}",
        f"map_cut.{cutoffs}",
        f"recall.{cutoffs}",
        f"P.{cutoffs}",
        f"success.{cutoffs}",
        "recip_rank",
    }
    reference = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    ours = evaluate_run(qrels, run, k_values=K_VALUES)
    assert set(ours.missing_queries) == set(qrels) - set(run)
    for query_id in qrels:
        expected = reference.get(query_id)
        for k in K_VALUES:
            scores = ours.per_query[query_id]
            if expected is None:
                assert all(scores[metric_key(metric, k)] == 0.0 for metric in METRICS)
                continue
            reciprocal = expected["recip_rank"]
            assert scores[f"ndcg@{k}"] == pytest.approx(expected[f"ndcg_cut_{k}"], abs=1e-12)
            assert scores[f"map@{k}"] == pytest.approx(expected[f"map_cut_{k}"], abs=1e-12)
            assert scores[f"recall@{k}"] == pytest.approx(expected[f"recall_{k}"], abs=1e-12)
            assert scores[f"precision@{k}"] == pytest.approx(expected[f"P_{k}"], abs=1e-12)
            assert scores[f"accuracy@{k}"] == expected[f"success_{k}"]
            assert scores[f"mrr@{k}"] == pytest.approx(reciprocal if reciprocal and 1 / reciprocal <= k + 1e-9 else 0.0)
    mean_ndcg = sum(reference[query_id]["ndcg_cut_10"] for query_id in reference) / len(qrels)
    assert ours.aggregate["ndcg@10"] == pytest.approx(mean_ndcg, abs=1e-12)
