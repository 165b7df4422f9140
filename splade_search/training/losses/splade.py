"""SpladeLoss: a ranking loss plus FLOPS (or any) sparsity regularizers on queries and documents."""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import nn

from ...errors import InputError
from .base import ColumnSpec, SparsityRegularizer, describe_loss, embed_columns
from .flops import FlopsLoss

logger = logging.getLogger(__name__)


class SpladeLoss(nn.Module):
    """Train a SPLADE model: ``base_loss + λ_d·R_d(documents) + λ_q·R_q(queries)``.

    The embeddings are computed once and shared by the base loss and the regularizers. Documents are
    every column after the first (positives and negatives concatenated); with
    ``use_document_regularizer_only`` every column counts as a document and there is no query term.
    The query term is left out when ``query_regularizer_weight`` is None (fine for inference-free
    models, whose query side has nothing to regularize). ``forward`` returns a dict of components;
    the trainer sums and logs them. A SpladeRegularizerWeightSchedulerCallback warms the weights up.
    """

    citation = """
@misc{formal2022distillationhardnegativesampling,
    title={From Distillation to Hard Negative Sampling: Making Sparse Neural IR Models More Effective},
    author={Thibault Formal and Carlos Lassance and Benjamin Piwowarski and St{\\'e}phane Clinchant},
    year={2022},
    eprint={2205.04733},
    archivePrefix={arXiv},
    primaryClass={cs.IR}
}
"""

    def __init__(
        self,
        model: nn.Module,
        loss: nn.Module,
        document_regularizer_weight: float,
        query_regularizer_weight: float | None = None,
        document_regularizer: nn.Module | None = None,
        query_regularizer: nn.Module | None = None,
        document_regularizer_threshold: float | None = None,
        query_regularizer_threshold: float | None = None,
        use_document_regularizer_only: bool = False,
    ) -> None:
        super().__init__()
        if not hasattr(loss, "compute_loss_from_embeddings"):
            raise InputError(
                f"{type(loss).__name__} cannot be wrapped by SpladeLoss: it needs a method "
                "compute_loss_from_embeddings(embeddings: list[Tensor], labels: Tensor | None)"
            )
        self.model = model
        self.loss = loss
        self.use_document_regularizer_only = use_document_regularizer_only
        if use_document_regularizer_only and query_regularizer_weight is not None:
            logger.warning(
                "use_document_regularizer_only=True regularizes every column as a document; "
                "query_regularizer_weight=%s is ignored",
                query_regularizer_weight,
            )
            query_regularizer_weight = None
        elif query_regularizer_weight is None and not use_document_regularizer_only:
            logger.warning(
                "query_regularizer_weight is None: queries are not regularized. That is right for "
                "inference-free models; a SPLADE model usually wants a query weight > 0."
            )
        self.document_regularizer_weight = document_regularizer_weight
        self.query_regularizer_weight = query_regularizer_weight
        self.document_regularizer = document_regularizer or FlopsLoss(model, threshold=document_regularizer_threshold)
        self.query_regularizer = None
        if not use_document_regularizer_only:
            self.query_regularizer = query_regularizer or FlopsLoss(model, threshold=query_regularizer_threshold)

    @property
    def columns(self) -> ColumnSpec:
        """The column contract of the wrapped loss."""
        return getattr(self.loss, "columns", ColumnSpec(1, None, None))

    def forward(self, features: list[dict[str, Any]], labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        return self.compute_loss_from_embeddings(embed_columns(self.model, features), labels)

    def compute_loss_from_embeddings(
        self, embeddings: list[torch.Tensor], labels: torch.Tensor | None
    ) -> dict[str, torch.Tensor]:
        """The loss components for one embedding [batch, dim] per column."""
        base = self.loss.compute_loss_from_embeddings(embeddings, labels)
        losses = dict(base) if isinstance(base, dict) else {"base_loss": base}
        documents = embeddings if self.use_document_regularizer_only else embeddings[1:]
        if documents:
            penalty = self.document_regularizer.compute_loss_from_embeddings(torch.cat(documents))
            losses["document_regularizer_loss"] = penalty * self.document_regularizer_weight
        if self.query_regularizer is not None and self.query_regularizer_weight is not None:
            penalty = self.query_regularizer.compute_loss_from_embeddings(embeddings[0])
            losses["query_regularizer_loss"] = penalty * self.query_regularizer_weight
        return losses

    def get_config_dict(self) -> dict[str, Any]:
        """Base loss, weights, non-FLOPS regularizers and thresholds."""
        config: dict[str, Any] = {
            "loss": describe_loss(self.loss),
            "document_regularizer_weight": self.document_regularizer_weight,
        }
        if self.query_regularizer_weight is not None:
            config["query_regularizer_weight"] = self.query_regularizer_weight
        if self.use_document_regularizer_only:
            config["use_document_regularizer_only"] = True
        for side in ("document", "query"):
            regularizer = getattr(self, f"{side}_regularizer")
            if regularizer is None:
                continue
            if not isinstance(regularizer, FlopsLoss):
                config[f"{side}_regularizer"] = type(regularizer).__name__
            if isinstance(regularizer, SparsityRegularizer) and regularizer.threshold is not None:
                config[f"{side}_regularizer_threshold"] = regularizer.threshold
        return config

    def __repr__(self) -> str:
        return describe_loss(self)
