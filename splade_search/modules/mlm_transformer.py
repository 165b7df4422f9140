"""MLMTransformer: a masked-language model whose vocabulary logits feed SpladePooling."""

from __future__ import annotations

from typing import Any

import torch

from .hf_text import HFTextModule
from .mlm_head import MLMHead, split_mlm_head


class MLMTransformer(HFTextModule):
    """Runs ``AutoModelForMaskedLM``.

    For known architectures it emits the transformed hidden states (``mlm_hidden_states``) and the
    vocabulary projection (``mlm_decoder``) so that the pooling can project in chunks; otherwise it
    emits the full ``token_embeddings`` logits [batch, length, vocab].
    """

    auto_class_name = "AutoModelForMaskedLM"

    def __init__(self, model_name_or_path: str, *args: Any, fused_head: bool = True, **kwargs: Any) -> None:
        super().__init__(model_name_or_path, *args, **kwargs)
        self.fused_head = fused_head

    @property
    def head(self) -> MLMHead | None:
        """The split MLM head, or None when the architecture is not known (plain logits path)."""
        return split_mlm_head(self.auto_model) if self.fused_head else None

    def body(self, **inputs: torch.Tensor) -> torch.Tensor:
        """The transformed hidden states [batch, length, hidden], or the logits when the head is not split."""
        head = self.head
        if head is None:
            return self.auto_model(**inputs, return_dict=True).logits
        return head.transform(head.body(**inputs, return_dict=True).last_hidden_state)

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        head = self.head
        output = self.run_body(features)
        if head is None:
            features["token_embeddings"] = output
            return features
        features["mlm_hidden_states"] = output
        features["mlm_decoder"] = head.decoder
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return int(self.auto_model.config.vocab_size)

    @property
    def vocab_size(self) -> int:
        return int(self.auto_model.config.vocab_size)
