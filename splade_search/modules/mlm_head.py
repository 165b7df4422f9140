"""Split a masked-language model into body, head transform and vocabulary projection.

SPLADE only needs the max over tokens of the vocabulary logits, so the [batch, length, vocab]
tensor need not exist at once: SpladePooling projects the (small) transformed hidden states onto
the vocabulary chunk by chunk. This module knows where the projection sits in the common MLM
architectures; for any other architecture it returns None and the plain ``logits`` path is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn


@dataclass
class MLMHead:
    """The pieces of an MLM: ``body(**inputs) -> hidden``, ``transform(hidden)``, ``decoder`` (H -> V)."""

    body: nn.Module
    transform: Callable[[torch.Tensor], torch.Tensor]
    decoder: nn.Linear


def split_mlm_head(model: nn.Module) -> MLMHead | None:
    """Locate the body, head transform and vocabulary projection of a known MLM architecture."""
    kind = getattr(model.config, "model_type", "")
    if kind == "bert" and hasattr(model, "cls"):
        predictions = model.cls.predictions
        return MLMHead(model.bert, predictions.transform, predictions.decoder)
    if kind == "distilbert" and hasattr(model, "vocab_projector"):

        def transform(h: torch.Tensor) -> torch.Tensor:
            return model.vocab_layer_norm(model.activation(model.vocab_transform(h)))

        return MLMHead(model.distilbert, transform, model.vocab_projector)
    if kind in ("roberta", "xlm-roberta", "camembert") and hasattr(model, "lm_head"):
        head = model.lm_head

        def transform(h: torch.Tensor) -> torch.Tensor:
            return head.layer_norm(nn.functional.gelu(head.dense(h)))

        return MLMHead(model.base_model, transform, head.decoder)
    return None
