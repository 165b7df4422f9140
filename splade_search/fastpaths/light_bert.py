"""A BertForMaskedLM in plain torch, computed as transformers computes it, without importing transformers.

Importing ``transformers.modeling_utils`` costs more than importing torch (it loads torch.distributed,
torch._dynamo, sympy and accelerate), so a one-shot ``splade-search query`` on a BERT SPLADE model
spent most of its start-up there. `LightMLMTransformer` stands in for ``MLMTransformer`` over a plain
BERT masked-LM folder (`folder_layout.plain_bert_config`): the same parameter names (so the same
state dict and fingerprint), the same tokenizer output (`folder_tokenizer`), and transformers' own
inference ops in the same order (embeddings, SDPA attention with its padding mask, exact GELU, the
MLM head transform). It feeds ``SpladePooling`` as ``MLMTransformer`` does.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..modules.base import InputModule
from .folder_layout import WEIGHTS_NAME, mlm_state
from .folder_tokenizer import FolderTokenizer


_LAYER_PARTS = (
    "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
    "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm",
)
_TOP_PARTS = (
    "bert.embeddings.LayerNorm", "cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm", "cls.predictions.decoder",
)


def bert_keys(layers: int) -> set[str]:
    """The state-dict names of a BertForMaskedLM with ``layers`` layers."""
    parts = [*_TOP_PARTS, *(f"bert.encoder.layer.{i}.{part}" for i in range(layers) for part in _LAYER_PARTS)]
    embeddings = (f"bert.embeddings.{name}_embeddings.weight" for name in ("word", "position", "token_type"))
    return {*embeddings, "cls.predictions.bias", *(f"{part}.{p}" for part in parts for p in ("weight", "bias"))}


class _Projection(nn.Linear):
    """The MLM decoder: an ``nn.Linear`` (what SpladePooling projects with) whose tensors are set after creation."""

    def __init__(self) -> None:
        nn.Module.__init__(self)


def bert_for_masked_lm(config: dict[str, Any], state: dict[str, torch.Tensor]) -> nn.Module:
    """Modules holding a BertForMaskedLM's ``state`` (`folder_layout.mlm_state`) under transformers' names.

    Plain containers of frozen parameters, one per tensor (tied names share it); nothing is initialised.
    """
    if set(state) != bert_keys(config["num_hidden_layers"]):
        raise KeyError(f"the weights are not those of a {config['num_hidden_layers']}-layer BertForMaskedLM")
    root, shared = nn.Module(), {}
    for key, tensor in state.items():
        *path, leaf = key.split(".")
        node = root
        for part in path:
            if part not in node._modules:
                node.add_module(part, _Projection() if part == "decoder" else nn.Module())
            node = node._modules[part]
        node.register_parameter(leaf, shared.setdefault(id(tensor), nn.Parameter(tensor, requires_grad=False)))
    decoder = root.cls.predictions.decoder
    decoder.out_features, decoder.in_features = decoder.weight.shape
    root.config = dict(config)
    return root.eval()


def _linear(node: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return F.linear(x, node.weight, node.bias)


def _norm(node: nn.Module, x: torch.Tensor, eps: float) -> torch.Tensor:
    return F.layer_norm(x, node.weight.shape, node.weight, node.bias, eps)


def transformed_hidden_states(model: nn.Module, input_ids: torch.Tensor, token_type_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """``cls.predictions.transform(bert(...).last_hidden_state)`` in eval mode: [batch, length, hidden]."""
    batch, length = input_ids.shape
    config, embeddings = model.config, model.bert.embeddings
    eps = config.get("layer_norm_eps", 1e-12)
    positions = torch.arange(length, device=input_ids.device).unsqueeze(0)
    x = F.embedding(input_ids, embeddings.word_embeddings.weight, config.get("pad_token_id"))
    x = x + F.embedding(token_type_ids, embeddings.token_type_embeddings.weight)
    x = _norm(embeddings.LayerNorm, x + F.embedding(positions, embeddings.position_embeddings.weight), eps)
    mask = None  # transformers skips the SDPA mask when nothing is padded
    if not bool(attention_mask.all()):
        mask = attention_mask.bool()[:, None, None, :].expand(batch, 1, length, length).contiguous()
    head_size = config["hidden_size"] // config["num_attention_heads"]
    for layer in model.bert.encoder.layer.children():
        attention = layer.attention
        q, k, v = (
            _linear(projection, x).view(batch, length, -1, head_size).transpose(1, 2)
            for projection in (attention.self.query, attention.self.key, attention.self.value)
        )
        context = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.0, scale=head_size**-0.5, is_causal=False)
        context = context.transpose(1, 2).contiguous().reshape(batch, length, -1).contiguous()
        attended = _norm(attention.output.LayerNorm, _linear(attention.output.dense, context) + x, eps)
        x = _norm(layer.output.LayerNorm, _linear(layer.output.dense, F.gelu(_linear(layer.intermediate.dense, attended))) + attended, eps)
    transform = model.cls.predictions.transform
    return _norm(transform.LayerNorm, F.gelu(_linear(transform.dense, x)), eps)


class LightMLMTransformer(InputModule):
    """``MLMTransformer`` over a plain BERT masked-LM folder, for query encoding (no transformers import)."""

    def __init__(self, auto_model: nn.Module, tokenizer: FolderTokenizer, max_seq_length: int, do_lower_case: bool) -> None:
        super().__init__()
        self.auto_model = auto_model
        self.tokenizer = tokenizer
        self.do_lower_case = do_lower_case
        self.max_seq_length = max_seq_length

    @classmethod
    def load(cls, folder: str, config: dict[str, Any], tokenizer: FolderTokenizer, max_seq_length: int, do_lower_case: bool) -> "LightMLMTransformer":
        """The folder's ``model.safetensors`` (float32, every tensor of a BertForMaskedLM but the tied ones)."""
        from safetensors.torch import load_file

        state = mlm_state(load_file(os.path.join(folder, WEIGHTS_NAME)))
        if state is None:
            raise KeyError(f"{folder}/{WEIGHTS_NAME} lacks the word embeddings or the MLM bias")
        return cls(bert_for_masked_lm(config, state), tokenizer, max_seq_length, do_lower_case)

    def position_limit(self) -> int | None:
        return int(self.auto_model.config["max_position_embeddings"])

    def tokenize(self, texts: list[str], **kwargs: Any) -> dict[str, torch.Tensor]:
        """As ``MLMTransformer.tokenize`` for single texts: stripped, lower-cased if configured, padded, truncated."""
        texts = [str(t).strip() for t in texts]
        if self.do_lower_case:
            texts = [t.lower() for t in texts]
        found = self.tokenizer.encode_batch(texts, self.max_seq_length)
        return {key: torch.tensor(value, dtype=torch.long) for key, value in found.items()}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        features["mlm_hidden_states"] = transformed_hidden_states(
            self.auto_model, features["input_ids"], features["token_type_ids"], features["attention_mask"]
        )
        features["mlm_decoder"] = self.auto_model.cls.predictions.decoder
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return int(self.auto_model.config["vocab_size"])
