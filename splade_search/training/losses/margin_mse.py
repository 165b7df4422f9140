"""SparseMarginMSELoss: distil a teacher's score margins (query·positive − query·negative)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import InputError
from ...similarity import pairwise_dot_score
from .base import ColumnSpec, SparseLoss, function_name, require_labels


class SparseMarginMSELoss(SparseLoss):
    """``MSE([s(q,p) − s(q,n_i)]_i, teacher margins)``. Columns: (query, positive, negative_1, ...).

    Labels may be [batch] (one negative), [batch, n] margins, or [batch, n+1] raw teacher scores
    (positive first), which become ``scores[:, :1] − scores[:, 1:]``.
    """

    columns = ColumnSpec(3, None, labels=True)
    citation = """
@misc{hofstatter2021improving,
    title={Improving Efficient Neural Ranking Models with Cross-Architecture Knowledge Distillation},
    author={Sebastian Hofst{\\"a}tter and Sophia Althammer and Michael Schr{\\"o}der and Mete Sertkan and Allan Hanbury},
    year={2021},
    eprint={2010.02666},
    archivePrefix={arXiv},
    primaryClass={cs.IR}
}
"""

    def __init__(self, model: nn.Module, similarity_fct: Callable[..., torch.Tensor] = pairwise_dot_score) -> None:
        super().__init__(model)
        self.similarity_fct = similarity_fct

    @staticmethod
    def margins_from_labels(labels: torch.Tensor, batch_size: int, n_negatives: int) -> torch.Tensor:
        """Teacher margins [batch, n_negatives] from any of the three accepted label shapes."""
        if labels.shape == (batch_size, n_negatives + 1):
            labels = labels[:, :1] - labels[:, 1:]
        elif labels.shape == (batch_size,):
            labels = labels.unsqueeze(1)
        if labels.shape != (batch_size, n_negatives):
            raise InputError(
                f"SparseMarginMSELoss: labels of shape {tuple(labels.shape)} do not fit {n_negatives} negative column(s) "
                f"and batch size {batch_size}. Use [batch] (one negative), [batch, {n_negatives}] margins "
                f"(positive − negative score), or [batch, {n_negatives + 1}] teacher scores with the positive first."
            )
        return labels

    def compute_loss_from_embeddings(self, embeddings: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        labels = require_labels(labels, type(self).__name__)
        query, positive, negatives = embeddings[0], embeddings[1], embeddings[2:]
        target = self.margins_from_labels(labels, query.shape[0], len(negatives)).detach().to(query.dtype)
        positive_scores = self.similarity_fct(query, positive)
        margins = torch.stack([positive_scores - self.similarity_fct(query, negative) for negative in negatives], dim=1)
        return F.mse_loss(margins, target)

    def get_config_dict(self) -> dict[str, Any]:
        return {"similarity_fct": function_name(self.similarity_fct)}
