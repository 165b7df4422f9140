"""How a BM25 index is recognised: its metadata records the model ``"bm25"`` (nothing heavy imported)."""

from __future__ import annotations

from typing import Any

MODEL_NAME = "bm25"


def is_bm25_index(index: Any) -> bool:
    """Whether an opened `SparseIndex` is a BM25 index (its metadata records the model ``"bm25"``)."""
    return index.metadata.get("model") == MODEL_NAME and isinstance(index.metadata.get(MODEL_NAME), dict)
