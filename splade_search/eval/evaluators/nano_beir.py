"""SparseNanoBEIREvaluator: one SparseInformationRetrievalEvaluator per NanoBEIR subset, plus aggregates.

Per dataset the keys are ``Nano<Name>[_<max_active_dims>]_{fn}_{metric}@{k}`` and its sparsity
stats; the aggregate, named ``NanoBEIR_<aggregate_key>[_<max_active_dims>]``, holds:

- IR metrics: ``aggregate_fn`` (default ``np.mean``, unweighted) over the datasets;
- ``query_*`` stats: the mean weighted by each dataset's number of queries; ``corpus_*`` stats:
  weighted by corpus size;
- ``avg_flops``: recomputed from the count vectors summed over datasets, not averaged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...data.nanobeir import DEFAULT_SOURCE, NANOBEIR_DATASETS, load_nanobeir, nanobeir_name
from ...errors import InputError
from ..metrics import metric_key
from .base import SparseEvaluator, prefixed
from .information_retrieval import (
    SPARSITY_KEYS,
    ScoreFunction,
    SparseInformationRetrievalEvaluator,
    ir_csv_columns,
    score_function_name,
)
from .sparsity import avg_flops


class SparseNanoBEIREvaluator(SparseEvaluator):
    """Evaluate on NanoBEIR subsets (``dataset_names``, default all 13) loaded with :func:`~splade_search.data.load_nanobeir`.

    ``dataset_id`` is the hub source; ``local_dir`` a folder of BEIR folders (``Nano<Name>/`` or
    ``<shortname>/``) read instead of the hub. ``query_prompts``/``corpus_prompts``: one prompt for
    all datasets, or a dict by short name. Other arguments go to each IR evaluator.
    """

    def __init__(
        self,
        dataset_names: Sequence[str] | None = None,
        dataset_id: str = DEFAULT_SOURCE,
        mrr_at_k: Sequence[int] = (10,),
        ndcg_at_k: Sequence[int] = (10,),
        accuracy_at_k: Sequence[int] = (1, 3, 5, 10),
        precision_recall_at_k: Sequence[int] = (1, 3, 5, 10),
        map_at_k: Sequence[int] = (100,),
        show_progress_bar: bool = False,
        batch_size: int = 32,
        write_csv: bool = True,
        max_active_dims: int | None = None,
        score_functions: Mapping[str, ScoreFunction] | None = None,
        main_score_function: str | None = None,
        aggregate_fn: Callable[[list[float]], float] = np.mean,
        aggregate_key: str = "mean",
        query_prompts: str | Mapping[str, str] | None = None,
        corpus_prompts: str | Mapping[str, str] | None = None,
        write_predictions: bool = False,
        local_dir: str | Path | None = None,
    ) -> None:
        suffix = f"_{max_active_dims}" if max_active_dims is not None else ""
        super().__init__(
            f"NanoBEIR_{aggregate_key}{suffix}",
            write_csv=write_csv,
            batch_size=batch_size,
            show_progress_bar=show_progress_bar,
            max_active_dims=max_active_dims,
        )
        names = [nanobeir_name(name) for name in (dataset_names or list(NANOBEIR_DATASETS))]
        if not names:
            raise InputError("dataset_names is empty; name at least one NanoBEIR dataset")
        self.dataset_names = names
        self.aggregate_fn = aggregate_fn
        self.aggregate_key = aggregate_key
        self.main_score_function = score_function_name(main_score_function)
        self.csv_file = f"NanoBEIR_evaluation_{aggregate_key}_results.csv"
        ir_kwargs = {
            "mrr_at_k": mrr_at_k,
            "ndcg_at_k": ndcg_at_k,
            "accuracy_at_k": accuracy_at_k,
            "precision_recall_at_k": precision_recall_at_k,
            "map_at_k": map_at_k,
            "show_progress_bar": show_progress_bar,
            "batch_size": batch_size,
            "write_csv": write_csv,
            "max_active_dims": max_active_dims,
            "score_functions": score_functions,
            "main_score_function": main_score_function,
            "write_predictions": write_predictions,
        }
        self.evaluators = [
            SparseInformationRetrievalEvaluator.from_beir(
                load_nanobeir(short, source=dataset_id, local_dir=local_dir),
                name=f"Nano{NANOBEIR_DATASETS[short]}{suffix}",
                query_prompt=_pick(query_prompts, short),
                corpus_prompt=_pick(corpus_prompts, short),
                **ir_kwargs,
            )
            for short in names
        ]
        self._per_dataset: list[dict[str, float]] | None = None

    def __call__(
        self, model: Any, output_path: str | None = None, epoch: float = -1, steps: int = -1
    ) -> dict[str, float]:
        """Per-dataset keys of every subset, then the aggregate keys (see the module docstring)."""
        self._per_dataset = [evaluator(model, output_path, epoch, steps) for evaluator in self.evaluators]
        try:
            aggregated = super().__call__(model, output_path, epoch, steps)
        finally:
            per_dataset, self._per_dataset = self._per_dataset, None
        merged = {key: value for results in per_dataset for key, value in results.items()}
        merged.update(aggregated)
        return merged

    def compute_metrics(self, model: Any) -> dict[str, float]:
        """The aggregate metrics (unprefixed); evaluates the datasets unless :meth:`__call__` already did."""
        per_dataset = self._per_dataset or [evaluator(model) for evaluator in self.evaluators]
        first = self.evaluators[0]
        ir_keys = [key for _, key in ir_csv_columns(first.score_function_names, first.at_k)]
        metrics = {
            key: float(self.aggregate_fn([results[prefixed(key, ev.name)] for ev, results in zip(self.evaluators, per_dataset)]))
            for key in ir_keys
        }
        metrics.update(self._sparsity(per_dataset))
        ndcg_at = max(first.at_k["ndcg"])
        best = self.main_score_function or max(
            first.score_function_names, key=lambda fn: metrics[metric_key("ndcg", ndcg_at, fn)]
        )
        self.primary_metric = metric_key("ndcg", ndcg_at, best)
        return metrics

    def csv_columns(self) -> list[tuple[str, str]]:
        """The IR columns of the aggregate, then the aggregated sparsity stats."""
        first = self.evaluators[0]
        return ir_csv_columns(first.score_function_names, first.at_k) + [(key, key) for key in SPARSITY_KEYS]

    def _sparsity(self, per_dataset: list[dict[str, float]]) -> dict[str, float]:
        """Query stats weighted by #queries, corpus stats by corpus size, avg_flops from summed count vectors."""
        weights = {
            "query": np.array([len(ev.query_ids) for ev in self.evaluators], dtype=np.float64),
            "corpus": np.array([len(ev.corpus) for ev in self.evaluators], dtype=np.float64),
        }
        stats = {}
        for key in SPARSITY_KEYS[:-1]:
            side = key.split("_", 1)[0]
            values = [results[prefixed(key, ev.name)] for ev, results in zip(self.evaluators, per_dataset)]
            stats[key] = float(np.average(values, weights=weights[side]))
        counts = {side: [ev.sparsity.side(side) for ev in self.evaluators] for side in ("query", "corpus")}
        stats["avg_flops"] = avg_flops(
            _sum_counts(counts["query"]),
            sum(side.total_rows for side in counts["query"]),
            _sum_counts(counts["corpus"]),
            sum(side.total_rows for side in counts["corpus"]),
        )
        return stats


def _sum_counts(sides: list[Any]) -> np.ndarray | None:
    vectors = [side.counts for side in sides if side.counts is not None]
    return np.sum(vectors, axis=0) if vectors else None


def _pick(prompts: str | Mapping[str, str] | None, short: str) -> str | None:
    if prompts is None or isinstance(prompts, str):
        return prompts
    return prompts.get(short)
