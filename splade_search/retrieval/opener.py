"""Open the right retriever for any index folder: dense indexes get `DenseRetriever`, BM25 indexes
`BM25Retriever`, others `SparseRetriever`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..indexes import SparseIndex
from .hits import Retriever


def open_retriever(
    path: str | Path,
    *,
    model: Any = None,
    verify: bool = True,
    mode: str = "exact",
    knobs: Mapping[str, Any] | None = None,
    bm25_implementation: str = "auto",
) -> Retriever:
    """A retriever for the index at ``path``, searching with the model the index records.

    Dense indexes open as `DenseRetriever` (``mode``: ``"exact"`` or ``"hnsw"``). BM25 indexes (see `bm25.indexing`) open as `BM25Retriever` (``bm25_implementation``: ``"auto"``,
    ``"lucene"`` or ``"inprocess"``; ``model`` must be None or ``"bm25"``); any other index as
    `SparseRetriever` with its recorded model, or ``model`` (a name or an encoder) when given.
    """
    from ..bm25 import BM25Retriever, is_bm25_index
    from ..errors import InputError

    if index_kind(path) == "dense":
        from ..dense import DenseRetriever

        return DenseRetriever.open(path, verify=verify, mode=mode, knobs=knobs)
    index = SparseIndex.open(path, verify=verify)
    if is_bm25_index(index):
        if model not in (None, "bm25"):
            raise InputError(f"{path} is a BM25 index; it is searched with BM25, not with model {model!r}")
        return BM25Retriever(index, implementation=bm25_implementation, mode=mode, knobs=knobs)
    from .retriever import SparseRetriever

    return SparseRetriever.for_index(index, model, mode=mode, knobs=knobs)


def index_kind(path: str | os.PathLike[str]) -> str:
    """``"dense"``, or the backend of a sparse index (``"csr"``, ``"lucene"``...), as its live manifest says."""
    from ..indexes.generations import current_folder, index_format
    from ..indexes.layout import DENSE_INDEX_FORMAT
    from ..indexes.storage import MANIFEST_NAME, read_json

    folder = current_folder(Path(path))
    if index_format(folder) == DENSE_INDEX_FORMAT:
        return "dense"
    return str(read_json(folder / MANIFEST_NAME).get("backend"))
