"""SparseMSELoss: regress the student's embeddings onto target embeddings (the only standalone loss)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import InputError
from .base import ColumnSpec, describe_loss, embed_columns, require_labels


class SparseMSELoss(nn.Module):
    """``MSE(student(text), label embedding)``, e.g. to distil a sparse teacher into a student.

    Labels are the target embeddings [batch, dim]. With several text columns (e.g. a sentence and its
    translation), every column is regressed onto the same target. It runs standalone (no
    regularizer) and can also be wrapped by SpladeLoss.
    """

    columns = ColumnSpec(1, None, labels=True)
    citation = """
@inproceedings{reimers-2020-multilingual-sentence-bert,
    title={Making Monolingual Sentence Embeddings Multilingual using Knowledge Distillation},
    author={Reimers, Nils and Gurevych, Iryna},
    booktitle={Proceedings of the 2020 Conference on Empirical Methods in Natural Language Processing},
    year={2020},
    eprint={2004.09813}
}
"""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: list[dict[str, Any]], labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.compute_loss_from_embeddings(embed_columns(self.model, features), labels)

    def compute_loss_from_embeddings(self, embeddings: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        target = require_labels(labels, type(self).__name__)
        student = torch.cat(embeddings)
        target = target.to(student.dtype).repeat(len(embeddings), 1) if target.dim() == 2 else target
        if target.shape != student.shape:
            raise InputError(
                f"SparseMSELoss: target embeddings of shape {tuple(labels.shape)} do not match the student "
                f"embeddings [{embeddings[0].shape[0]}, {student.shape[1]}] per column"
            )
        return F.mse_loss(student, target.detach())

    def get_config_dict(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return describe_loss(self)
