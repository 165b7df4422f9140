"""SparseTripletLoss: the anchor must be closer to the positive than to the negative by a margin."""

from __future__ import annotations

from enum import Enum
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ...similarity import pairwise_cos_sim, pairwise_euclidean_sim, pairwise_manhattan_sim
from .base import ColumnSpec, SparseLoss


class TripletDistanceMetric(str, Enum):
    """Distances for SparseTripletLoss; larger means farther apart."""

    COSINE = "cosine"
    EUCLIDEAN = "euclidean"
    MANHATTAN = "manhattan"

    def distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """[batch] distances of matching rows (similarities are negated distances, hence the signs)."""
        if self is TripletDistanceMetric.COSINE:
            return 1 - pairwise_cos_sim(a, b)
        if self is TripletDistanceMetric.EUCLIDEAN:
            return -pairwise_euclidean_sim(a, b)
        return -pairwise_manhattan_sim(a, b)


class SparseTripletLoss(SparseLoss):
    """``mean(relu(d(anchor, positive) − d(anchor, negative) + margin))``.

    Columns: (anchor, positive, negative). Euclidean and Manhattan distances are the negated
    similarities (sentence-transformers v5 had the sign inverted; v6 fixed it, as here).
    """

    columns = ColumnSpec(3, 3, labels=False)
    citation = """
@misc{hermans2017defense,
    title={In Defense of the Triplet Loss for Person Re-Identification},
    author={Alexander Hermans and Lucas Beyer and Bastian Leibe},
    year={2017},
    eprint={1703.07737},
    archivePrefix={arXiv},
    primaryClass={cs.CV}
}
"""

    def __init__(
        self,
        model: nn.Module,
        distance_metric: TripletDistanceMetric | str = TripletDistanceMetric.EUCLIDEAN,
        triplet_margin: float = 5.0,
    ) -> None:
        super().__init__(model)
        self.distance_metric = TripletDistanceMetric(distance_metric)
        self.triplet_margin = triplet_margin

    def compute_loss_from_embeddings(
        self, embeddings: list[torch.Tensor], labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        anchor, positive, negative = embeddings
        distance = self.distance_metric.distance
        return F.relu(distance(anchor, positive) - distance(anchor, negative) + self.triplet_margin).mean()

    def get_config_dict(self) -> dict[str, Any]:
        return {
            "distance_metric": f"TripletDistanceMetric.{self.distance_metric.name}",
            "triplet_margin": self.triplet_margin,
        }
