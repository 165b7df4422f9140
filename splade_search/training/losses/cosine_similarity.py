"""SparseCosineSimilarityLoss: regress cos(u, v) onto a similarity label."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ...errors import InputError
from ...similarity import pairwise_cos_sim
from .base import ColumnSpec, SparseLoss, function_name, require_labels


class SparseCosineSimilarityLoss(SparseLoss):
    """``loss_fct(cos_score_transformation(cos(u, v)), label)``, MSE by default.

    Columns: (text_1, text_2) with a float label. Sets ``model.similarity_fn_name = "cosine"``.
    """

    columns = ColumnSpec(2, 2, labels=True)
    citation = """
@inproceedings{reimers-2019-sentence-bert,
    title={Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks},
    author={Reimers, Nils and Gurevych, Iryna},
    booktitle={Proceedings of the 2019 Conference on Empirical Methods in Natural Language Processing},
    year={2019},
    eprint={1908.10084}
}
"""

    def __init__(
        self, model: nn.Module, loss_fct: nn.Module | None = None, cos_score_transformation: nn.Module | None = None
    ) -> None:
        super().__init__(model)
        if hasattr(model, "similarity_fn_name"):
            model.similarity_fn_name = "cosine"
        self.loss_fct = loss_fct if loss_fct is not None else nn.MSELoss()
        self.cos_score_transformation = (
            cos_score_transformation if cos_score_transformation is not None else nn.Identity()
        )

    def compute_loss_from_embeddings(self, embeddings: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        labels = require_labels(labels, type(self).__name__)
        batch = embeddings[0].shape[0]
        if labels.numel() != batch:
            raise InputError(
                f"{type(self).__name__} expects one label per pair ({batch}), got shape {tuple(labels.shape)}"
            )
        scores = self.cos_score_transformation(pairwise_cos_sim(embeddings[0], embeddings[1]))
        return self.loss_fct(scores, labels.reshape(-1).to(scores.dtype))

    def get_config_dict(self) -> dict[str, Any]:
        return {
            "loss_fct": function_name(self.loss_fct),
            "cos_score_transformation": function_name(self.cos_score_transformation),
        }
