"""Reading the ``(doc_ids, vectors)`` batch stream that every index build consumes.

`read_batches` validates each batch as it arrives (ids, width, finite weights, duplicates) and
reports progress; `DocMatrixBuilder` gathers validated batches into one document-major matrix.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from ..errors import InputError
from ..progress import progress_bar
from .convert import as_csr
from .storage import validate_doc_id

Batch = tuple[Sequence[str], Any]


def read_batches(
    batches: Iterable[Batch], n_cols: int, show_progress: bool = True, desc: str = "indexing"
) -> Iterator[tuple[list[str], sp.csr_matrix]]:
    """Yield each batch as ``(ids, float32 CSR rows)`` after checking it.

    Raises `InputError` naming the batch for: a malformed batch, an id count that differs from the
    row count, an invalid or repeated id, a width other than ``n_cols``, NaN/infinite weights, and,
    once the stream ends, a stream without any document.
    """
    seen: set[str] = set()
    with progress_bar(desc, enabled=show_progress) as advance:
        for number, batch in enumerate(batches):
            ids, rows = _unpack(batch, number)
            try:
                rows = as_csr(rows, n_cols)
            except InputError as exc:
                raise InputError(f"batch {number}: {exc}") from exc
            if len(ids) != rows.shape[0]:
                raise InputError(f"batch {number}: {len(ids)} ids for {rows.shape[0]} vectors")
            for doc_id in ids:
                if validate_doc_id(doc_id) in seen:
                    raise InputError(f"duplicate document id {doc_id!r} (batch {number}); ids must be unique")
                seen.add(doc_id)
            advance(len(ids))
            yield ids, rows
    if not seen:
        raise InputError("the batch stream held no documents; nothing to index")


def _unpack(batch: Any, number: int) -> tuple[list[str], Any]:
    try:
        ids, rows = batch
    except (TypeError, ValueError) as exc:
        raise InputError(f"batch {number} must be a (doc_ids, sparse_matrix) pair, got {type(batch).__name__}") from exc
    if isinstance(ids, str):
        raise InputError(f"batch {number}: doc_ids must be a list of strings, not one string")
    return list(ids), rows


class DocMatrixBuilder:
    """Collects validated batches and joins them into one document-major CSR matrix."""

    def __init__(self, n_cols: int) -> None:
        self.n_cols = n_cols
        self.doc_ids: list[str] = []
        self._indices: list[np.ndarray] = []
        self._data: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []

    def add(self, ids: list[str], rows: sp.csr_matrix) -> None:
        """Append one validated batch."""
        self.doc_ids.extend(ids)
        self._indices.append(rows.indices.astype(np.int32, copy=False))
        self._data.append(rows.data)
        self._lengths.append(np.diff(rows.indptr))

    def finish(self) -> sp.csr_matrix:
        """All rows added so far, in order (the collected chunks are released)."""
        indptr = np.zeros(len(self.doc_ids) + 1, dtype=np.int64)
        np.cumsum(np.concatenate(self._lengths), out=indptr[1:])
        indices, data = np.concatenate(self._indices), np.concatenate(self._data)
        self._indices, self._data, self._lengths = [], [], []
        return sp.csr_matrix((data, indices, indptr), shape=(len(self.doc_ids), self.n_cols))
