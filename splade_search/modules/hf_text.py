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
from .untrusted import KWARG_GROUPS, checked_max_seq_length, folder_kwargs

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
    load_kwargs = ("model_args", "tokenizer_args", "config_args", "trust_remote_code")

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
        trust_remote_code: bool = False,
    ) -> None:
        """Load the model and tokenizer; remote code runs only if ``trust_remote_code`` (or the args) say so.

        The arguments come from the caller, who is trusted; ``load`` strips what a folder's configs ask for.
        """
        super().__init__()
        import transformers

        model_args = dict(model_args or {})
        tokenizer_args = dict(tokenizer_args or {})
        config_args = dict(config_args or {})
        asked = [bool(args.pop("trust_remote_code", False)) for args in (model_args, tokenizer_args, config_args)]
        trust = bool(trust_remote_code) or any(asked)
        model_args.setdefault("use_safetensors", True)
        tokenizer_source = tokenizer_name_or_path or model_name_or_path
        config = transformers.AutoConfig.from_pretrained(
            model_name_or_path, cache_dir=cache_dir, **config_args, trust_remote_code=trust
        )
        auto_class = getattr(transformers, self.auto_class_name)
        self.auto_model = auto_class.from_pretrained(
            model_name_or_path, config=config, cache_dir=cache_dir, **model_args, trust_remote_code=trust
        )
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(
            tokenizer_source, cache_dir=cache_dir, **tokenizer_args, trust_remote_code=trust
        )
        check_tokenizer(self.tokenizer, str(tokenizer_source), self.auto_model)
        self.do_lower_case = do_lower_case
        if max_seq_length is None:
            limits = [self.position_limit(), self.tokenizer.model_max_length]
            limits = [x for x in limits if isinstance(x, int) and 0 < x < 1_000_000]
            max_seq_length = min(limits) if limits else None
        self.max_seq_length = max_seq_length

    def position_limit(self) -> int | None:
        """The model's position embeddings (None for models without absolute positions)."""
        return position_limit({"max_position_embeddings": getattr(self.auto_model.config, "max_position_embeddings", None)})

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

    #: An exported copy of ``body`` that inference without autograd runs instead (set by
    #: ``splade_search.backends``, e.g. ONNX Runtime); None runs ``body`` in torch.
    runtime: Any = None

    def body(self, **inputs: torch.Tensor) -> torch.Tensor:
        """The one tensor this module computes from the model inputs: what a backend exports."""
        raise NotImplementedError

    def run_body(self, features: dict[str, Any]) -> torch.Tensor:
        """``body`` on the model inputs of ``features``: in torch, or in ``runtime`` when autograd is off."""
        inputs = self.model_inputs(features)
        if self.runtime is None or torch.is_grad_enabled():
            return self.body(**inputs)
        return self.runtime.run(self, inputs)

    def save(self, output_path: str, safe_serialization: bool = True) -> None:
        """Write the HF model, its tokenizer and ``sentence_bert_config.json``."""
        self.auto_model.save_pretrained(output_path, safe_serialization=safe_serialization)
        self.tokenizer.save_pretrained(output_path)
        self.save_config(output_path)

    @classmethod
    def load_init_kwargs(cls, model_path: str) -> dict[str, Any]:
        """Constructor kwargs from any known ``sentence_*_config.json`` (v5 or v6 keys), checked and made safe."""
        config: dict[str, Any] = {}
        source = os.path.join(model_path, SBERT_CONFIG)
        for name in LEGACY_SBERT_CONFIGS:
            path = os.path.join(model_path, name)
            if os.path.exists(path):
                config, source = read_json(path), path
                break
        limit = position_limit(read_json(os.path.join(model_path, "config.json")))
        kwargs: dict[str, Any] = {group: folder_kwargs(config.get(group), source, group) for group in KWARG_GROUPS}
        if config.get("do_lower_case") is not None:
            if not isinstance(config["do_lower_case"], bool):
                raise ModelFormatError(f"{source}: do_lower_case must be true or false, got {config['do_lower_case']!r}")
            kwargs["do_lower_case"] = config["do_lower_case"]
        if config.get("max_seq_length") is not None:
            kwargs["max_seq_length"] = checked_max_seq_length(config["max_seq_length"], limit, source)
        else:
            from_tokenizer = _tokenizer_max_length(model_path)
            kwargs["max_seq_length"] = min(from_tokenizer, limit or from_tokenizer) if from_tokenizer else None
        return kwargs

    @classmethod
    def load(cls, model_path: str, trust_remote_code: bool = False, **kwargs: Any) -> "HFTextModule":
        """Load a module saved by ``save`` (or by sentence-transformers v5/v6).

        ``kwargs`` (``model_args``, ...) and ``trust_remote_code`` come from the caller; the folder's own
        configs never enable remote code.
        """
        if not os.path.exists(os.path.join(model_path, "config.json")):
            raise ModelFormatError(f"{model_path} has no config.json: it is not a transformers model folder")
        refuse_pickled_only(model_path)
        init_kwargs = cls.load_init_kwargs(model_path)
        for key, value in kwargs.items():
            if value is not None:
                init_kwargs[key] = {**init_kwargs.get(key, {}), **value} if isinstance(value, dict) else value
        return cls(model_path, **init_kwargs, trust_remote_code=trust_remote_code)

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
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1_000_000 else None


def position_limit(config: dict[str, Any]) -> int | None:
    """``max_position_embeddings`` of a transformers config, when it is a usable positive int."""
    value = config.get("max_position_embeddings")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def refuse_pickled_only(model_path: str) -> None:
    """ModelFormatError when the folder's transformers weights exist only as pickles."""
    names = os.listdir(model_path)
    if not any(n.endswith(".safetensors") or n.endswith(".safetensors.index.json") for n in names) and any(
        n.endswith(".bin") or n.endswith(".pt") or n.endswith(".pth") for n in names
    ):
        raise ModelFormatError(
            f"{model_path} holds only pickled weights (*.bin), which splade-search never unpickles. "
            "Convert them to model.safetensors with a tool you trust."
        )


def check_tokenizer_files(tokenizer: Any, source: str) -> None:
    """Refuse a tokenizer loaded from a folder that holds none of its vocabulary files."""
    expected = sorted(set(getattr(tokenizer, "vocab_files_names", {}).values()))
    if os.path.isdir(source) and expected and not any(os.path.exists(os.path.join(source, n)) for n in expected):
        raise ModelFormatError(
            f"{source} has no tokenizer vocabulary (none of {expected}): every word would become "
            f"{getattr(tokenizer, 'unk_token', None) or 'unknown'}. Copy the tokenizer files of the base model into it"
        )


def check_tokenizer(tokenizer: Any, source: str, model: Any) -> None:
    """Refuse a tokenizer without vocabulary files, or with more tokens than the model has embeddings."""
    check_tokenizer_files(tokenizer, source)
    size = len(tokenizer)
    rows = [getattr(model.get_input_embeddings(), "num_embeddings", None)]
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    rows.append(getattr(output, "out_features", None))
    rows = [r for r in rows if isinstance(r, int)]
    if rows and size > min(rows):
        raise ModelFormatError(
            f"{source}: the tokenizer has {size} tokens but the model has only {min(rows)} embeddings "
            "(vocabulary/embedding size mismatch): the tokenizer does not belong to this model"
        )
