"""Normalize: L2-normalise the sentence embedding (found in dense sentence-transformers models)."""

from __future__ import annotations

import os
from typing import Any

from torch.nn import functional as F

from .base import Module


class Normalize(Module):
    """Scale each ``sentence_embedding`` row to unit L2 norm. It has no configuration and no weights."""

    needs_folder = False

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        features["sentence_embedding"] = F.normalize(features["sentence_embedding"], p=2, dim=1)
        return features

    def get_sentence_embedding_dimension(self) -> None:
        return None

    def save(self, output_path: str, safe_serialization: bool = True) -> None:
        os.makedirs(output_path, exist_ok=True)

    @classmethod
    def load(cls, model_path: str, **kwargs: Any) -> "Normalize":
        return cls()
