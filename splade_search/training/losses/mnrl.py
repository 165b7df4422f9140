"""SparseMultipleNegativesRankingLoss: InfoNCE with in-batch negatives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ...similarity import dot_score
from .base import ColumnSpec, SparseLoss, function_name


class SparseMultipleNegativesRankingLoss(SparseLoss):
    """Cross-entropy over ``scale · sim(query, every document in the batch)``, the query's own positive
    being the target. Columns: (query, positive[, negative_1, ...]); every other row's positive and
    all negatives serve as negatives. Batches with duplicate texts hurt: use the NO_DUPLICATES sampler.
    """

    columns = ColumnSpec(2, None, labels=False)
    citation = """
@misc{henderson2017efficient,
    title={Efficient Natural Language Response Suggestion for Smart Reply},
    author={Matthew Henderson and Rami Al-Rfou and Brian Strope and Yun-hsuan Sung and Laszlo Lukacs and Ruiqi Guo and Sanjiv Kumar and Balint Miklos and Ray Kurzweil},
    year={2017},
    eprint={1705.00652},
    archivePrefix={arXiv},
    primaryClass={cs.CL}
}
"""

    def __init__(
        self, model: nn.Module, scale: float = 1.0, similarity_fct: Callable[..., torch.Tensor] = dot_score
    ) -> None:
        super().__init__(model)
        self.scale = scale
        self.similarity_fct = similarity_fct

    def compute_loss_from_embeddings(
        self, embeddings: list[torch.Tensor], labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        queries = embeddings[0]
        candidates = torch.cat(embeddings[1:])
        scores = self.similarity_fct(queries, candidates) * self.scale
        targets = torch.arange(queries.shape[0], device=scores.device)
        return F.cross_entropy(scores, targets)

    def get_config_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "similarity_fct": function_name(self.similarity_fct)}
