"""Query encoders that start fast: they read the model folder themselves instead of through transformers.

For a one-shot ``splade-search query`` most of the start-up went into imports: transformers' modeling
code (more than torch itself) for a SPLADE model, torch and transformers for an inference-free model
whose queries need neither. `load_light_encoder` gives, for the folders `folder_layout` recognises:

- BERT SPLADE: a ``SparseEncoder`` of `light_bert.LightMLMTransformer` + ``SpladePooling`` (torch, no
  transformers import);
- inference-free: an `inference_free.InferenceFreeQueryEncoder` (numpy and ``tokenizers`` only).

Both encode queries exactly as the fully loaded model does; anything else gives None (load the model
as usual). Callers check them against the fingerprint an index records (`retrieval.model_record`).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from .folder_layout import Layout, read_layout

# what reading a folder's files can raise; the light encoders then decline and the full loader reports the problem
_DECLINE = (OSError, ValueError, KeyError, TypeError, RuntimeError)


def load_light_encoder(reference: str) -> Any | None:
    """A light query encoder for the model ``reference`` (an embedded alias or a local folder), or None."""
    root = _local_folder(reference)
    layout = read_layout(root) if root is not None else None
    if layout is None:
        return None
    try:
        if layout.kind == "static":
            from .inference_free import InferenceFreeQueryEncoder

            return InferenceFreeQueryEncoder.load(reference, layout)
        return _splade_encoder(reference, layout)
    except _DECLINE:
        return None


def _local_folder(reference: str) -> str | None:
    """The folder of an embedded alias or an existing local folder; None for hub ids and missing packages."""
    from ..errors import ModelLoadError
    from ..hub import embedded_model_path

    try:
        embedded = embedded_model_path(reference)
    except ModelLoadError:
        return None
    folder = embedded if embedded is not None else Path(reference).expanduser()
    return str(folder) if folder.is_dir() else None


def _splade_encoder(reference: str, layout: Layout) -> Any | None:
    """``SparseEncoder([LightMLMTransformer, SpladePooling])`` for a BERT SPLADE folder, on the CPU."""
    from ..encoder import SparseEncoder, default_device
    from ..modules import SpladePooling
    from ..modules.base import read_json
    from ..modules.hf_text import HFTextModule, position_limit
    from ..modules.untrusted import KWARG_GROUPS
    from .folder_tokenizer import load_folder_tokenizer
    from .light_bert import LightMLMTransformer

    tokenizer = load_folder_tokenizer(layout.mlm)
    if tokenizer is None or default_device() != "cpu":
        return None
    config = read_json(os.path.join(layout.mlm, "config.json"))
    with warnings.catch_warnings():  # options the folder passes to transformers: declined below, reported by the full load
        warnings.simplefilter("ignore")
        settings = HFTextModule.load_init_kwargs(layout.mlm)
    if any(settings.get(group) for group in KWARG_GROUPS):
        return None
    limits = [position_limit(config), tokenizer.model_max_length]
    max_length = settings.get("max_seq_length") or min((x for x in limits if isinstance(x, int) and 0 < x < 1_000_000), default=None)
    if max_length is None or len(tokenizer) > config["vocab_size"]:
        return None
    module = LightMLMTransformer.load(layout.mlm, config, tokenizer, max_length, settings.get("do_lower_case", False))
    encoder = SparseEncoder(
        modules=[module, SpladePooling(**layout.pooling)], device="cpu", prompts=layout.prompts, similarity_fn_name=layout.similarity
    )
    encoder.model_name_or_path = reference
    return encoder
