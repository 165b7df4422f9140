"""SparseRerankingEvaluator: rank each query's own candidates (positives + negatives) by similarity.

Keys: ``map`` (average precision over the whole candidate list), ``mrr@{at_k}``, ``ndcg@{at_k}``,
and ``query_``/``corpus_`` ``active_dims`` and ``sparsity_ratio`` (mean over encode calls). The
similarity defaults to cosine, as in the reference, even when the model scores with dot. Metrics
come from :mod:`splade_search.eval.metrics`; a positive and a negative with equal scores are
ranked negative first (a tie never helps the model).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from ...errors import InputError
from ...similarity import cos_sim
from ..metrics import evaluate_run
from .base import SparseEvaluator

logger = logging.getLogger(__name__)

Sample = Mapping[str, Any]


class SparseRerankingEvaluator(SparseEvaluator):
    """MAP, MRR@k and nDCG@k of re-ranking ``samples`` (``{"query", "positive": [...], "negative": [...]}``)."""

    def __init__(
        self,
        samples: Sequence[Sample] | Mapping[Any, Sample],
        at_k: int = 10,
        name: str = "",
        write_csv: bool = True,
        similarity_fct: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = cos_sim,
        batch_size: int = 64,
        show_progress_bar: bool = False,
        use_batched_encoding: bool = True,
        max_active_dims: int | None = None,
        mrr_at_k: int | None = None,
    ) -> None:
        super().__init__(
            name, write_csv=write_csv, batch_size=batch_size, show_progress_bar=show_progress_bar, max_active_dims=max_active_dims
        )
        if mrr_at_k is not None:
            logger.warning("mrr_at_k is deprecated; use at_k=%d instead", mrr_at_k)
            at_k = mrr_at_k
        if at_k < 1:
            raise InputError(f"at_k must be a positive integer, got {at_k}")
        self.at_k = at_k
        self.similarity_fct = similarity_fct
        self.use_batched_encoding = use_batched_encoding
        given = list(samples.values()) if isinstance(samples, Mapping) else list(samples)
        self.samples = [sample for sample in map(_normalize, given) if sample["positive"] and sample["negative"]]
        if not self.samples:
            raise InputError("no sample has both a positive and a negative document: nothing to rerank")
        self.csv_file = f"RerankingEvaluator{'_' + name if name else ''}_results_@{at_k}.csv"
        self.primary_metric = f"ndcg@{at_k}"

    def compute_metrics(self, model: Any) -> dict[str, float]:
        """Score every sample's candidates, then MAP, MRR@k and nDCG@k over the samples."""
        scores = self._batched_scores(model) if self.use_batched_encoding else [self._sample_scores(model, s) for s in self.samples]
        qrels, run = {}, {}
        for number, (sample, sample_scores) in enumerate(zip(self.samples, scores)):
            doc_ids = _candidate_ids(len(sample["positive"]), len(sample["negative"]))
            qrels[str(number)] = {doc_id: 1 for doc_id in doc_ids[: len(sample["positive"])]}
            run[str(number)] = dict(zip(doc_ids, sample_scores))
        depth = max(len(hits) for hits in run.values())
        aggregate = evaluate_run(qrels, run, sorted({self.at_k, depth}), metrics=("map", "mrr", "ndcg")).aggregate
        metrics = {
            "map": aggregate[f"map@{depth}"],
            f"mrr@{self.at_k}": aggregate[f"mrr@{self.at_k}"],
            f"ndcg@{self.at_k}": aggregate[f"ndcg@{self.at_k}"],
        }
        for side in ("query", "corpus"):
            metrics.update(self.sparsity.stats(side))
        return metrics

    def csv_columns(self) -> list[tuple[str, str]]:
        """``MAP, MRR@k, NDCG@k``, then the query and corpus sparsity stats."""
        stats = [f"{side}_{key}" for side in ("query", "corpus") for key in ("active_dims", "sparsity_ratio")]
        return [("MAP", "map"), (f"MRR@{self.at_k}", f"mrr@{self.at_k}"), (f"NDCG@{self.at_k}", f"ndcg@{self.at_k}")] + [
            (key, key) for key in stats
        ]

    def _batched_scores(self, model: Any) -> list[list[float]]:
        queries = self.encode(model, [s["query"] for s in self.samples], "query", "query").coalesce()
        documents = [doc for s in self.samples for doc in (*s["positive"], *s["negative"])]
        docs = self.encode(model, documents, "document", "corpus").coalesce()
        scores, start = [], 0
        for row, sample in enumerate(self.samples):
            count = len(sample["positive"]) + len(sample["negative"])
            query = queries.index_select(0, torch.tensor([row]))
            candidates = docs.index_select(0, torch.arange(start, start + count))
            scores.append(_row_scores(self.similarity_fct(query, candidates)))
            start += count
        return scores

    def _sample_scores(self, model: Any, sample: Sample) -> list[float]:
        query = self.encode(model, [sample["query"]], "query", "query")
        candidates = self.encode(model, [*sample["positive"], *sample["negative"]], "document", "corpus")
        return _row_scores(self.similarity_fct(query, candidates))


def _normalize(sample: Sample) -> dict[str, Any]:
    if "query" not in sample or "positive" not in sample or "negative" not in sample:
        raise InputError(f"a reranking sample needs 'query', 'positive' and 'negative', got keys {sorted(sample)}")
    return {**sample, "positive": _as_list(sample["positive"]), "negative": _as_list(sample["negative"])}


def _as_list(texts: str | Sequence[str]) -> list[str]:
    return [texts] if isinstance(texts, str) else list(texts)


def _candidate_ids(positives: int, negatives: int) -> list[str]:
    """Ids ordered so that trec_eval's tie rule (higher id first) ranks negatives before positives."""
    return [f"{position:07d}" for position in range(positives + negatives)]


def _row_scores(scores: torch.Tensor) -> list[float]:
    scores = torch.as_tensor(scores).to_dense()
    return (scores[0] if scores.dim() > 1 else scores).float().tolist()
