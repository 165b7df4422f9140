"""ReciprocalRankFusionEvaluator: fuse two precomputed rankings per query (e.g. dense and sparse) with RRF.

The fusion itself is :func:`splade_search.retrieval.fusion.reciprocal_rank_fusion` (also used by
`HybridRetriever`).

A document's fused score is ``Σ 1 / (rrf_k + rank)`` over the retrievers that returned it, with
1-based ranks (the canonical RRF; the v6 fix #3883): a retriever that did not return a document
adds nothing. Equal fused scores keep the dense order, then the sparse one. Keys:
``dense_map, dense_mrr@k, dense_ndcg@k, sparse_…`` and the fused ``map, mrr@k, ndcg@k`` (``map``
over the whole list), prefixed ``{name}_`` when named, and so is ``primary_metric`` (``ndcg@k``;
the fix of #3861). Metrics follow :mod:`splade_search.eval.metrics`: relevant documents that a
list misses count as not retrieved.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...retrieval.fusion import reciprocal_rank_fusion
from ..metrics import evaluate_rankings
from .base import SparseEvaluator

Sample = Mapping[str, Any]
SYSTEMS = ("dense", "sparse", "fusion")


class ReciprocalRankFusionEvaluator(SparseEvaluator):
    """Compare dense, sparse and RRF-fused rankings of the same queries.

    Samples are ``{"query_id", "query", "positive": [...], "documents": [ranked ids or texts]}``;
    ``dense_samples[i]`` and ``sparse_samples[i]`` must be about the same query. The model
    argument of a call is ignored (the rankings are precomputed); as in the reference,
    ``evaluator(output_path)`` also works.
    """

    def __init__(
        self,
        dense_samples: Sequence[Sample],
        sparse_samples: Sequence[Sample],
        at_k: int = 10,
        rrf_k: int = 60,
        name: str = "",
        batch_size: int = 32,
        show_progress_bar: bool = False,
        write_csv: bool = True,
        write_predictions: bool = False,
    ) -> None:
        super().__init__(name, write_csv=write_csv, batch_size=batch_size, show_progress_bar=show_progress_bar)
        _check_samples(dense_samples, sparse_samples)
        if at_k < 1 or rrf_k < 0:
            raise InputError(f"at_k must be positive and rrf_k non-negative, got at_k={at_k}, rrf_k={rrf_k}")
        self.dense_samples, self.sparse_samples = list(dense_samples), list(sparse_samples)
        self.at_k, self.rrf_k = at_k, rrf_k
        self.write_predictions = write_predictions
        suffix = f"_{name}" if name else ""
        self.csv_file = f"ReciprocalRankFusion_evaluation{suffix}_results.csv"
        self.predictions_file = f"ReciprocalRankFusion_evaluation{suffix}_predictions.jsonl"
        self.primary_metric = f"ndcg@{at_k}"
        self.fused: list[list[str]] = []

    def __call__(
        self, model: Any = None, output_path: str | None = None, epoch: float = -1, steps: int = -1
    ) -> dict[str, float]:
        """Evaluate the three rankings; a path given first is taken as ``output_path``."""
        if output_path is None and isinstance(model, (str, os.PathLike)):
            model, output_path = None, str(model)
        return super().__call__(model, output_path, epoch, steps)

    def compute_metrics(self, model: Any = None) -> dict[str, float]:
        """MAP, MRR@k and nDCG@k of the dense, sparse and fused rankings."""
        self.fused = [
            [doc for doc, _ in reciprocal_rank_fusion([dense["documents"], sparse["documents"]], self.rrf_k)]
            for dense, sparse in zip(self.dense_samples, self.sparse_samples)
        ]
        qrels = {str(i): {doc: 1 for doc in _positives(s)} for i, s in enumerate(self.dense_samples)}
        systems = {
            "dense": [list(dict.fromkeys(s["documents"])) for s in self.dense_samples],
            "sparse": [list(dict.fromkeys(s["documents"])) for s in self.sparse_samples],
            "fusion": self.fused,
        }
        metrics = {}
        for system, rankings in systems.items():
            depth = max(self.at_k, *(len(ranking) for ranking in rankings))
            scores = evaluate_rankings(
                qrels, {str(i): r for i, r in enumerate(rankings)}, sorted({self.at_k, depth}), metrics=("map", "mrr", "ndcg")
            ).aggregate
            prefix = "" if system == "fusion" else f"{system}_"
            metrics[f"{prefix}map"] = scores[f"map@{depth}"]
            metrics[f"{prefix}mrr@{self.at_k}"] = scores[f"mrr@{self.at_k}"]
            metrics[f"{prefix}ndcg@{self.at_k}"] = scores[f"ndcg@{self.at_k}"]
        return metrics

    def csv_columns(self) -> list[tuple[str, str]]:
        """``Dense_MAP, Dense_MRR@k, Dense_NDCG@k``, the same for ``Sparse_`` and ``Fusion_``."""
        columns = []
        for system in SYSTEMS:
            prefix = "" if system == "fusion" else f"{system}_"
            label = system.capitalize()
            columns += [(f"{label}_MAP", f"{prefix}map"), (f"{label}_MRR@{self.at_k}", f"{prefix}mrr@{self.at_k}")]
            columns.append((f"{label}_NDCG@{self.at_k}", f"{prefix}ndcg@{self.at_k}"))
        return columns

    def write_outputs(self, output_path: Path) -> None:
        """With ``write_predictions``: the fused lists as JSONL ``{query_id, query, positive, documents}``."""
        if not self.write_predictions:
            return
        with open(output_path / self.predictions_file, "w", encoding="utf-8") as f:
            for sample, fused in zip(self.dense_samples, self.fused):
                record = {"query_id": sample["query_id"], "query": sample.get("query"), "positive": _positives(sample), "documents": fused}
                f.write(json.dumps(record) + "\n")


def _positives(sample: Sample) -> list[str]:
    positive = sample.get("positive", [])
    return [positive] if isinstance(positive, str) else list(positive)


def _check_samples(dense: Sequence[Sample], sparse: Sequence[Sample]) -> None:
    if len(dense) != len(sparse):
        raise InputError(f"dense_samples ({len(dense)}) and sparse_samples ({len(sparse)}) must have the same length")
    if not dense:
        raise InputError("no samples: give at least one query's rankings")
    for i, (d, s) in enumerate(zip(dense, sparse)):
        if "query_id" not in d or "query_id" not in s or "documents" not in d or "documents" not in s:
            raise InputError(f"sample {i} needs 'query_id' and 'documents' in both dense and sparse samples")
        if d["query_id"] != s["query_id"]:
            raise InputError(f"sample {i}: dense query_id {d['query_id']!r} differs from sparse {s['query_id']!r}")
