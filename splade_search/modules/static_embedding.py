"""SparseStaticEmbedding: the inference-free query encoder (binary bag of words x term weights)."""

from __future__ import annotations

import logging
import os
from typing import Any

import torch
from torch import nn

from ..errors import ModelFormatError
from .base import InputModule, read_json

logger = logging.getLogger(__name__)


class SparseStaticEmbedding(InputModule):
    """Encode a text as ``presence(token) * weight[token]`` over the vocabulary; no transformer runs."""

    config_keys = ["frozen"]

    def __init__(self, tokenizer: Any, weight: torch.Tensor | None = None, frozen: bool = False) -> None:
        super().__init__()
        self.tokenizer = tokenizer
        if weight is None:
            weight = torch.ones(len(tokenizer))
        self.weight = nn.Parameter(torch.as_tensor(weight, dtype=torch.float32).clone(), requires_grad=not frozen)
        self.frozen = frozen
        self.max_seq_length = tokenizer.model_max_length if tokenizer.model_max_length < 1_000_000 else 512

    @property
    def frozen(self) -> bool:
        return self._frozen

    @frozen.setter
    def frozen(self, value: bool) -> None:
        self._frozen = bool(value)
        self.weight.requires_grad_(not self._frozen)

    @property
    def vocab_size(self) -> int:
        return int(self.weight.shape[0])

    def tokenize(self, texts: list[str], **kwargs: Any) -> dict[str, torch.Tensor]:
        """Tokenize without special tokens; truncate to ``max_seq_length``."""
        return dict(
            self.tokenizer(
                [str(t).strip() for t in texts],
                add_special_tokens=False,
                truncation=True,
                padding=True,
                max_length=self.max_seq_length,
                return_tensors="pt",
            )
        )

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        ids = features["input_ids"]
        mask = features["attention_mask"].to(self.weight.dtype)
        presence = torch.zeros(ids.shape[0], self.vocab_size, dtype=self.weight.dtype, device=ids.device)
        presence.scatter_reduce_(1, ids, mask, reduce="amax")
        embedding = presence * self.weight
        if "sentence_embedding" in features:
            embedding = embedding * features["sentence_embedding"]
        features["sentence_embedding"] = embedding
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return self.vocab_size

    @classmethod
    def from_json(
        cls,
        json_path: str,
        tokenizer: Any,
        vocab_size: int | None = None,
        frozen: bool = False,
        **hub_kwargs: Any,
    ) -> "SparseStaticEmbedding":
        """Build from an ``idf.json`` (``{token: weight}``) sized to the full vocabulary.

        ``json_path`` is a local file, or a hub repo holding ``idf.json``. Tokens outside the vocabulary
        are skipped with a warning; tokens absent from the file get weight 0.
        """
        if not os.path.exists(json_path):
            from ..hub import download_file

            json_path = download_file(json_path, "idf.json", **hub_kwargs)
        idf = read_json(json_path)
        if not isinstance(idf, dict):
            raise ModelFormatError(f"{json_path} must hold a JSON object {{token: weight}}")
        vocab = tokenizer.get_vocab()
        size = vocab_size or len(tokenizer)
        weight = torch.zeros(size)
        unknown = [tok for tok in idf if tok not in vocab or vocab[tok] >= size]
        for token, value in idf.items():
            if token in vocab and vocab[token] < size:
                weight[vocab[token]] = float(value)
        if unknown:
            logger.warning("%d tokens of %s are not in the vocabulary and were skipped, e.g. %s", len(unknown), json_path, unknown[:5])
        return cls(tokenizer, weight=weight, frozen=frozen)

    def save(self, output_path: str, safe_serialization: bool = True) -> None:
        self.save_config(output_path)
        self.save_weights(output_path, safe_serialization)
        self.tokenizer.save_pretrained(output_path)

    load_kwargs = ("trust_remote_code",)

    @classmethod
    def load(cls, model_path: str, trust_remote_code: bool = False, **kwargs: Any) -> "SparseStaticEmbedding":
        from transformers import AutoTokenizer

        from .base import load_state_dict
        from .hf_text import check_tokenizer_files
        from .untrusted import inside_folder

        config = cls.load_config(model_path)
        source = os.path.join(model_path, cls.config_file_name)
        frozen = config.get("frozen", False)
        if not isinstance(frozen, bool):
            raise ModelFormatError(f"{source}: 'frozen' must be true or false, got {frozen!r}")
        tokenizer = AutoTokenizer.from_pretrained(model_path, trust_remote_code=trust_remote_code)
        check_tokenizer_files(tokenizer, model_path)
        if "path" in config:
            idf_path = inside_folder(model_path, config["path"], source, config["path"])
            if not os.path.isfile(idf_path):
                raise ModelFormatError(f"{source}: the weights file {config['path']!r} is missing")
            return cls.from_json(idf_path, tokenizer, frozen=frozen)
        state = load_state_dict(model_path)
        if "weight" not in state or state["weight"].dim() != 1:
            raise ModelFormatError(f"{model_path}/model.safetensors has no 1-D 'weight' tensor")
        if len(tokenizer) > state["weight"].shape[0]:
            raise ModelFormatError(
                f"{model_path}: the tokenizer has {len(tokenizer)} tokens but the weight only "
                f"{state['weight'].shape[0]} (vocabulary/embedding size mismatch)"
            )
        return cls(tokenizer, weight=state["weight"], frozen=frozen)

    def __repr__(self) -> str:
        return f"SparseStaticEmbedding(vocab_size={self.vocab_size}, frozen={self.frozen})"
