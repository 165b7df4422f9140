"""Encode corpora into indexes and search them with their own model: the glue between
``SparseEncoder`` and ``SparseIndex``; and the pipelines over any retrievers: `HybridRetriever`
(fusion), rerankers, `open_retriever` (any index folder -> its retriever) and `build_retriever`
(options -> a ready retriever).

Names load on first use, so that importing `hits` or `opener` (e.g. for a BM25 index) needs no torch.
"""

from __future__ import annotations

from .._alias import lazy_names

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


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
