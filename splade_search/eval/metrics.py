"""IR metrics at cutoffs k with graded relevance, matching trec_eval (as BEIR and pytrec_eval compute them).

Definitions for one query, over its top-k results (a doc is relevant when its grade is >= 1):

- ``ndcg@k``: DCG with gain = grade (negative grades count 0) and discount log2(rank + 1), divided
  by the DCG of the ideal ordering of all judged grades (trec_eval ``ndcg_cut``);
- ``map@k``: sum of the precision at each relevant hit, divided by the number of relevant docs in
  the qrels (trec_eval ``map_cut``, not divided by min(k, relevant));
- ``recall@k``: relevant hits / relevant docs in the qrels; ``precision@k``: relevant hits / k;
- ``mrr@k``: 1 / rank of the first relevant hit; ``accuracy@k``: 1 if any hit is relevant.

A query whose judgements are all non-relevant scores 0 on every metric (as in trec_eval). Runs
given with scores are ranked as trec_eval ranks them: by score descending, ties broken by doc id
descending. Aggregates are means over *all* judged queries; a judged query absent from the run
scores 0 (``trec_eval -c``), and run queries without judgements are ignored.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..errors import InputError

METRICS = ("accuracy", "precision", "recall", "mrr", "ndcg", "map")
DEFAULT_K_VALUES = (1, 3, 5, 10, 100)


@dataclass(frozen=True)
class EvaluationResult:
    """Scores keyed ``"<metric>@<k>"``: per judged query, their means, and the judged queries the run lacked."""

    per_query: dict[str, dict[str, float]]
    aggregate: dict[str, float]
    missing_queries: tuple[str, ...]


def metric_key(metric: str, k: int, prefix: str | None = None) -> str:
    """The name of a score: ``ndcg@10``, or ``dot_ndcg@10`` with ``prefix="dot"`` (sentence-transformers style)."""
    return f"{prefix}_{metric}@{k}" if prefix else f"{metric}@{k}"


def with_prefix(scores: Mapping[str, float], prefix: str) -> dict[str, float]:
    """``scores`` with every key prefixed by ``<prefix>_`` (e.g. the score function ``dot`` or ``cosine``)."""
    return {f"{prefix}_{key}": value for key, value in scores.items()}


def rank_by_score(hits: Mapping[str, float], depth: int | None = None) -> list[str]:
    """Doc ids ordered as trec_eval orders them (score descending, then doc id descending), cut at ``depth``."""
    if depth is None:
        ordered = sorted(hits.items(), key=_trec_order, reverse=True)
    else:
        ordered = heapq.nlargest(depth, hits.items(), key=_trec_order)
    return [doc_id for doc_id, _ in ordered]


def _trec_order(hit: tuple[str, float]) -> tuple[float, str]:
    doc_id, score = hit
    return score, doc_id


def evaluate_run(
    qrels: Mapping[str, Mapping[str, int]],
    run: Mapping[str, Mapping[str, float]],
    k_values: Iterable[int] = DEFAULT_K_VALUES,
    metrics: Iterable[str] = METRICS,
    ignore_identical_ids: bool = False,
) -> EvaluationResult:
    """Score a run (query id -> doc id -> score) against ``qrels`` (query id -> doc id -> grade).

    ``ignore_identical_ids`` drops hits whose doc id equals the query id before ranking, as BEIR
    does for ArguAna and Quora.
    """
    k_values = _check_k_values(k_values)
    depth = max(k_values)
    rankings = {}
    for query_id, hits in run.items():
        if query_id in qrels:
            kept = (
                {doc_id: score for doc_id, score in hits.items() if doc_id != query_id}
                if ignore_identical_ids
                else hits
            )
            rankings[query_id] = rank_by_score(kept, depth)
    return evaluate_rankings(qrels, rankings, k_values, metrics)


def evaluate_rankings(
    qrels: Mapping[str, Mapping[str, int]],
    rankings: Mapping[str, Sequence[str]],
    k_values: Iterable[int] = DEFAULT_K_VALUES,
    metrics: Iterable[str] = METRICS,
    ignore_identical_ids: bool = False,
) -> EvaluationResult:
    """Score ranked lists (query id -> doc ids, best first) against ``qrels``; same rules as :func:`evaluate_run`.

    For parallel lists, pass ``dict(zip(query_ids, ranked_lists))``. A doc listed twice for a
    query raises :class:`InputError`.
    """
    k_values = _check_k_values(k_values)
    metrics = _check_metrics(metrics)
    if not qrels:
        raise InputError("qrels are empty: there is no judged query to evaluate")
    per_query: dict[str, dict[str, float]] = {}
    missing: list[str] = []
    for query_id, judged in qrels.items():
        ranking = rankings.get(query_id)
        if ranking is None:
            missing.append(query_id)
            ranking = ()
        elif ignore_identical_ids:
            ranking = [doc_id for doc_id in ranking if doc_id != query_id]
        _check_unique(query_id, ranking[: k_values[-1]])
        per_query[query_id] = query_metrics(ranking, judged, k_values, metrics)
    keys = [metric_key(metric, k) for metric in metrics for k in k_values]
    aggregate = {key: math.fsum(scores[key] for scores in per_query.values()) / len(per_query) for key in keys}
    return EvaluationResult(per_query, aggregate, tuple(missing))


def query_metrics(
    ranking: Sequence[str], judged: Mapping[str, int], k_values: Sequence[int], metrics: Sequence[str] = METRICS
) -> dict[str, float]:
    """The metrics of one query's ranking (distinct doc ids, best first) given its judgements (doc id -> grade)."""
    top = list(ranking[: max(k_values)])
    num_relevant = sum(1 for grade in judged.values() if grade >= 1)
    ideal = sorted((grade for grade in judged.values() if grade > 0), reverse=True)
    scores: dict[str, float] = {}
    for k in k_values:
        grades = [judged.get(doc_id, 0) for doc_id in top[:k]]
        hit_ranks = [rank for rank, grade in enumerate(grades, start=1) if grade >= 1]
        values = {
            "accuracy": 1.0 if hit_ranks else 0.0,
            "precision": len(hit_ranks) / k,
            "recall": len(hit_ranks) / num_relevant if num_relevant else 0.0,
            "mrr": 1.0 / hit_ranks[0] if hit_ranks else 0.0,
            "map": _average_precision(hit_ranks, num_relevant),
            "ndcg": _ndcg(grades, ideal[:k]),
        }
        scores.update({metric_key(metric, k): values[metric] for metric in metrics})
    return scores


def _average_precision(hit_ranks: list[int], num_relevant: int) -> float:
    if not num_relevant:
        return 0.0
    return sum(count / rank for count, rank in enumerate(hit_ranks, start=1)) / num_relevant


def _dcg(grades: Iterable[int]) -> float:
    return sum(grade / math.log2(rank + 1) for rank, grade in enumerate(grades, start=1) if grade > 0)


def _ndcg(grades: list[int], ideal: list[int]) -> float:
    best = _dcg(ideal)
    return _dcg(grades) / best if best > 0 else 0.0


def _check_unique(query_id: str, ranking: Sequence[str]) -> None:
    if len(set(ranking)) != len(ranking):
        duplicate = next(doc_id for doc_id in ranking if ranking.count(doc_id) > 1)
        raise InputError(f"query {query_id!r}: doc {duplicate!r} is ranked more than once")


def _check_k_values(k_values: Iterable[int]) -> list[int]:
    given = list(k_values)
    if not given or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in given):
        raise InputError(f"k_values must be positive integers, got {given!r}")
    return sorted(set(given))


def _check_metrics(metrics: Iterable[str]) -> list[str]:
    checked = list(dict.fromkeys(metrics))
    unknown = [metric for metric in checked if metric not in METRICS]
    if unknown or not checked:
        raise InputError(f"unknown metric(s) {unknown!r}; choose from {', '.join(METRICS)}")
    return checked
