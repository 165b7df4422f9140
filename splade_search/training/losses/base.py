"""Shared pieces of the sparse losses: the column contract, the wrapped-only guard and readable configs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ...errors import InputError, TrainingError


class UnwrappedLossError(TrainingError, AttributeError):
    """A main loss was called on its own instead of inside SpladeLoss or CSRLoss.

    It is also an ``AttributeError``, the type sentence-transformers raises in the same situation.
    """


@dataclass(frozen=True)
class ColumnSpec:
    """How many input columns a loss takes and whether it reads a label column.

    ``labels``: True when a ``label``/``score`` column is required, False when it is not used,
    None when it is optional.
    """

    min_inputs: int
    max_inputs: int | None = None
    labels: bool | None = False

    def describe(self) -> str:
        """E.g. ``"2 or more input columns and no label column"``."""
        if self.max_inputs == self.min_inputs:
            count = f"exactly {self.min_inputs} input column{'s' if self.min_inputs > 1 else ''}"
        elif self.max_inputs is None:
            count = f"{self.min_inputs} or more input columns"
        else:
            count = f"{self.min_inputs} to {self.max_inputs} input columns"
        label = {True: "a label/score column", False: "no label column", None: "an optional label/score column"}
        return f"{count} and {label[self.labels]}"

    def problem(self, n_inputs: int, has_labels: bool) -> str | None:
        """Why ``n_inputs`` input columns (plus a label column or not) do not fit, or None when they do."""
        if n_inputs < self.min_inputs or (self.max_inputs is not None and n_inputs > self.max_inputs):
            return f"it expects {self.describe()}, got {n_inputs} input column{'s' if n_inputs != 1 else ''}"
        if self.labels is True and not has_labels:
            return f"it expects {self.describe()}, but there is no 'label' or 'score' column"
        return None


def function_name(fn: Callable[..., Any]) -> str:
    """A readable name for a similarity function or module, for configs and model cards."""
    return getattr(fn, "__name__", type(fn).__name__)


def describe_loss(loss: nn.Module) -> str:
    """``ClassName(key=value, ...)`` built from the loss's ``get_config_dict``."""
    config = loss.get_config_dict() if hasattr(loss, "get_config_dict") else {}
    inner = ", ".join(f"{key}={value!r}" for key, value in config.items())
    return f"{type(loss).__name__}({inner})"


def embed_columns(model: nn.Module, features: list[dict[str, Any]]) -> list[torch.Tensor]:
    """One ``sentence_embedding`` [batch, dim] per input column."""
    return [model(column)["sentence_embedding"] for column in features]


def require_labels(labels: torch.Tensor | None, loss_name: str) -> torch.Tensor:
    """The labels; an InputError when the batch has none."""
    if labels is None:
        raise InputError(f"{loss_name} needs labels: add a 'label' or 'score' column to the dataset")
    return labels


class SparseLoss(nn.Module):
    """Base of the main losses. They score embeddings and run only inside SpladeLoss or CSRLoss,
    which compute the embeddings once and add the sparsity (or reconstruction) terms."""

    columns: ColumnSpec = ColumnSpec(2)
    citation: str = ""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: list[dict[str, Any]], labels: torch.Tensor | None = None) -> torch.Tensor:
        from ..defaults import REGULARIZER_WEIGHTS

        name = type(self).__name__
        query, document = REGULARIZER_WEIGHTS["splade"]
        raise UnwrappedLossError(
            f"{name} should not be used alone. Use it with SpladeLoss or CSRLoss, e.g. "
            f"SpladeLoss(model, loss={name}(model), document_regularizer_weight={document:g}, query_regularizer_weight={query:g}) "
            f"for SPLADE or CSRLoss(model, loss={name}(model)) for CSR."
        )

    def compute_loss_from_embeddings(self, embeddings: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        """The loss for one embedding [batch, dim] per input column."""
        raise NotImplementedError

    def get_config_dict(self) -> dict[str, Any]:
        """The settings that define this loss (for the model card)."""
        return {}

    def __repr__(self) -> str:
        return describe_loss(self)


class SparsityRegularizer(nn.Module):
    """Base of the regularizers SpladeLoss plugs in: a scalar penalty on a batch of embeddings.

    With ``threshold``, rows with at most ``threshold`` active dimensions are left out of the
    penalty ("L0 masking", arXiv 2504.14839), so already-sparse texts are not pushed further.
    """

    citation: str = ""

    def __init__(self, model: nn.Module | None = None, threshold: float | None = None) -> None:
        super().__init__()
        self.model = model
        self.threshold = threshold

    def forward(self, features: list[dict[str, Any]], labels: torch.Tensor | None = None) -> torch.Tensor:
        raise UnwrappedLossError(
            f"{type(self).__name__} is a regularizer: pass it to SpladeLoss(document_regularizer=..., "
            "query_regularizer=...) instead of training with it directly."
        )

    def mask(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Zero the rows whose number of active dimensions is at most ``threshold``."""
        if self.threshold is None:
            return embeddings
        active = (embeddings != 0).sum(dim=1)
        return embeddings * (active > self.threshold).to(embeddings.dtype).unsqueeze(1)

    def compute_loss_from_embeddings(self, embeddings: torch.Tensor) -> torch.Tensor:
        """The penalty for one [batch, dim] tensor."""
        raise NotImplementedError

    def get_config_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold}

    def __repr__(self) -> str:
        return describe_loss(self)
