"""Shared base of the input modules that wrap a Hugging Face tokenizer and model.

Both the v5 (``max_seq_length``/``do_lower_case``) and v6 (``transformer_task``/``modality_config``)
``sentence_bert_config.json`` layouts are read; the v5 layout is written.
"""

from __future__ import annotations

import json
import os
from typing import Any

import torch

from ..errors import ModelFormatError
from .base import InputModule, read_json

SBERT_CONFIG = "sentence_bert_config.json"
LEGACY_SBERT_CONFIGS = [
    SBERT_CONFIG,
    "sentence_roberta_config.json",
    "sentence_distilbert_config.json",
    "sentence_camembert_config.json",
    "sentence_albert_config.json",
    "sentence_xlm-roberta_config.json",
    "sentence_xlnet_config.json",
]
MODEL_INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


class HFTextModule(InputModule):
    """Tokenizer + transformers model, saved in the HF layout plus ``sentence_bert_config.json``."""

    config_file_name = SBERT_CONFIG
    config_keys = ["max_seq_length", "do_lower_case"]
    auto_class_name = "AutoModel"
    load_kwargs = ("model_args", "tokenizer_args", "config_args")

    def __init__(
        self,
        model_name_or_path: str,
        max_seq_length: int | None = None,
        model_args: dict[str, Any] | None = None,
        tokenizer_args: dict[str, Any] | None = None,
        config_args: dict[str, Any] | None = None,
        cache_dir: str | None = None,
        do_lower_case: bool = False,
        tokenizer_name_or_path: str | None = None,
    ) -> None:
        super().__init__()
        import transformers

        model_args = dict(model_args or {})
        tokenizer_args = dict(tokenizer_args or {})
        config_args = dict(config_args or {})
        trust = model_args.get("trust_remote_code", False)
        config = transformers.AutoConfig.from_pretrained(
            model_name_or_path, cache_dir=cache_dir, trust_remote_code=trust, **config_args
        )
        auto_class = getattr(transformers, self.auto_class_name)
        self.auto_model = auto_class.from_pretrained(
            model_name_or_path, config=config, cache_dir=cache_dir, **model_args
        )
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(
            tokenizer_name_or_path or model_name_or_path,
            cache_dir=cache_dir,
            trust_remote_code=trust,
            **tokenizer_args,
        )
        self.do_lower_case = do_lower_case
        if max_seq_length is None:
            limits = [getattr(config, "max_position_embeddings", None), self.tokenizer.model_max_length]
            limits = [x for x in limits if isinstance(x, int) and 0 < x < 1_000_000]
            max_seq_length = min(limits) if limits else None
        self.max_seq_length = max_seq_length

    def tokenize(self, texts: list[str], padding: str | bool = True, **kwargs: Any) -> dict[str, torch.Tensor]:
        """Tokenize texts (or ``(text, text)`` pairs) with truncation to ``max_seq_length``."""
        if texts and isinstance(texts[0], (tuple, list)):
            columns = [[str(pair[i]).strip() for pair in texts] for i in range(len(texts[0]))]
        else:
            columns = [[str(t).strip() for t in texts]]
        if self.do_lower_case:
            columns = [[t.lower() for t in col] for col in columns]
        return dict(
            self.tokenizer(
                *columns,
                padding=padding,
                truncation="longest_first",
                return_tensors="pt",
                max_length=self.max_seq_length,
            )
        )

    def model_inputs(self, features: dict[str, Any]) -> dict[str, torch.Tensor]:
        """The subset of ``features`` the transformers model takes."""
        return {k: features[k] for k in MODEL_INPUT_NAMES if k in features}

    def save(self, output_path: str, safe_serialization: bool = True) -> None:
        """Write the HF model, its tokenizer and ``sentence_bert_config.json``."""
        self.auto_model.save_pretrained(output_path, safe_serialization=safe_serialization)
        self.tokenizer.save_pretrained(output_path)
        self.save_config(output_path)

    @classmethod
    def load_init_kwargs(cls, model_path: str) -> dict[str, Any]:
        """Constructor kwargs from any known ``sentence_*_config.json`` (v5 or v6 keys)."""
        config: dict[str, Any] = {}
        for name in LEGACY_SBERT_CONFIGS:
            path = os.path.join(model_path, name)
            if os.path.exists(path):
                config = read_json(path)
                break
        kwargs: dict[str, Any] = {}
        for key in ("max_seq_length", "do_lower_case", "model_args", "tokenizer_args", "config_args"):
            if config.get(key) is not None:
                kwargs[key] = config[key]
        if "max_seq_length" not in kwargs:
            kwargs["max_seq_length"] = _tokenizer_max_length(model_path)
        return kwargs

    @classmethod
    def load(cls, model_path: str, **kwargs: Any) -> "HFTextModule":
        """Load a module saved by ``save`` (or by sentence-transformers v5/v6)."""
        if not os.path.exists(os.path.join(model_path, "config.json")):
            raise ModelFormatError(f"{model_path} has no config.json: it is not a transformers model folder")
        init_kwargs = cls.load_init_kwargs(model_path)
        for key, value in kwargs.items():
            if value is not None:
                init_kwargs[key] = {**init_kwargs.get(key, {}), **value} if isinstance(value, dict) else value
        return cls(model_path, **init_kwargs)

    @property
    def embedding_dimension(self) -> int:
        return int(self.auto_model.config.hidden_size)

    def __repr__(self) -> str:
        arch = type(self.auto_model).__name__
        return f"{type(self).__name__}({json.dumps(self.get_config_dict())[1:-1]}, architecture={arch})"


def _tokenizer_max_length(model_path: str) -> int | None:
    """v6 keeps the max length in ``tokenizer_config.json`` as ``model_max_length``."""
    path = os.path.join(model_path, "tokenizer_config.json")
    if not os.path.exists(path):
        return None
    value = read_json(path).get("model_max_length")
    return value if isinstance(value, int) and 0 < value < 1_000_000 else None
