"""Evaluation: IR metrics, evaluators, index-backed evaluation, suites of systems x datasets, latency and plots.

Names load on first use, so importing this package is cheap."""

from __future__ import annotations

from .._alias import lazy_names

_LAZY = {
    "EvaluationResult": "splade_search.eval.metrics",
    "evaluate_rankings": "splade_search.eval.metrics",
    "evaluate_run": "splade_search.eval.metrics",
    "metric_key": "splade_search.eval.metrics",
    "with_prefix": "splade_search.eval.metrics",
    "IndexEvaluation": "splade_search.eval.index_eval",
    "evaluate_model": "splade_search.eval.index_eval",
    "evaluate_retriever": "splade_search.eval.index_eval",
    "SuiteSettings": "splade_search.eval.suite",
    "evaluate_suite": "splade_search.eval.suite",
    "load_datasets": "splade_search.eval.suite",
    "system_means": "splade_search.eval.suite",
    "write_results": "splade_search.eval.suite",
    "LatencyStats": "splade_search.eval.latency",
    "plot_tradeoff": "splade_search.eval.plots",
}
_EVALUATORS = (
    "SparseInformationRetrievalEvaluator",
    "SparseNanoBEIREvaluator",
    "SparseEmbeddingSimilarityEvaluator",
    "SparseBinaryClassificationEvaluator",
    "SparseTripletEvaluator",
    "SparseMSEEvaluator",
    "SparseRerankingEvaluator",
    "SparseTranslationEvaluator",
    "ReciprocalRankFusionEvaluator",
    "SequentialEvaluator",
)
_LAZY.update({name: "splade_search.eval.evaluators" for name in _EVALUATORS})

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
