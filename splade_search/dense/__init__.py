"""The dense leg: a sentence-transformers dense model, a faiss-searched index of its vectors, a retriever.

- `DenseEncoder`: texts -> float32 rows, loaded through the project's own modules (no remote code).
- `DenseIndex`: a published folder of vectors (``vectors.npy``, memory-mapped), exact or HNSW search.
- `DenseRetriever`: ``build(model, documents, path)`` and ``open(path)``; implements `Retriever`.

Needs faiss (``pip install 'splade-search[faiss]'``) to search.
"""

from .encoder import DEFAULT_DENSE_MODEL, DenseEncoder
from .index import DENSE_MODES, DenseIndex
from .retriever import DenseRetriever

__all__ = ["DEFAULT_DENSE_MODEL", "DENSE_MODES", "DenseEncoder", "DenseIndex", "DenseRetriever"]
