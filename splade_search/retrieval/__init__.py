"""Encode corpora into indexes and search them with their own model: the glue between
``SparseEncoder`` and ``SparseIndex``."""

from .indexing import index_corpus
from .retriever import Hit, SparseRetriever
from .vocabulary import model_vocabulary

__all__ = ["Hit", "SparseRetriever", "index_corpus", "model_vocabulary"]
