"""Transformer: a Hugging Face encoder producing token embeddings (the CSR backbone)."""

from __future__ import annotations

from typing import Any

from .hf_text import HFTextModule


class Transformer(HFTextModule):
    """Runs ``AutoModel`` and emits ``token_embeddings`` [batch, length, hidden]."""

    auto_class_name = "AutoModel"

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        output = self.auto_model(**self.model_inputs(features), return_dict=True)
        features["token_embeddings"] = output.last_hidden_state
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return self.embedding_dimension

    def get_word_embedding_dimension(self) -> int:
        return self.embedding_dimension
