"""Encode corpora into indexes and search them with their own model: the glue between
``SparseEncoder`` and ``SparseIndex``."""

from .indexing import index_corpus
from .hits import Hit, LegResult, Retriever
from .retriever import SparseRetriever
from .rows import document_text
from .vocabulary import model_vocabulary

__all__ = ["Hit", "LegResult", "Retriever", "SparseRetriever", "document_text", "index_corpus", "model_vocabulary"]
