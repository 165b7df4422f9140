"""Evaluators with the sentence-transformers sparse-encoder names, arguments and metric keys.

Each is called as ``evaluator(model, output_path=None, epoch=-1, steps=-1) -> dict[str, float]`` and
has ``name``, ``primary_metric`` and ``greater_is_better``. Classes load on first use.
"""

from __future__ import annotations

from ..._alias import lazy_names

_LAZY = {
    "SparseEvaluator": ".base",
    "SparseInformationRetrievalEvaluator": ".information_retrieval",
    "SparseNanoBEIREvaluator": ".nano_beir",
    "SparseEmbeddingSimilarityEvaluator": ".embedding_similarity",
    "SparseBinaryClassificationEvaluator": ".binary_classification",
    "SparseTripletEvaluator": ".triplet",
    "SparseMSEEvaluator": ".mse",
    "SparseRerankingEvaluator": ".reranking",
    "SparseTranslationEvaluator": ".translation",
    "ReciprocalRankFusionEvaluator": ".reciprocal_rank_fusion",
    "SequentialEvaluator": ".sequential",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
