"""Encode corpora into indexes and search them with their own model: the glue between
``SparseEncoder`` and ``SparseIndex``; and the pipelines over any retrievers: `HybridRetriever`
(fusion), rerankers, and `build_retriever` (options -> a ready retriever)."""

from .hits import Hit, LegResult, Retriever
from .indexing import index_corpus
from .hybrid import HybridRetriever
from .pipeline import build_retriever, open_retriever
from .rerank import BiEncoderReranker, CrossEncoderReranker, Reranker
from .retriever import SparseRetriever
from .rows import document_text
from .vocabulary import model_vocabulary

__all__ = [
    "BiEncoderReranker",
    "CrossEncoderReranker",
    "Hit",
    "HybridRetriever",
    "LegResult",
    "Reranker",
    "Retriever",
    "SparseRetriever",
    "build_retriever",
    "document_text",
    "index_corpus",
    "model_vocabulary",
    "open_retriever",
]
