"""Which query encoder a model folder describes, read without torch: the layouts the light encoders take.

`read_layout` recognises three folders (anything else: None, and the full loader runs):

- a plain Hugging Face ``BertForMaskedLM`` folder (loaded as MLMTransformer + max SpladePooling);
- a SparseEncoder folder of ``MLMTransformer`` + ``SpladePooling`` over such a BERT (`plain_bert_config`);
- an inference-free SparseEncoder folder: a ``Router`` whose ``query`` route is one
  ``SparseStaticEmbedding`` (weights in safetensors or an ``idf.json``) and whose ``document`` route
  is MLMTransformer (any masked LM of `MLM_TIES`) + SpladePooling.

It also knows the SparseEncoder's state dict (`mlm_state`, `Layout.mlm_prefix`, `STATIC_PREFIX`),
so that a light encoder can be checked against the fingerprint an index records.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..module_types import TYPE_ALIASES

WEIGHTS_NAME = "model.safetensors"
MLM_TIES = {
    "BertForMaskedLM": {
        "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
        "cls.predictions.decoder.bias": "cls.predictions.bias",
    },
    "DistilBertForMaskedLM": {"vocab_projector.weight": "distilbert.embeddings.word_embeddings.weight"},
}
"""The tensors each masked LM shares (target: source), as transformers ties them; weight files omit the targets."""
LEGACY_NAMES = (("LayerNorm.gamma", "LayerNorm.weight"), ("LayerNorm.beta", "LayerNorm.bias"))
"""transformers' renaming of old checkpoints' LayerNorm tensors."""
STATIC_PREFIX = "0.sub_modules.query.0."
SIMILARITIES = ("dot", "cosine")


@dataclass
class Layout:
    """A recognised folder: ``kind`` is ``"mlm"`` (BERT SPLADE) or ``"static"`` (inference-free)."""

    kind: str
    mlm: str
    mlm_prefix: str
    pooling: dict[str, Any] = field(default_factory=dict)
    static: str | None = None
    prompts: dict[str, str] = field(default_factory=dict)
    similarity: str = "dot"
    tokenizer_folder: str = ""
    vocab_size: int = 0
    architecture: str = "BertForMaskedLM"
    idf: str | None = None

    @property
    def query_prompt(self) -> str:
        """What ``encode_query`` puts before each query."""
        return self.prompts.get("query", "")


def read_layout(root: str) -> Layout | None:
    """The layout of the folder ``root``, or None when it is not one the light encoders reproduce."""
    settings = _read(os.path.join(root, "config_sentence_transformers.json"), required=False)
    if settings is None:
        return None
    prompts = {"query": "", "document": "", **(settings.get("prompts") or {})}
    similarity = settings.get("similarity_fn_name") or "dot"
    if not all(isinstance(v, str) for v in prompts.values()) or similarity not in SIMILARITIES:
        return None
    if settings.get("default_prompt_name") not in (None, *prompts):
        return None
    if not os.path.exists(os.path.join(root, "modules.json")):  # a Hugging Face masked-LM folder
        return _mlm(Layout("mlm", root, "0.", prompts=prompts, similarity=similarity))
    chain = _chain(root, _read(os.path.join(root, "modules.json"), required=True, expect=list))
    if chain is None or settings.get("model_type") != "SparseEncoder":
        return None
    names = [name for name, _ in chain]
    if names == ["MLMTransformer", "SpladePooling"]:
        pooling = _read(os.path.join(chain[1][1], "config.json"), required=False)
        return _mlm(Layout("mlm", chain[0][1], "0.", pooling or {}, prompts=prompts, similarity=similarity))
    return _router(chain[0][1], prompts, similarity) if names == ["Router"] else None


def _router(root: str, prompts: dict[str, str], similarity: str) -> Layout | None:
    """An inference-free Router: one SparseStaticEmbedding for queries, MLMTransformer + SpladePooling for documents."""
    config = _read(os.path.join(root, "router_config.json"), required=True)
    types = config.get("types") if config else None
    structure = config.get("structure") if config else None
    if not isinstance(types, dict) or not isinstance(structure, dict) or set(structure) != {"query", "document"}:
        return None
    routes = {}
    for route, names in structure.items():
        if not isinstance(names, list) or not all(isinstance(n, str) and isinstance(types.get(n), str) for n in names):
            return None
        routes[route] = [(TYPE_ALIASES.get(types[n]), _inside(root, n)) for n in names]
    query, document = routes["query"], routes["document"]
    if [n for n, _ in query] != ["SparseStaticEmbedding"] or [n for n, _ in document] != ["MLMTransformer", "SpladePooling"]:
        return None
    static = _read(os.path.join(query[0][1], "config.json"), required=False) if query[0][1] else None
    pooling = _read(os.path.join(document[1][1], "config.json"), required=False) if document[1][1] else None
    default = (config.get("parameters") or {}).get("default_route") or list(structure)[-1]
    if static is None or set(static) - {"frozen", "path"} or pooling is None or default not in routes or document[0][1] is None:
        return None
    layout = Layout("static", document[0][1], "0.sub_modules.document.0.", pooling, query[0][1], prompts, similarity)
    layout.tokenizer_folder = routes[default][0][1]  # the model's tokenizer: its default route's
    if "path" in static:
        layout.idf = _inside(query[0][1], static["path"], folder=False) if isinstance(static["path"], str) else None
        if layout.idf is None:
            return None
    return _document(layout)


def _document(layout: Layout) -> Layout | None:
    """An inference-free ``layout`` whose document model is a masked LM of `MLM_TIES` (its tensors are only hashed)."""
    config = _read(os.path.join(layout.mlm, "config.json"), required=True) or {}
    architectures, size = config.get("architectures"), config.get("vocab_size")
    if config.get("auto_map") or not isinstance(architectures, list) or len(architectures) != 1 or architectures[0] not in MLM_TIES:
        return None
    if not _float32_tied(config) or not isinstance(size, int) or layout.pooling.get("word_embedding_dimension") not in (None, size):
        return None
    layout.architecture, layout.vocab_size = architectures[0], size
    return layout


def _mlm(layout: Layout) -> Layout | None:
    """``layout`` when its MLM module is a plain BERT and its pooling a known one."""
    config = _read(os.path.join(layout.mlm, "config.json"), required=True)
    if not plain_bert_config(config):
        return None
    layout.vocab_size = config["vocab_size"]
    layout.tokenizer_folder = layout.mlm
    pooling = {"pooling_strategy": "max", "activation_function": "relu", **layout.pooling}
    if pooling["pooling_strategy"] not in ("max", "sum") or pooling["activation_function"] not in ("relu", "log1p_relu"):
        return None
    layout.pooling = pooling
    return layout


def _float32_tied(config: dict[str, Any]) -> bool:
    """Loaded in float32 with the input and output embeddings tied (transformers' defaults)."""
    return config.get("tie_word_embeddings", True) is True and config.get("dtype", config.get("torch_dtype")) in ("float32", None)


def plain_bert_config(config: dict[str, Any] | None) -> bool:
    """Whether ``config.json`` describes a BertForMaskedLM that `light_bert` computes as transformers does."""
    if config is None or config.get("auto_map") or any(k in config for k in ("attn_implementation", "_attn_implementation")):
        return False
    sizes = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size", "max_position_embeddings")
    if not all(isinstance(config.get(k), int) and config[k] > 0 for k in sizes):
        return False
    return (
        config.get("model_type") == "bert"
        and config.get("architectures") == ["BertForMaskedLM"]
        and config["hidden_size"] % config["num_attention_heads"] == 0
        and config.get("hidden_act", "gelu") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and not config.get("is_decoder")
        and not config.get("add_cross_attention")
        and not config.get("chunk_size_feed_forward")
        and _float32_tied(config)
    )


def mlm_state(tensors: dict[str, Any], architecture: str = "BertForMaskedLM") -> dict[str, Any] | None:
    """A masked LM's state dict from its weights file, as transformers loads it: legacy LayerNorm names
    renamed, tied tensors shared (`MLM_TIES`). None when a tied tensor's source is missing."""
    state = {}
    for key, value in tensors.items():
        for old, new in LEGACY_NAMES:
            key = key.replace(old, new)
        state[key] = value
    ties = MLM_TIES[architecture]
    if not set(ties.values()) <= set(state):
        return None
    for target, source in ties.items():
        state[target] = state[source]
    return state


def _chain(root: str, modules: Any) -> list[tuple[str | None, str]] | None:
    """``(class name, folder)`` of each modules.json entry in ``idx`` order; None for anything unusual."""
    if not isinstance(modules, list) or not modules:
        return None
    entries = []
    for position, entry in enumerate(modules):
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str) or not isinstance(entry.get("path"), str):
            return None
        idx = entry.get("idx", position)
        folder = _inside(root, entry["path"]) if entry["path"] else root
        if isinstance(idx, bool) or not isinstance(idx, int) or folder is None:
            return None
        entries.append((idx, TYPE_ALIASES.get(entry["type"]), folder))
    return [(name, folder) for _, name, folder in sorted(entries, key=lambda e: e[0])]


def _inside(root: str, name: str, folder: bool = True) -> str | None:
    """``root/name`` when it is a folder (or with ``folder=False`` a file) inside ``root`` (no links out, no ``..``)."""
    base = os.path.realpath(root)
    path = os.path.realpath(os.path.join(root, name))
    found = os.path.isdir(path) if folder else os.path.isfile(path)
    return path if path.startswith(base + os.sep) and found else None


def _read(path: str, required: bool, expect: type = dict) -> Any:
    """The JSON in ``path`` (when missing: None if ``required``, else an empty ``expect``); None when unreadable."""
    if not os.path.exists(path):
        return None if required else expect()
    return read_json_or_none(path, expect)


def read_json_or_none(path: str, expect: type = dict) -> Any:
    """The ``expect`` (a JSON object by default) in the file ``path``; None when it is missing, unreadable or another type."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, expect) else None
