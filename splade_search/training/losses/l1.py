"""L1Loss: the L1 sparsity regularizer (used on queries by Efficient SPLADE)."""

from __future__ import annotations

import torch

from .base import SparsityRegularizer


class L1Loss(SparsityRegularizer):
    """``mean_i sum_j |x_ij|``: penalises every active weight of every row alike, unlike FLOPS which
    penalises dimensions that are active across the batch. Plug it into SpladeLoss, e.g.
    ``SpladeLoss(..., query_regularizer=L1Loss())``."""

    citation = """
@inproceedings{lassance2022efficient,
    title={An Efficiency Study for SPLADE Models},
    author={Lassance, Carlos and Clinchant, St{\\'e}phane},
    booktitle={Proceedings of the 45th International ACM SIGIR Conference},
    year={2022},
    eprint={2207.03834}
}
"""

    def compute_loss_from_embeddings(self, embeddings: torch.Tensor) -> torch.Tensor:
        return self.mask(embeddings).abs().sum(dim=1).mean()
