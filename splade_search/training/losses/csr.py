"""CSR losses: the sparse autoencoder's reconstruction terms plus a ranking loss on its latents."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import InputError, TrainingError
from .base import ColumnSpec, UnwrappedLossError, describe_loss
from .mnrl import SparseMultipleNegativesRankingLoss

CSR_CITATION = """
@misc{wen2025matryoshkarevisitingsparsecoding,
    title={Beyond Matryoshka: Revisiting Sparse Coding for Adaptive Representation},
    author={Tiansheng Wen and Yifei Wang and Zequn Zeng and Zhong Peng and Yudi Su and Xinyang Liu and Bo Chen and Hongwei Liu and Stefanie Jegelka and Chenyu You},
    year={2025},
    eprint={2503.01776},
    archivePrefix={arXiv},
    primaryClass={cs.LG}
}
"""
RECONSTRUCTION_KEYS = (
    "sentence_embedding_backbone",
    "decoded_embedding_k",
    "decoded_embedding_4k",
    "decoded_embedding_k_pre_bias",
)


def normalized_mse(reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``MSE(reconstruction, target) / MSE(batch mean of target, target)``; the normaliser is 1 when
    the target does not vary over the batch (e.g. a batch of one)."""
    spread = F.mse_loss(target.mean(dim=0, keepdim=True).expand_as(target), target)
    spread = torch.where(spread == 0, torch.ones_like(spread), spread)
    return F.mse_loss(reconstruction, target) / spread


class CSRReconstructionLoss(nn.Module):
    """The autoencoder terms of CSR, averaged over the input columns:

    - ``reconstruction_loss_k = MSE(x, decode(top-k latents))``
    - ``reconstruction_loss_4k = MSE(x, decode(top-4k latents)) / 8``
    - ``reconstruction_loss_aux = β · NMSE(decode(aux latents), x − decode_without_bias(top-k).detach())``;
      0 when the autoencoder has ``k_aux=0``.
    """

    citation = CSR_CITATION

    def __init__(self, model: nn.Module, beta: float = 1.0) -> None:
        super().__init__()
        self.model = model
        self.beta = beta

    def forward(self, features: list[dict[str, Any]], labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        raise UnwrappedLossError("CSRReconstructionLoss runs inside CSRLoss; train with CSRLoss(model) instead")

    def compute_loss_from_embeddings(self, outputs: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """The three terms from the SparseAutoEncoder's training outputs, one features dict per column."""
        totals = {"k": [], "4k": [], "aux": []}
        for output in outputs:
            missing = [key for key in RECONSTRUCTION_KEYS if key not in output]
            if missing:
                raise TrainingError(
                    f"CSR losses need a model ending in a SparseAutoEncoder run outside torch.inference_mode; "
                    f"the model output lacks {missing}"
                )
            x = output["sentence_embedding_backbone"]
            totals["k"].append(F.mse_loss(output["decoded_embedding_k"], x))
            totals["4k"].append(F.mse_loss(output["decoded_embedding_4k"], x))
            aux = output.get("decoded_embedding_aux")
            if aux is None:
                totals["aux"].append(torch.zeros((), device=x.device, dtype=x.dtype))
            else:
                residual = x - output["decoded_embedding_k_pre_bias"].detach()
                totals["aux"].append(normalized_mse(aux, residual))
        mean = {name: torch.stack(values).mean() for name, values in totals.items()}
        return {
            "reconstruction_loss_k": mean["k"],
            "reconstruction_loss_4k": mean["4k"] / 8.0,
            "reconstruction_loss_aux": self.beta * mean["aux"],
        }

    def get_config_dict(self) -> dict[str, Any]:
        return {"beta": self.beta}

    def __repr__(self) -> str:
        return describe_loss(self)


class CSRLoss(nn.Module):
    """Train a CSR model: reconstruction terms plus ``γ · base_loss`` on the top-k latents.

    ``loss`` defaults to SparseMultipleNegativesRankingLoss; any loss with
    ``compute_loss_from_embeddings`` works. Returns a dict of components (``reconstruction_loss_k``,
    ``reconstruction_loss_4k``, ``reconstruction_loss_aux``, ``base_loss``).
    """

    citation = CSR_CITATION

    def __init__(self, model: nn.Module, loss: nn.Module | None = None, beta: float = 0.1, gamma: float = 1.0) -> None:
        super().__init__()
        self.model = model
        self.beta = beta
        self.gamma = gamma
        self.reconstruction_loss = CSRReconstructionLoss(model, beta=beta)
        self.loss = loss if loss is not None else SparseMultipleNegativesRankingLoss(model)
        if not hasattr(self.loss, "compute_loss_from_embeddings"):
            raise InputError(
                f"{type(self.loss).__name__} cannot be wrapped by CSRLoss: it has no compute_loss_from_embeddings"
            )

    @property
    def columns(self) -> ColumnSpec:
        """The column contract of the wrapped loss."""
        return getattr(self.loss, "columns", ColumnSpec(1, None, None))

    def forward(self, features: list[dict[str, Any]], labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        outputs = [self.model(column) for column in features]
        losses = self.reconstruction_loss.compute_loss_from_embeddings(outputs)
        base = self.loss.compute_loss_from_embeddings([out["sentence_embedding"] for out in outputs], labels)
        if isinstance(base, dict):
            losses.update({key: value * self.gamma for key, value in base.items()})
        else:
            losses["base_loss"] = base * self.gamma
        return losses

    def get_config_dict(self) -> dict[str, Any]:
        return {"beta": self.beta, "gamma": self.gamma, "loss": describe_loss(self.loss)}

    def __repr__(self) -> str:
        return describe_loss(self)
