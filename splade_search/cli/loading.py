"""Loading models for CLI verbs, quietly (no transformers load reports or weight bars)."""

from __future__ import annotations

from typing import Any

from ..errors import InputError


def load_encoder(name_or_path: str, *, fast: bool = False, **kwargs: Any) -> Any:
    """A SparseEncoder for ``name_or_path`` with transformers' own chatter turned off.

    ``fast``: project onto the vocabulary in bfloat16 (SPLADE models only; see `SpladePooling.projection_dtype`).
    """
    from transformers.utils import logging as hf_logging

    from ..encoder import SparseEncoder
    from ..modules import SpladePooling

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    encoder = SparseEncoder(name_or_path, **kwargs)
    if fast:
        poolings = [m for m in encoder.modules() if isinstance(m, SpladePooling)]
        if not poolings:
            raise InputError(f"--fast speeds up SPLADE vocabulary projections; {name_or_path} has none")
        for pooling in poolings:
            pooling.projection_dtype = "bfloat16"
    return encoder
