"""Training losses for sparse encoders.

Wrappers (return a dict of components the trainer sums and logs): SpladeLoss, CachedSpladeLoss,
CSRLoss. Main losses (run inside a wrapper): SparseMultipleNegativesRankingLoss,
SparseMarginMSELoss, SparseDistillKLDivLoss, SparseCoSENTLoss, SparseAnglELoss,
SparseCosineSimilarityLoss, SparseTripletLoss. Standalone: SparseMSELoss. Regularizers: FlopsLoss,
L1Loss. Reconstruction terms: CSRReconstructionLoss.
"""

from .angle import SparseAnglELoss, pairwise_angle_sim
from .base import ColumnSpec, SparseLoss, SparsityRegularizer, UnwrappedLossError
from .cached_splade import CachedSpladeLoss
from .cosent import SparseCoSENTLoss
from .cosine_similarity import SparseCosineSimilarityLoss
from .csr import CSRLoss, CSRReconstructionLoss
from .distill_kl_div import SparseDistillKLDivLoss
from .flops import FlopsLoss
from .l1 import L1Loss
from .margin_mse import SparseMarginMSELoss
from .mnrl import SparseMultipleNegativesRankingLoss
from .mse import SparseMSELoss
from .splade import SpladeLoss
from .triplet import SparseTripletLoss, TripletDistanceMetric

__all__ = [
    "CSRLoss",
    "CSRReconstructionLoss",
    "CachedSpladeLoss",
    "ColumnSpec",
    "FlopsLoss",
    "L1Loss",
    "SparseAnglELoss",
    "SparseCoSENTLoss",
    "SparseCosineSimilarityLoss",
    "SparseDistillKLDivLoss",
    "SparseLoss",
    "SparseMSELoss",
    "SparseMarginMSELoss",
    "SparseMultipleNegativesRankingLoss",
    "SparseTripletLoss",
    "SparsityRegularizer",
    "SpladeLoss",
    "TripletDistanceMetric",
    "UnwrappedLossError",
    "pairwise_angle_sim",
]
