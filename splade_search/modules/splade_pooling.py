"""SpladePooling: vocabulary logits -> one sparse term-weight vector per text.

``w = log1p(relu(logits))`` per token (a second ``log1p`` for ``log1p_relu``), then max (SPLADE v2+)
or sum (SPLADE v1) over the non-padding tokens. The activation is monotonic, so for max pooling the
max is taken over the raw logits first and the activation applied once on [batch, vocab]. The
sequence is processed in chunks, so the [batch, length, vocab] tensor is never materialized whole;
with an MLM decoder and max pooling, ``splade_max`` goes further (see there).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..errors import InputError
from .base import Module
from .splade_max import projected_max

POOLING_STRATEGIES = ("max", "sum")
PROJECTION_DTYPES = {"float32": None, "bfloat16": torch.bfloat16}
ACTIVATIONS = ("relu", "log1p_relu")
CHUNK_ELEMENTS = 1 << 24  # logits elements per chunk when chunk_size is automatic (64 MiB in float32)


class SpladePooling(Module):
    """Pool token logits into a [batch, vocab] SPLADE vector."""

    config_keys = ["pooling_strategy", "activation_function", "word_embedding_dimension"]
    forward_kwargs = {"projection_dtype"}

    def __init__(
        self,
        pooling_strategy: str = "max",
        activation_function: str = "relu",
        word_embedding_dimension: int | None = None,
        chunk_size: int | None = None,
        embedding_dimension: int | None = None,
        projection_dtype: str = "float32",
    ) -> None:
        super().__init__()
        if pooling_strategy not in POOLING_STRATEGIES:
            raise InputError("pooling_strategy must be either 'max' or 'sum'")
        if activation_function not in ACTIVATIONS:
            raise InputError("activation_function must be either 'relu' or 'log1p_relu'")
        if chunk_size is not None and chunk_size <= 0:
            raise InputError(f"chunk_size must be a positive number of tokens, got {chunk_size}")
        self.pooling_strategy = pooling_strategy
        self.activation_function = activation_function
        self.word_embedding_dimension = word_embedding_dimension or embedding_dimension
        self.chunk_size = chunk_size
        self.projection_dtype = projection_dtype

    @property
    def projection_dtype(self) -> str:
        """Precision of the vocabulary projection at inference: ``"float32"`` (exact) or ``"bfloat16"`` (fast).

        A run-time setting, not saved with the model. Applies to max pooling over an MLM head.
        """
        return self._projection_dtype

    @projection_dtype.setter
    def projection_dtype(self, value: str) -> None:
        _check_projection_dtype(value)
        self._projection_dtype = value

    def activation(self, x: torch.Tensor) -> torch.Tensor:
        """log1p(relu(x)), plus a second log1p for ``log1p_relu``."""
        x = torch.log1p(torch.relu(x))
        return torch.log1p(x) if self.activation_function == "log1p_relu" else x

    def forward(self, features: dict[str, Any], projection_dtype: str | None = None, **kwargs: Any) -> dict[str, Any]:
        dtype = PROJECTION_DTYPES[_check_projection_dtype(projection_dtype or self.projection_dtype)]
        mask = features["attention_mask"].bool()
        if "token_embeddings" in features:
            logits = features["token_embeddings"]
            project = nn.Identity()
        else:
            logits = features["mlm_hidden_states"]
            project = features["mlm_decoder"]
        if self._can_project_tokens(project):
            embedding = self.activation(projected_max(logits, project, mask, dtype))
        else:
            embedding = self._pool(logits, project, mask)
        self.word_embedding_dimension = embedding.shape[-1]
        features["sentence_embedding"] = embedding
        return features

    def _can_project_tokens(self, project: nn.Module) -> bool:
        """Fast path: max pooling straight from hidden states, never holding [batch, length, vocab]."""
        return self.pooling_strategy == "max" and self.chunk_size is None and isinstance(project, nn.Linear)

    def _chunk_length(self, batch: int, length: int, vocab: int) -> int:
        if self.chunk_size is not None:
            return self.chunk_size
        return max(1, min(length, CHUNK_ELEMENTS // max(1, batch * vocab)))

    def _pool(self, states: torch.Tensor, project: nn.Module, mask: torch.Tensor) -> torch.Tensor:
        batch, length = states.shape[:2]
        vocab = getattr(project, "out_features", states.shape[-1])
        step = self._chunk_length(batch, length, vocab)
        pooled: torch.Tensor | None = None
        for start in range(0, length, step):
            logits = project(states[:, start : start + step])
            chunk_mask = mask[:, start : start + step, None]
            if self.pooling_strategy == "max":
                part = logits.masked_fill(~chunk_mask, float("-inf")).amax(dim=1)
                pooled = part if pooled is None else torch.maximum(pooled, part)
            else:
                part = (self.activation(logits) * chunk_mask).sum(dim=1)
                pooled = part if pooled is None else pooled + part
        if pooled is None:
            return states.new_zeros(batch, vocab)
        return self.activation(pooled) if self.pooling_strategy == "max" else pooled

    def get_sentence_embedding_dimension(self) -> int | None:
        return self.word_embedding_dimension

    def save(self, output_path: str, safe_serialization: bool = True) -> None:
        self.save_config(output_path)

    @classmethod
    def load(cls, model_path: str, **kwargs: Any) -> "SpladePooling":
        return cls(**cls.load_config(model_path))

    def __repr__(self) -> str:
        return f"SpladePooling({self.get_config_dict()})"


def _check_projection_dtype(value: str) -> str:
    if value not in PROJECTION_DTYPES:
        raise InputError(f"projection_dtype must be one of {', '.join(PROJECTION_DTYPES)}, got {value!r}")
    return value

