"""Loading models for CLI verbs, quietly (no transformers load reports or weight bars)."""

from __future__ import annotations

from typing import Any


def load_encoder(name_or_path: str, **kwargs: Any) -> Any:
    """A SparseEncoder for ``name_or_path`` with transformers' own chatter turned off."""
    from transformers.utils import logging as hf_logging

    from ..encoder import SparseEncoder

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    return SparseEncoder(name_or_path, **kwargs)
