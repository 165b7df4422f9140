"""Encode corpora into indexes and search them with their own model: the glue between
``SparseEncoder`` and ``SparseIndex``."""

from .indexing import index_corpus
from .hits import Hit, LegResult, Retriever
from .retriever import SparseRetriever
from .vocabulary import model_vocabulary

__all__ = ["Hit", "LegResult", "Retriever", "SparseRetriever", "index_corpus", "model_vocabulary"]
