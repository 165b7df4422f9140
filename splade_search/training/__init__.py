"""Training sparse encoders: trainer, arguments, losses, samplers, collator and callbacks.

Names load on first use, so ``import splade_search.training`` stays cheap (no transformers import).
"""

from __future__ import annotations

from .._alias import lazy_names

_LAZY = {
    "SparseEncoderTrainer": "splade_search.training.trainer",
    "SparseEncoderTrainingArguments": "splade_search.training.args",
    "BatchSamplers": "splade_search.training.args",
    "MultiDatasetBatchSamplers": "splade_search.training.args",
    "SparseEncoderDataCollator": "splade_search.training.collator",
    "SpladeRegularizerWeightSchedulerCallback": "splade_search.training.callbacks",
    "SchedulerType": "splade_search.training.callbacks",
    "DefaultBatchSampler": "splade_search.training.samplers",
    "NoDuplicatesBatchSampler": "splade_search.training.samplers",
    "GroupByLabelBatchSampler": "splade_search.training.samplers",
    "RoundRobinBatchSampler": "splade_search.training.samplers",
    "ProportionalBatchSampler": "splade_search.training.samplers",
    "SparseEncoderModelCardData": "splade_search.model_card",
}
_LOSSES = (
    "SpladeLoss",
    "CachedSpladeLoss",
    "CSRLoss",
    "CSRReconstructionLoss",
    "FlopsLoss",
    "L1Loss",
    "SparseMultipleNegativesRankingLoss",
    "SparseMarginMSELoss",
    "SparseDistillKLDivLoss",
    "SparseMSELoss",
    "SparseCoSENTLoss",
    "SparseAnglELoss",
    "SparseCosineSimilarityLoss",
    "SparseTripletLoss",
    "TripletDistanceMetric",
)
_LAZY.update({name: "splade_search.training.losses" for name in _LOSSES})

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
