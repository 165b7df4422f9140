"""SparseCoSENTLoss: rank pairs so that higher-labelled pairs get higher similarity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ...errors import InputError
from ...similarity import pairwise_cos_sim
from .base import ColumnSpec, SparseLoss, function_name, require_labels


class SparseCoSENTLoss(SparseLoss):
    """``log(1 + Σ exp(scale·(s_kl − s_ij)))`` over every two pairs with ``label_ij > label_kl``.

    Columns: (text_1, text_2) with a similarity label. The default similarity is the *pairwise*
    cosine (sentence-transformers v5 used the matrix ``cos_sim``, a bug fixed in v6). Like upstream it
    sets ``model.similarity_fn_name = "cosine"``, which is saved with the model.
    """

    columns = ColumnSpec(2, 2, labels=True)
    citation = """
@article{10531646,
    author={Huang, Xiang and Peng, Hao and Zou, Dongcheng and Liu, Zhiwei and Li, Jianxin and Liu, Kay and Wu, Jia and Su, Jianlin and Yu, Philip S.},
    journal={IEEE/ACM Transactions on Audio, Speech, and Language Processing},
    title={CoSENT: Consistent Sentence Embedding via Similarity Ranking},
    year={2024},
    doi={10.1109/TASLP.2024.3402087}
}
"""
    similarity_fn_name = "cosine"

    def __init__(
        self, model: nn.Module, scale: float = 20.0, similarity_fct: Callable[..., torch.Tensor] = pairwise_cos_sim
    ) -> None:
        super().__init__(model)
        if hasattr(model, "similarity_fn_name"):
            model.similarity_fn_name = self.similarity_fn_name
        self.scale = scale
        self.similarity_fct = similarity_fct

    def compute_loss_from_embeddings(self, embeddings: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        labels = require_labels(labels, type(self).__name__)
        batch = embeddings[0].shape[0]
        if labels.numel() != batch:
            raise InputError(
                f"{type(self).__name__} expects one label per pair ({batch}), got shape {tuple(labels.shape)}"
            )
        scores = self.similarity_fct(embeddings[0], embeddings[1]).float() * self.scale
        labels = labels.reshape(-1).float()
        # differences[i, j] = s_j - s_i, kept where pair i should score above pair j
        differences = scores[None, :] - scores[:, None]
        ordered = labels[:, None] > labels[None, :]
        differences = differences.masked_fill(~ordered, float("-inf"))
        return torch.logsumexp(torch.cat([scores.new_zeros(1), differences.reshape(-1)]), dim=0)

    def get_config_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "similarity_fct": function_name(self.similarity_fct)}
