"""Indexes of sparse vectors: build from ``(doc_ids, vectors)`` batches, open, search, explain.

- `SparseIndex`: the interface; ``SparseIndex.open(path)`` opens any index folder.
- `CsrIndex` (backend ``"csr"``, default): exact search over memory-mapped numpy posting lists.
- `LuceneIndex` (backend ``"lucene"``): an Anserini impact index searched through Lucene; needs
  ``pip install 'splade-search[lucene]'`` (loaded only when used).
- `MilvusIndex` (backend ``"milvus"``): a Milvus collection, in Milvus Lite inside the folder or on a
  Milvus server; needs ``pip install 'splade-search[milvus]'`` (loaded only when used).
- `SeismicIndex` (backend ``"seismic"``): Seismic's approximate search; needs
  ``pip install 'splade-search[seismic]'`` (loaded only when used).
- `DocStore`: titles and texts for showing hits. `as_csr`: query/document vectors from scipy, numpy
  or torch.

Importing this package loads numpy and scipy only (no torch, no Java, no pymilvus).
"""

from __future__ import annotations

from typing import Any

from .base import (
    IndexStats,
    SearchResult,
    SparseIndex,
    TermContribution,
    build_index,
    check_backend,
    check_build_settings,
    check_search_settings,
)
from .convert import as_csr
from .csr import CsrIndex
from .docstore import DocStore, StoredDocument

__all__ = [
    "CsrIndex",
    "DocStore",
    "IndexStats",
    "LuceneIndex",
    "MilvusIndex",
    "SearchResult",
    "SeismicIndex",
    "SparseIndex",
    "StoredDocument",
    "TermContribution",
    "as_csr",
    "build_index",
    "check_backend",
    "check_build_settings",
    "check_search_settings",
]


def __getattr__(name: str) -> Any:
    if name == "LuceneIndex":
        from .lucene import LuceneIndex

        return LuceneIndex
    if name == "MilvusIndex":
        from .milvus import MilvusIndex

        return MilvusIndex
    if name == "SeismicIndex":
        from .seismic import SeismicIndex

        return SeismicIndex
    raise AttributeError(f"module 'splade_search.indexes' has no attribute {name!r}")
