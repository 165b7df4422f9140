"""Encode corpora into indexes and search them with their own model: the glue between
``SparseEncoder`` and ``SparseIndex``; and the pipelines over any retrievers: `HybridRetriever`
(fusion), rerankers, `open_retriever` (any index folder -> its retriever) and `build_retriever`
(options -> a ready retriever).

Names load on first use, so that importing `hits` or `opener` (e.g. for a BM25 index) needs no torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "BiEncoderReranker": ".rerank",
    "CrossEncoderReranker": ".rerank",
    "HybridRetriever": ".hybrid",
    "Reranker": ".rerank",
    "build_retriever": ".pipeline",
    "Hit": ".hits",
    "LegResult": ".hits",
    "Retriever": ".hits",
    "SparseRetriever": ".retriever",
    "document_text": ".rows",
    "index_corpus": ".indexing",
    "model_vocabulary": ".vocabulary",
    "open_retriever": ".opener",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'splade_search.retrieval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
