"""Transformer: a Hugging Face encoder producing token embeddings (the CSR backbone)."""

from __future__ import annotations

from typing import Any

import torch

from .hf_text import HFTextModule


class Transformer(HFTextModule):
    """Runs ``AutoModel`` and emits ``token_embeddings`` [batch, length, hidden]."""

    auto_class_name = "AutoModel"

    def body(self, **inputs: torch.Tensor) -> torch.Tensor:
        """The last hidden states [batch, length, hidden]."""
        return self.auto_model(**inputs, return_dict=True).last_hidden_state

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        features["token_embeddings"] = self.run_body(features)
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return self.embedding_dimension

    def get_word_embedding_dimension(self) -> int:
        return self.embedding_dimension
