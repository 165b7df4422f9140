"""Pooling: token embeddings -> one dense vector (mean, cls, max, mean_sqrt_len, lasttoken)."""

from __future__ import annotations

from typing import Any

import torch

from ..errors import InputError
from .base import Module

POOLING_MODES = ("mean", "cls", "max", "mean_sqrt_len_tokens", "lasttoken")
_V5_KEYS = {
    "cls": "pooling_mode_cls_token",
    "mean": "pooling_mode_mean_tokens",
    "max": "pooling_mode_max_tokens",
    "mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens",
    "lasttoken": "pooling_mode_lasttoken",
}


class Pooling(Module):
    """Pool ``token_embeddings`` into ``sentence_embedding`` with one pooling mode."""

    def __init__(self, word_embedding_dimension: int, pooling_mode: str = "mean", include_prompt: bool = True) -> None:
        super().__init__()
        if pooling_mode not in POOLING_MODES:
            raise InputError(f"pooling_mode must be one of {list(POOLING_MODES)}, got {pooling_mode!r}")
        self.word_embedding_dimension = word_embedding_dimension
        self.pooling_mode = pooling_mode
        self.include_prompt = include_prompt

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        tokens = features["token_embeddings"]
        mask = features["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        if self.pooling_mode == "cls":
            pooled = tokens[:, 0]
        elif self.pooling_mode == "max":
            pooled = tokens.masked_fill(mask == 0, float("-inf")).amax(dim=1)
        elif self.pooling_mode == "lasttoken":
            last = features["attention_mask"].sum(dim=1).clamp(min=1) - 1
            pooled = tokens[torch.arange(tokens.shape[0], device=tokens.device), last]
        else:
            summed = (tokens * mask).sum(dim=1)
            counts = mask.sum(dim=1).clamp(min=1e-9)
            pooled = summed / (counts.sqrt() if self.pooling_mode == "mean_sqrt_len_tokens" else counts)
        features["sentence_embedding"] = pooled
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return self.word_embedding_dimension

    def get_config_dict(self) -> dict[str, Any]:
        """The v5 layout, which sentence-transformers 5 and 6 both read."""
        config: dict[str, Any] = {"word_embedding_dimension": self.word_embedding_dimension}
        config.update({key: mode == self.pooling_mode for mode, key in _V5_KEYS.items()})
        config["pooling_mode_weightedmean_tokens"] = False
        config["include_prompt"] = self.include_prompt
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Pooling":
        """Build from a v5 (``pooling_mode_*_tokens`` flags) or v6 (``pooling_mode``) config."""
        dim = config.get("word_embedding_dimension", config.get("embedding_dimension"))
        mode = config.get("pooling_mode")
        if isinstance(mode, list):
            mode = mode[0] if mode else None
        if mode is None:
            chosen = [m for m, key in _V5_KEYS.items() if config.get(key)]
            if config.get("pooling_mode_weightedmean_tokens"):
                raise InputError("weighted-mean pooling is not supported by splade-search")
            mode = chosen[0] if chosen else "mean"
        return cls(int(dim), pooling_mode=mode, include_prompt=config.get("include_prompt", True))

    def save(self, output_path: str, safe_serialization: bool = True) -> None:
        self.save_config(output_path)

    @classmethod
    def load(cls, model_path: str, **kwargs: Any) -> "Pooling":
        return cls.from_config(cls.load_config(model_path))

    def __repr__(self) -> str:
        return f"Pooling(mode={self.pooling_mode!r}, dim={self.word_embedding_dimension})"
